/** {@code GET /v1/models} and the admin API that loads and unloads models. */
@NullMarked
package dev.latent.inference.models;

import org.jspecify.annotations.NullMarked;
