package dev.latent.ml.llm.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {

  static final float[] LOGITS = {1.0f, 3.0f, 2.5f, -1.0f, 0.5f, 2.9f};

  @Test
  void greedyTakesTheArgmax() {
    assertThat(new Sampler(SamplingParams.greedy(), new int[0]).next(LOGITS).id()).isEqualTo(1);
  }

  @Test
  void sameSeedSameTokensAndDifferentSeedsExplore() {
    int[] a = run(SamplingParams.sample(1.0, 42), 50);
    int[] b = run(SamplingParams.sample(1.0, 42), 50);
    assertThat(a).containsExactly(b);
    Set<Integer> seen = new HashSet<>();
    for (int id : a) {
      seen.add(id);
    }
    assertThat(seen.size()).isGreaterThan(2);
  }

  @Test
  void topKTopPAndMinPRestrictTheCandidates() {
    assertThat(distinct(SamplingParams.sample(1.0, 1).withTopK(2))).containsOnly(1, 5);
    // p(1)+p(5) ~ 0.55 of the mass: top_p 0.5 keeps exactly these two
    assertThat(distinct(SamplingParams.sample(1.0, 2).withTopP(0.5))).containsOnly(1, 5);
    // min_p 0.55: tokens within e^-0.6 of the best (1, 5, 2) survive
    assertThat(distinct(SamplingParams.sample(1.0, 3).withMinP(0.55))).containsOnly(1, 5, 2);
    assertThat(distinct(SamplingParams.sample(1.0, 4).withTopK(1))).containsOnly(1);
  }

  @Test
  void untruncatedDrawsFollowTheSoftmax() {
    Sampler s = new Sampler(SamplingParams.sample(1.0, 9), new int[0]);
    int[] counts = new int[LOGITS.length];
    int draws = 20_000;
    for (int i = 0; i < draws; i++) {
      counts[s.next(LOGITS).id()]++;
    }
    double z = 0;
    for (float l : LOGITS) {
      z += Math.exp(l);
    }
    for (int id = 0; id < LOGITS.length; id++) {
      assertThat((double) counts[id] / draws).as("token %d", id).isCloseTo(Math.exp(LOGITS[id]) / z, within(0.015));
    }
  }

  @Test
  void topKOverALargeVocabularyKeepsExactlyTheKMostLikely() {
    java.util.Random random = new java.util.Random(3);
    float[] logits = new float[5000];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) random.nextGaussian() * 0.1f;
    }
    Integer[] ids = new Integer[logits.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i;
    }
    java.util.Arrays.sort(ids, (a, b) -> Float.compare(logits[b], logits[a]));
    Set<Integer> top = new HashSet<>(java.util.Arrays.asList(ids).subList(0, 7));
    Sampler s = new Sampler(SamplingParams.sample(1.0, 11).withTopK(7), new int[0]);
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      seen.add(s.next(logits).id());
    }
    assertThat(seen).isEqualTo(top);
  }

  @Test
  void penaltiesPushRepeatedTokensDown() {
    Sampler repetition = new Sampler(SamplingParams.greedy().withPenalties(2.0, 0, 0), new int[] {1});
    assertThat(repetition.next(LOGITS).id()).isEqualTo(5); // 3.0 / 2 < 2.9
    Sampler presence = new Sampler(SamplingParams.greedy().withPenalties(1.0, 1.0, 0), new int[0]);
    assertThat(presence.next(LOGITS).id()).isEqualTo(1);
    assertThat(presence.next(LOGITS).id()).isEqualTo(5); // 1 now 2.0
    assertThat(presence.next(LOGITS).id()).isEqualTo(2); // 5 now 1.9; 2 at 2.5
    Sampler frequency = new Sampler(SamplingParams.greedy().withPenalties(1.0, 0, 0.08), new int[0]);
    for (int i = 0; i < 2; i++) {
      assertThat(frequency.next(LOGITS).id()).isEqualTo(1); // 3.0, then 2.92 > 2.9
    }
    assertThat(frequency.next(LOGITS).id()).isEqualTo(5); // 3.0 - 2 * 0.08 = 2.84 < 2.9
  }

  @Test
  void logprobsAndStopIds() {
    SamplingParams p = SamplingParams.greedy().withTopLogprobs(3).withStopTokenIds(Set.of(1));
    SampledToken t = new Sampler(p, new int[0]).next(LOGITS);
    assertThat(t.stop()).isTrue();
    double z = 0;
    for (float l : LOGITS) {
      z += Math.exp(l);
    }
    assertThat(t.logprob()).isCloseTo((float) (3.0 - Math.log(z)), within(1e-5f));
    assertThat(t.top()).extracting(SampledToken.TopLogprob::id).containsExactly(1, 5, 2);
    assertThat(new Sampler(SamplingParams.greedy(), new int[0]).next(LOGITS).logprob()).isNaN();
  }

  @Test
  void invalidParametersAreRejected() {
    assertThatThrownBy(() -> SamplingParams.sample(-1, 1)).hasMessageContaining("temperature");
    assertThatThrownBy(() -> SamplingParams.greedy().withTopP(0)).hasMessageContaining("top_p");
    assertThatThrownBy(() -> SamplingParams.greedy().withTopLogprobs(21)).hasMessageContaining("top_logprobs");
  }

  private static int[] run(SamplingParams params, int n) {
    Sampler s = new Sampler(params, new int[0]);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = s.next(LOGITS).id();
    }
    return out;
  }

  private static Set<Integer> distinct(SamplingParams params) {
    Set<Integer> seen = new HashSet<>();
    for (int id : run(params, 300)) {
      seen.add(id);
    }
    return seen;
  }
}
