/** The vision service: faces, detection, pose, OCR and upscaling. */
@NullMarked
package dev.latent.vision;

import org.jspecify.annotations.NullMarked;
