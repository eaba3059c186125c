/**
 * DETR's set prediction pieces: box geometry (GIoU), the matching cost (class + L1 + GIoU) and the
 * Hungarian assignment of predictions to targets. The network ({@link Detr}), its set-prediction loss ({@link DetrLoss}), training ({@link DetrTrainer},
 * {@link DetrTraining}), the generated shapes dataset ({@link ShapesDataset}) and mAP@0.5 ({@link MeanAp}).
 */
@NullMarked
package dev.latent.ml.vision.detr;

import org.jspecify.annotations.NullMarked;
