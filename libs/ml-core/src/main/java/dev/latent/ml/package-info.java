/**
 * Model code shared by inference, vision and training, on DJL and without Spring: one transformer
 * definition used for serving and for training, checkpoint IO, tokenizers, sampling, training
 * math, and the vision networks.
 */
@NullMarked
package dev.latent.ml;

import org.jspecify.annotations.NullMarked;
