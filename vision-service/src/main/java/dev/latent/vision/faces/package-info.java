/** Faces: BlazeFace detection, keypoint alignment, face-api descriptors, verification. */
@NullMarked
package dev.latent.vision.faces;

import org.jspecify.annotations.NullMarked;
