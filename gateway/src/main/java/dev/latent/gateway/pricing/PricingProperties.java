package dev.latent.gateway.pricing;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.gateway.pricing.*}.
 *
 * @param models configured prices (the admin API's {@code PUT /admin/prices/{model}} overrides them)
 * @param offPeak UTC windows in which every price is multiplied (e.g. 16:30–00:30 × 0.5)
 * @param currency the currency of models without a price (which then cost nothing)
 * @param refresh how often prices set on other replicas are read back from the ledger
 * @param vision price per image by vision task ({@code faces-detect}, {@code faces-verify},
 *     {@code ocr}, {@code upscale}, {@code collections-add-face}, {@code collections-identify});
 *     {@code default} for tasks not listed; unpriced tasks cost nothing (and are still recorded)
 * @param training price per 1M trained tokens by base model of a fine-tuning job; {@code default}
 *     for models not listed
 */
@ConfigurationProperties("latent.gateway.pricing")
public record PricingProperties(
    @Nullable List<ModelPrice> models,
    @Nullable List<OffPeak> offPeak,
    @Nullable String currency,
    @Nullable Duration refresh,
    @Nullable Map<String, BigDecimal> vision,
    @Nullable Map<String, BigDecimal> training) {

  public PricingProperties {
    models = models == null ? List.of() : List.copyOf(models);
    offPeak = offPeak == null ? List.of() : List.copyOf(offPeak);
    currency = currency == null ? "USD" : currency;
    refresh = refresh == null ? Duration.ofSeconds(30) : refresh;
    vision = vision == null ? Map.of() : Map.copyOf(vision);
    training = training == null ? Map.of() : Map.copyOf(training);
    for (var price : vision.entrySet()) {
      if (price.getValue().signum() < 0) {
        throw new IllegalArgumentException("latent.gateway.pricing.vision." + price.getKey() + " must be >= 0");
      }
    }
    for (var price : training.entrySet()) {
      if (price.getValue().signum() < 0) {
        throw new IllegalArgumentException("latent.gateway.pricing.training." + price.getKey() + " must be >= 0");
      }
    }
  }

  /** {@code [start, end)} in UTC; {@code end} before {@code start} wraps past midnight. */
  public record OffPeak(LocalTime start, LocalTime end, BigDecimal multiplier) {
    public OffPeak {
      if (start == null || end == null || multiplier == null || multiplier.signum() < 0) {
        throw new IllegalArgumentException("off-peak windows need start, end and a multiplier >= 0");
      }
    }

    boolean contains(LocalTime time) {
      return start.isBefore(end) || start.equals(end)
          ? !time.isBefore(start) && time.isBefore(end)
          : !time.isBefore(start) || time.isBefore(end);
    }
  }
}
