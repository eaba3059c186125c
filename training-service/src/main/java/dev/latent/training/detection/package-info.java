/** {@code method.type: detection}: trains the DETR of libs/ml-core on the generated shapes dataset. */
@NullMarked
package dev.latent.training.detection;

import org.jspecify.annotations.NullMarked;
