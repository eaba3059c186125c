package dev.latent.gateway.limits;

import java.time.Duration;

/**
 * The limiter's answer for one request, and the numbers behind OpenAI's {@code x-ratelimit-*}
 * headers. A limit of -1 means none.
 */
public record Admission(
    boolean allowed,
    long limitRequests,
    long remainingRequests,
    long limitTokens,
    long remainingTokens,
    Duration reset) {}
