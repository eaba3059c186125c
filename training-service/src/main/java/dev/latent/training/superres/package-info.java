/** {@code method.type: super_resolution}: ESPCN jobs (dev.latent.ml.vision.sr) through the jobs API. */
@NullMarked
package dev.latent.training.superres;

import org.jspecify.annotations.NullMarked;
