package dev.latent.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The chunked LM head gives the unchunked loss and gradients. */
class LmHeadChunksTest {

  @ParameterizedTest(name = "tied embeddings {0}")
  @ValueSource(booleans = {false, true})
  void chunkedLossAndGradientsEqualTheUnchunkedOnes(boolean tied) {
    // SFT-like: the prompt is masked and the shorter sequence padded, so some chunks train nothing
    boolean[] first = {false, false, false, true, true, true, true, true, true};
    boolean[] second = {false, false, true, true, true};
    LmBatch batch = LmBatch.of(List.of(new LmBatch.Sequence(new int[] {3, 4, 5, 9, 10, 11, 12, 13, 14}, first),
        new LmBatch.Sequence(new int[] {7, 1, 2, 8, 6}, second)), 0);
    TransformerConfig config = TrainerTest.TINY.withTiedEmbeddings(tied);
    float plain;
    Map<String, float[]> plainGrads;
    try (Transformer model = Transformer.random(config, 5, ModelOptions.cpu());
        NDManager m = NDManager.newBaseManager("PyTorch")) {
      model.parameters().values().forEach(p -> p.setRequiresGradient(true));
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray loss = CausalLmLoss.loss(model.forward(Trainer.ids(m, batch.inputs())), Trainer.ids(m, batch.targets()),
            Trainer.mask(m, batch.mask()));
        gc.backward(loss);
        plain = loss.getFloat();
      }
      plainGrads = takeGradients(model, m);
    }
    // the same weights again, chunked first: no parameter has a gradient tensor yet
    try (Transformer model = Transformer.random(config, 5, ModelOptions.cpu())) {
      model.parameters().values().forEach(p -> p.setRequiresGradient(true));
      for (int rows : new int[] {1, 3, 7, 1000}) {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
          float chunked;
          try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray hidden = model.hidden(Trainer.ids(m, batch.inputs()), null);
            chunked = LmHeadChunks.backward(model, hidden, Trainer.ids(m, batch.targets()).reshape(-1),
                Trainer.mask(m, batch.mask()).reshape(-1), 1f, gc, rows, true);
          }
          assertThat(chunked).as("loss, %d rows per chunk", rows).isCloseTo(plain, within(1e-5f));
          Map<String, float[]> grads = takeGradients(model, m);
          assertThat(grads.keySet()).isEqualTo(plainGrads.keySet());
          grads.forEach((name, g) -> {
            float[] want = plainGrads.get(name);
            for (int i = 0; i < g.length; i++) {
              assertThat(g[i]).as("%s[%d], %d rows per chunk", name, i, rows).isCloseTo(want[i], within(1e-5f));
            }
          });
          NDArray hidden = model.hidden(Trainer.ids(m, batch.inputs()), null);
          assertThat(LmHeadChunks.loss(model, hidden, Trainer.ids(m, batch.targets()).reshape(-1),
              Trainer.mask(m, batch.mask()).reshape(-1), rows)).isCloseTo(plain, within(1e-5f));
        }
      }
    }
  }

  /** Copies every parameter's gradient and zeroes it for the next pass. */
  private static Map<String, float[]> takeGradients(Transformer model, NDManager m) {
    Map<String, float[]> out = new LinkedHashMap<>();
    model.parameters().forEach((name, p) -> {
      NDArray g = p.getGradient();
      g.attach(m);
      out.put(name, g.toFloatArray());
      Trainer.zero(g);
    });
    return out;
  }
}
