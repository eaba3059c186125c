package dev.latent.ml.llm;

import static dev.latent.ml.llm.KvCacheConsistencyTest.assertClose;

import dev.latent.ml.llm.TransformerConfig.Architecture;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine's logits equal those of a plain scalar Java implementation of the same model. */
class ReferenceImplementationTest {

  static Stream<Arguments> models() {
    TransformerConfig windowed = new TransformerConfig(Architecture.MISTRAL, TinyModels.VOCAB, 32, 48, 2, 4,
        2, 8, 2048, 1e-5, 10000.0, null, false, false, 3, 1, List.of(2), null, null);
    return Stream.of(
        Arguments.of("mha", TinyModels.mha()),
        Arguments.of("gqa", TinyModels.gqa()),
        Arguments.of("mqa", TinyModels.mqa()),
        Arguments.of("qwen2-bias-tied", TinyModels.gqa().withArchitecture(Architecture.QWEN2).withTiedEmbeddings(true)),
        Arguments.of("mistral-sliding-window", windowed),
        Arguments.of("mla-absorbed", TinyModels.mla()),
        Arguments.of("mla-qlora", TinyModels.mlaWithQLora()),
        Arguments.of("mla-moe", TinyModels.moe()),
        Arguments.of("mla-moe-group-limited", TinyModels.moe().withMla(TinyModels.moe().mla(),
            new TransformerConfig.Moe(8, 1, 3, 16, 1, 1, 1.5, false, 4, 2))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void prefillAndDecodeMatchTheScalarReference(String name, TransformerConfig config) {
    int[] tokens = {3, 14, 15, 92, 65, 35};
    try (Transformer model = Transformer.random(config, 11, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(8, 4)) {
      ScalarReference reference = new ScalarReference(model);
      KvSequence seq = cache.newSequence();
      float[] prefill = model.prefill(seq, KvCacheConsistencyTest.slice(tokens, 0, 5));
      assertClose(prefill, reference.lastLogits(KvCacheConsistencyTest.slice(tokens, 0, 5)));
      float[] decoded = model.decode(List.of(seq), new int[] {tokens[5]})[0];
      assertClose(decoded, reference.lastLogits(tokens));
    }
  }
}
