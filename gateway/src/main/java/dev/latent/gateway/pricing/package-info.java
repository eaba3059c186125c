/** What tokens cost: per-model prices per 1M tokens (cache hit, cache miss, output) and off-peak windows. */
@NullMarked
package dev.latent.gateway.pricing;

import org.jspecify.annotations.NullMarked;
