package dev.latent.gateway.pricing;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.latent.gateway.keys.KeyAuthentication;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.Map;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code /admin/prices}: the price table in force, and setting one model's prices. */
@RestController
@RequestMapping("/admin/prices")
class AdminPricesController {

  private final PriceBook prices;
  private final KeyAuthentication authentication;

  AdminPricesController(PriceBook prices, KeyAuthentication authentication) {
    this.prices = prices;
    this.authentication = authentication;
  }

  record PriceRequest(
      @JsonProperty("input_cache_hit") BigDecimal inputCacheHit,
      @JsonProperty("input_cache_miss") BigDecimal inputCacheMiss,
      BigDecimal output,
      String currency) {}

  @PutMapping("/{model}")
  Mono<ModelPrice> put(ServerHttpRequest http, @PathVariable String model, @RequestBody PriceRequest request) {
    authentication.requireAdmin(http);
    return prices.put(new ModelPrice(model, request.inputCacheHit(), request.inputCacheMiss(),
        request.output(), request.currency()));
  }

  @GetMapping
  Map<String, Object> list(ServerHttpRequest http) {
    authentication.requireAdmin(http);
    return Map.of("object", "list", "data",
        prices.all().stream().sorted(Comparator.comparing(ModelPrice::model)).toList());
  }
}
