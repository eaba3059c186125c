/** Spring auto-configuration shared by every Latent service. */
@NullMarked
package dev.latent.support;

import org.jspecify.annotations.NullMarked;
