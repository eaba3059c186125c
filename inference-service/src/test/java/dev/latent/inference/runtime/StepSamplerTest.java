package dev.latent.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.ml.llm.sampling.SampledToken;
import dev.latent.ml.llm.sampling.Sampler;
import dev.latent.ml.llm.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A decode step's sequences sampled on two threads pick what each sequence picks alone. */
class StepSamplerTest {

  @Test
  void splittingAStepOverTwoThreadsPicksTheSameTokensAsOneThread() {
    int batch = 16;
    int vocab = 4000;
    Random random = new Random(5);
    try (StepSampler step = new StepSampler("test")) {
      List<Sampler> split = samplers(batch);
      List<Sampler> alone = samplers(batch);
      for (int round = 0; round < 20; round++) {
        float[][] logits = new float[batch][vocab];
        for (float[] row : logits) {
          for (int v = 0; v < vocab; v++) {
            row[v] = (float) random.nextGaussian() * 2;
          }
        }
        SampledToken[] picks = step.sample(split, logits);
        for (int i = 0; i < batch; i++) {
          SampledToken expected = alone.get(i).next(logits[i]);
          assertThat(picks[i]).as("round %d sequence %d", round, i).isEqualTo(expected);
        }
      }
    }
  }

  private static List<Sampler> samplers(int batch) {
    List<Sampler> out = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      // mixed settings: plain sampling, top-k, top-p with logprobs, greedy with penalties
      SamplingParams p = switch (i % 4) {
        case 0 -> SamplingParams.sample(1.0, 100 + i);
        case 1 -> SamplingParams.sample(0.8, 100 + i).withTopK(40);
        case 2 -> SamplingParams.sample(1.0, 100 + i).withTopP(0.9).withTopLogprobs(2);
        default -> SamplingParams.greedy().withPenalties(1.1, 0.5, 0.2);
      };
      out.add(new Sampler(p.withStopTokenIds(Set.of(0)), new int[] {1, 2, 3}));
    }
    return out;
  }
}
