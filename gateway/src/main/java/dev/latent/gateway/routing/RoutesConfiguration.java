package dev.latent.gateway.routing;

import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The public API's paths, each sent to the pool that owns it. The {@code backend://} scheme is
 * ours: {@link BackendProxyFilter} picks the instance (and, by {@code model}, maybe another pool).
 */
@Configuration(proxyBeanMethods = false)
class RoutesConfiguration {

  @Bean
  RouteLocator latentRoutes(RouteLocatorBuilder builder) {
    return builder.routes()
        .route("inference", r -> r.path("/v1/chat/completions", "/v1/completions", "/v1/embeddings",
                "/v1/models", "/v1/models/**")
            .uri(BackendProxyFilter.SCHEME + "://inference"))
        .route("vision", r -> r.path("/v1/vision/**")
            .uri(BackendProxyFilter.SCHEME + "://vision"))
        .route("training", r -> r.path("/v1/files", "/v1/files/**", "/v1/fine_tuning/**")
            .uri(BackendProxyFilter.SCHEME + "://training"))
        .build();
  }
}
