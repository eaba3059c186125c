package dev.latent.gateway.ledger;

import java.math.BigDecimal;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Money held for one admitted request until it is billed.
 *
 * @param backend the pool that serves the model (where the reconciler asks for the usage)
 * @param periodStart the budget period the hold counts against; null when the key has no budget
 * @param amount the worst-case cost held
 * @param createdAt admission time, which also fixes the off-peak multiplier
 */
public record Reservation(
    String requestId,
    String keyId,
    String tenant,
    String model,
    String backend,
    @Nullable Instant periodStart,
    BigDecimal amount,
    Instant createdAt) {}
