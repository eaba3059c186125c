package dev.latent.gateway.routing;

import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The public API's paths, each sent to the service that owns it. */
@Configuration(proxyBeanMethods = false)
class RoutesConfiguration {

  @Bean
  RouteLocator latentRoutes(RouteLocatorBuilder builder, RoutingProperties routing) {
    return builder.routes()
        .route("inference", r -> r.path("/v1/chat/completions", "/v1/completions", "/v1/embeddings",
                "/v1/models", "/v1/models/**")
            .uri(routing.backends().get("inference").urls().getFirst()))
        .route("vision", r -> r.path("/v1/vision/**")
            .uri(routing.backends().get("vision").urls().getFirst()))
        .route("training", r -> r.path("/v1/files", "/v1/files/**", "/v1/fine_tuning/**")
            .uri(routing.backends().get("training").urls().getFirst()))
        .build();
  }
}
