/**
 * Human pose: MediaPipe's pose landmark network (BlazePose GHUM, direct regression of 33 body
 * landmarks plus visibility) run through OpenCV DNN from its TFLite file, and the other paradigm
 * trained here on generated stick figures: a heatmap head (argmax / soft-argmax decoding) and a
 * regression head with the RLE residual log-likelihood loss, with a bench comparing them.
 */
@NullMarked
package dev.latent.ml.vision.pose;

import org.jspecify.annotations.NullMarked;
