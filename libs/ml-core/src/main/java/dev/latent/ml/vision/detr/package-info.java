/**
 * DETR's set prediction pieces: box geometry (GIoU), the matching cost (class + L1 + GIoU) and the
 * Hungarian assignment of predictions to targets. The network itself is not built yet.
 */
@NullMarked
package dev.latent.ml.vision.detr;

import org.jspecify.annotations.NullMarked;
