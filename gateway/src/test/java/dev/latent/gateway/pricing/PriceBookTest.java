package dev.latent.gateway.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.gateway.ledger.LedgerDatabase;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;

class PriceBookTest {

  // DeepSeek-style: per 1M tokens, 0.07 hit, 0.27 miss, 1.10 output; 16:30–00:30 UTC at half price.
  private final PriceBook book = new PriceBook(new PricingProperties(
      List.of(new ModelPrice("chat", new BigDecimal("0.07"), new BigDecimal("0.27"), new BigDecimal("1.10"), "usd")),
      List.of(new PricingProperties.OffPeak(LocalTime.of(16, 30), LocalTime.of(0, 30), new BigDecimal("0.5"))),
      "USD", null,
      java.util.Map.of("faces-verify", new BigDecimal("0.002"), "default", new BigDecimal("0.001")),
      java.util.Map.of("default", new BigDecimal("8.00"))), Mockito.mock(LedgerDatabase.class), Clock.systemUTC());

  @Test
  void visionIsPricedPerImagePerTaskAndTrainingPerTrainedToken() {
    PriceBook.UnitCharge verify = book.vision("faces-verify", 2, PEAK);
    assertThat(verify.cost()).isEqualByComparingTo("0.004");
    assertThat(verify.unit()).isEqualTo("image");
    assertThat(book.vision("ocr", 1, PEAK).cost()).isEqualByComparingTo("0.001"); // the default task price
    // 1.5M trained tokens at 8.00 per 1M
    PriceBook.UnitCharge training = book.training("any-base-model", 1_500_000, PEAK);
    assertThat(training.cost()).isEqualByComparingTo("12");
    assertThat(training.unit()).isEqualTo("trained_token");
    // off-peak halves them as it does tokens
    assertThat(book.vision("faces-verify", 2, Instant.parse("2026-11-28T23:00:00Z")).cost()).isEqualByComparingTo("0.002");
  }

  private static final Instant PEAK = Instant.parse("2026-11-28T10:00:00Z");

  @Test
  void cacheHitsAreBilledAtTheHitPriceAndReasoningAsOutput() {
    // 700k hit, 300k miss, 200k completion of which 150k reasoning: reasoning is inside completion.
    Charge charge = book.charge("chat", new TokenCounts(700_000, 300_000, 200_000, 150_000), PEAK);
    // 0.7 × 0.07 + 0.3 × 0.27 + 0.2 × 1.10 = 0.049 + 0.081 + 0.22
    assertThat(charge.cost()).isEqualByComparingTo("0.35");
    assertThat(charge.multiplier()).isEqualByComparingTo("1");
    assertThat(charge.price().currency()).isEqualTo("USD");
  }

  @Test
  void anAdapterBillsAtItsBasesPrice() {
    assertThat(book.price("chat:support-bot").inputCacheMiss()).isEqualByComparingTo("0.27");
    assertThat(book.price("unpriced:adapter").output()).isEqualByComparingTo("0");
  }

  @Test
  void offPeakWindowsMultiplyAndWrapPastMidnight() {
    TokenCounts tokens = new TokenCounts(0, 1_000_000, 1_000_000, 0);
    assertThat(book.charge("chat", tokens, PEAK).cost()).isEqualByComparingTo("1.37");
    assertThat(book.charge("chat", tokens, Instant.parse("2026-11-28T16:30:00Z")).cost()).isEqualByComparingTo("0.685");
    assertThat(book.charge("chat", tokens, Instant.parse("2026-11-28T00:29:59Z")).multiplier()).isEqualByComparingTo("0.5");
    assertThat(book.charge("chat", tokens, Instant.parse("2026-11-28T00:30:00Z")).multiplier()).isEqualByComparingTo("1");
  }

  @Test
  void moneyIsExactToTheTenthDecimal() {
    // One token at 0.07 per 1M is 0.00000007: a double would already drift summing these.
    BigDecimal sum = BigDecimal.ZERO;
    for (int i = 0; i < 1000; i++) {
      sum = sum.add(book.charge("chat", new TokenCounts(1, 0, 0, 0), PEAK).cost());
    }
    assertThat(sum).isEqualByComparingTo("0.00007");
  }

  @Test
  void worstCaseTakesTheDearerInputPriceAndAllOutputAcrossFallbacks() {
    BigDecimal worst = book.worstCase(List.of("chat", "unpriced"), 1_000_000, 1_000_000, PEAK);
    assertThat(worst).isEqualByComparingTo("1.37");
    assertThat(book.charge("unpriced", new TokenCounts(5, 5, 5, 0), PEAK).cost()).isEqualByComparingTo("0");
  }
}
