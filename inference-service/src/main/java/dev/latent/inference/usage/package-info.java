/**
 * Each request's usage by {@code X-Request-Id}, kept after the request ends (also after a client
 * disconnect) so the gateway can bill from {@code GET /internal/usage/{requestId}}.
 */
@NullMarked
package dev.latent.inference.usage;

import org.jspecify.annotations.NullMarked;
