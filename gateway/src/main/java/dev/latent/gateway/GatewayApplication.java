package dev.latent.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Bean;
import java.time.Clock;

/** The gateway: routes, keys, limits, metering and billing in front of every service. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class GatewayApplication {

  public static void main(String[] args) {
    SpringApplication.run(GatewayApplication.class, args);
  }

  /** Time as every feature sees it (budget periods, off-peak windows, key expiry). */
  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }
}
