/** Virtual API keys: the admin API that issues them, hashed storage, and request authentication. */
@NullMarked
package dev.latent.gateway.keys;

import org.jspecify.annotations.NullMarked;
