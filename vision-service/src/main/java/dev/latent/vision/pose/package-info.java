/**
 * {@code POST /v1/vision/pose}: 33 body landmarks with scores from MediaPipe's pose landmark
 * network (direct regression; TFLite through OpenCV DNN), the whole image letterboxed in.
 */
@NullMarked
package dev.latent.vision.pose;

import org.jspecify.annotations.NullMarked;
