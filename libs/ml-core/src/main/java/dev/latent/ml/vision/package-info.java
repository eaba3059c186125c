/**
 * Vision blocks shared by the vision service and training: image tensors and resampling, the
 * BlazeFace decoder, face alignment, face-api's recognition network and ESRGAN rebuilt in DJL from
 * their tfjs weights, PixelShuffle/ESPCN, image-quality metrics, and DETR's set matching.
 */
@NullMarked
package dev.latent.ml.vision;

import org.jspecify.annotations.NullMarked;
