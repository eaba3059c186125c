/** Upscaling: classic interpolation, the platform's ESPCN and ESRGAN-slim super-resolution, answering PNG. */
@NullMarked
package dev.latent.vision.upscale;

import org.jspecify.annotations.NullMarked;
