package dev.latent.gateway.support;

import dev.latent.gateway.GatewayApplication;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Whole gateway processes-in-a-JVM, for scenarios that need two of them or a restart. */
public final class Gateways {

  private Gateways() {}

  public static ConfigurableApplicationContext start(StubBackend backend, Map<String, String> properties) {
    var builder = new SpringApplicationBuilder(GatewayApplication.class);
    var all = new java.util.LinkedHashMap<String, Object>();
    all.put("server.port", "0");
    all.put("latent.gateway.keys.admin-key", Admin.KEY);
    all.put("latent.http.access-log", "false");
    for (String pool : List.of("inference", "vision", "training")) {
      all.put("latent.gateway.routing.backends." + pool + ".urls[0]", backend.url());
    }
    all.putAll(properties);
    // As arguments, so they outrank application.yaml (builder properties would only be defaults).
    return builder.run(all.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
        .toArray(String[]::new));
  }

  public static WebTestClient client(ConfigurableApplicationContext context) {
    String port = Objects.requireNonNull(context.getEnvironment().getProperty("local.server.port"));
    return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port)
        .responseTimeout(Duration.ofSeconds(30)).build();
  }
}
