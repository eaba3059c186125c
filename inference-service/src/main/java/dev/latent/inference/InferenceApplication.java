package dev.latent.inference;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The inference service: OpenAI-compatible LLM and embeddings API over the ml-core engine. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class InferenceApplication {

  public static void main(String[] args) {
    SpringApplication.run(InferenceApplication.class, args);
  }
}
