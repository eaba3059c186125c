package dev.latent.ml.llm;

import static dev.latent.ml.llm.KvCacheConsistencyTest.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.io.CheckpointException;
import dev.latent.ml.llm.io.SafetensorsFile;
import dev.latent.ml.llm.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving and loading in Hugging Face layout, single-file and sharded, and what bad files say. */
class CheckpointTest {

  @TempDir
  Path dir;

  static final int[] PROMPT = {1, 2, 3, 50, 60};

  @Test
  void saveAndLoadGivesTheSameLogits() throws IOException {
    try (Transformer model = Transformer.random(TinyModels.moe(), 9, ModelOptions.cpu())) {
      model.save(dir);
      assertThat(dir.resolve("config.json")).exists();
      assertThat(dir.resolve("model.safetensors")).exists();
      try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
        assertThat(f.entries()).containsKeys("model.layers.1.self_attn.kv_a_proj_with_mqa.weight",
            "model.layers.1.mlp.experts.5.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "lm_head.weight");
      }
      try (Transformer loaded = Transformer.load(dir, ModelOptions.cpu())) {
        assertThat(loaded.config()).isEqualTo(model.config());
        assertClose(logits(loaded), logits(model));
      }
    }
  }

  @Test
  void shardedCheckpointWithIndexLoadsAndGivesTheSameLogits() {
    TransformerConfig tied = TinyModels.gqa().withTiedEmbeddings(true);
    try (Transformer model = Transformer.random(tied, 4, ModelOptions.cpu())) {
      model.save(dir, 8_000);
      assertThat(dir.resolve("model.safetensors.index.json")).exists();
      assertThat(dir.resolve("model.safetensors")).doesNotExist();
      assertThat(dir.resolve("model-00001-of-" + String.format("%05d", shardCount()) + ".safetensors")).exists();
      try (Transformer loaded = Transformer.load(dir, ModelOptions.cpu())) {
        assertThat(loaded.tensorNames()).doesNotContain("lm_head.weight");
        assertClose(logits(loaded), logits(model));
      }
    }
  }

  private long shardCount() {
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("model-")).count();
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void bf16AndF16TensorsRoundTrip() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray values = m.create(new float[] {1.5f, -2.25f, 0.125f, 3f}, new Shape(2, 2));
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      tensors.put("a.f16", values.toType(DataType.FLOAT16, true));
      tensors.put("a.f32", values);
      Path file = dir.resolve("t.safetensors");
      SafetensorsWriter.write(file, tensors, Map.of("format", "pt"));
      Path bf16 = dir.resolve("b.safetensors");
      SafetensorsWriter.write(bf16, Map.of("a.bf16", values), Map.of(), true);
      try (SafetensorsFile f = SafetensorsFile.open(file); SafetensorsFile b = SafetensorsFile.open(bf16)) {
        assertThat(f.metadata()).containsEntry("format", "pt");
        assertThat(b.entries().get("a.bf16").dtype()).isEqualTo(DataType.BFLOAT16);
        assertThat(b.load("a.bf16", m, DataType.FLOAT32).toFloatArray()).containsExactly(1.5f, -2.25f, 0.125f, 3f);
        for (String name : tensors.keySet()) {
          assertThat(f.load(name, m, DataType.FLOAT32).toFloatArray()).containsExactly(1.5f, -2.25f, 0.125f, 3f);
        }
      }
    }
  }

  @Test
  void bf16CheckpointLoadsIntoF32AndF16Models() throws IOException {
    try (Transformer model = Transformer.random(TinyModels.mla(), 2, ModelOptions.cpu())) {
      model.save(dir, Long.MAX_VALUE, true);
      assertThat(Files.readString(dir.resolve("config.json"))).contains("\"torch_dtype\": \"bfloat16\"");
      float[] expected = logits(model);
      try (Transformer f32 = Transformer.load(dir, ModelOptions.cpu());
          Transformer f16 = Transformer.load(dir, ModelOptions.cpu().withDtype(DataType.FLOAT16))) {
        float[] a = logits(f32);
        float[] b = logits(f16);
        for (int i = 0; i < expected.length; i++) {
          assertThat(a[i]).isCloseTo(expected[i], org.assertj.core.api.Assertions.within(0.05f));
          assertThat(b[i]).isCloseTo(a[i], org.assertj.core.api.Assertions.within(0.05f));
        }
      }
    }
    // bf16 weights run in ml-core's CPU kernel (kernel/Bf16ModelTest); DJL cannot hold them on a GPU
    assertThatThrownBy(() -> new ModelOptions(ai.djl.Device.gpu(), DataType.BFLOAT16, true)).hasMessageContaining("bf16");
  }

  @Test
  void truncatedFileFailsWithAClearMessage() throws IOException {
    try (Transformer model = Transformer.random(TinyModels.mha(), 1, ModelOptions.cpu())) {
      model.save(dir);
    }
    Path file = dir.resolve("model.safetensors");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 100);
    }
    assertThatThrownBy(() -> Transformer.load(dir, ModelOptions.cpu()))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("model.safetensors")
        .hasMessageContaining("truncated");
  }

  @Test
  void corruptHeaderFailsWithAClearMessage() throws IOException {
    Path file = dir.resolve("bad.safetensors");
    ByteBuffer b = ByteBuffer.allocate(8 + 16).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(16).put("{not json at all".getBytes());
    Files.write(file, b.array());
    assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("bad.safetensors").hasMessageContaining("corrupt");
    Files.write(file, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("truncated");
    ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
    Files.write(file, huge.array());
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("header length");
  }

  @Test
  void missingOrMisShapedTensorsAreNamed() throws IOException {
    try (Transformer model = Transformer.random(TinyModels.mha(), 1, ModelOptions.cpu())) {
      model.save(dir);
    }
    String config = Files.readString(dir.resolve("config.json"));
    Files.writeString(dir.resolve("config.json"), config.replace("\"intermediate_size\": 48", "\"intermediate_size\": 40"));
    assertThatThrownBy(() -> Transformer.load(dir, ModelOptions.cpu()))
        .isInstanceOf(CheckpointException.class).hasMessageContaining("gate_proj.weight").hasMessageContaining("shape");
    Files.writeString(dir.resolve("config.json"), config.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
    assertThatThrownBy(() -> Transformer.load(dir, ModelOptions.cpu()))
        .hasMessageContaining("lacks tensor model.layers.2.");
  }

  static float[] logits(Transformer model) {
    try (PagedKvCache cache = model.newKvCache(4, 4)) {
      KvSequence s = cache.newSequence();
      return model.prefill(s, PROMPT);
    }
  }
}
