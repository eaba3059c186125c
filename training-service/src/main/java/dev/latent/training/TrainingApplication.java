package dev.latent.training;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The training service: files and fine-tuning jobs that write models to the store. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class TrainingApplication {

  public static void main(String[] args) {
    SpringApplication.run(TrainingApplication.class, args);
  }
}
