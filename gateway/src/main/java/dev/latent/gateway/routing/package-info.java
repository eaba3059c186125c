/** Which backend serves which path. */
@NullMarked
package dev.latent.gateway.routing;

import org.jspecify.annotations.NullMarked;
