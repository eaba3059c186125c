/** {@code POST /v1/embeddings}: sentence embeddings from the runtime's ONNX model. */
@NullMarked
package dev.latent.inference.embeddings;

import org.jspecify.annotations.NullMarked;
