/**
 * Super-resolution the platform trains itself: ESPCN (a PixelShuffle network), its patch trainer,
 * the data it learns from, and a PSNR/SSIM benchmark of every upscaling method on held-out images.
 * {@link dev.latent.ml.vision.sr.NamedParams} (functional weights + Adam step under the JVM-wide
 * autograd lock) is shared with the small pose heads in {@code dev.latent.ml.vision.pose}.
 */
@NullMarked
package dev.latent.ml.vision.sr;

import org.jspecify.annotations.NullMarked;
