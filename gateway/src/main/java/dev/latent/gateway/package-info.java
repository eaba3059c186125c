/** The gateway: routes, keys, limits, metering and billing in front of every service. */
@NullMarked
package dev.latent.gateway;

import org.jspecify.annotations.NullMarked;
