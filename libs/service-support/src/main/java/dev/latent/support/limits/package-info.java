/** Limits every service enforces at the edge, before a handler reads anything. */
@NullMarked
package dev.latent.support.limits;

import org.jspecify.annotations.NullMarked;
