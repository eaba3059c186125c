/**
 * Metering: reserve the worst case at admission, watch the answer go by (usage chunk, delivered
 * chunks), and capture the exact cost exactly once per request id — also after a client
 * disconnect, a backend failure, or a gateway crash (the reconciler).
 */
@NullMarked
package dev.latent.gateway.metering;

import org.jspecify.annotations.NullMarked;
