/** Requests and tokens per minute per key: in memory alone, shared through Redis by replicas. */
@NullMarked
package dev.latent.gateway.limits;

import org.jspecify.annotations.NullMarked;
