package dev.latent.ml.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.block.Weights;
import dev.latent.ml.llm.io.Checkpoint;
import dev.latent.ml.llm.io.CheckpointException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Weights from and to a Hugging Face model directory ({@code config.json} + safetensors). */
final class HfCheckpoints {

  private HfCheckpoints() {}

  /** Every tensor the model asks for, read from {@code checkpoint}; names and shapes must match. */
  static Weights.Source source(Path dir, Checkpoint checkpoint) {
    return (name, shape, init, m, dtype) -> {
      if (!checkpoint.names().contains(name)) {
        throw new CheckpointException(dir + ": checkpoint lacks tensor " + name);
      }
      Shape actual = checkpoint.entry(name).shape();
      if (!actual.equals(shape)) {
        throw new CheckpointException(dir + ": tensor " + name + " has shape " + actual
            + " but config.json implies " + shape);
      }
      return checkpoint.load(name, m, dtype);
    };
  }

  /**
   * Writes config.json and the weights under their HF names, in shards of at most
   * {@code maxShardBytes} (plus the index when sharded); {@code bf16} stores BF16, else {@code dtype}.
   */
  static void save(Path dir, TransformerConfig config, Weights weights, DataType dtype, NDManager manager,
      long maxShardBytes, boolean bf16) {
    HfConfig.write(config, dir, bf16 ? "bfloat16" : dtype == DataType.FLOAT16 ? "float16" : "float32");
    try (NDManager scratch = manager.newSubManager()) {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      for (String name : weights.hfSlots().keySet()) {
        tensors.put(name, weights.hfTensor(name, scratch));
      }
      Checkpoint.write(dir, tensors, maxShardBytes, bf16);
    }
  }
}
