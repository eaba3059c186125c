/** {@code POST /v1/vision/detect}: the platform's own DETR (trained by a training-service detection job). */
@NullMarked
package dev.latent.vision.detect;

import org.jspecify.annotations.NullMarked;
