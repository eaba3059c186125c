package dev.latent.inference.runtime;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The runtime's beans; each owns native memory and is closed with the context. */
@Configuration(proxyBeanMethods = false)
class RuntimeConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnProperty(name = "latent.inference.embeddings.enabled", matchIfMissing = true)
  EmbeddingModel embeddingModel(EmbeddingProperties properties) {
    return new EmbeddingModel(properties);
  }
}
