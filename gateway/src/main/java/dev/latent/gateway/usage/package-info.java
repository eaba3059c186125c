/** The usage API: totals ({@code /v1/usage}) and billed requests ({@code /v1/usage/requests}), JSON or CSV. */
@NullMarked
package dev.latent.gateway.usage;

import org.jspecify.annotations.NullMarked;
