package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.latent.ml.Engines;
import dev.latent.ml.llm.Transformer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Drives one {@link Transformer} through optimizer steps: full fine-tuning or LoRA, causal-LM
 * (pretraining, SFT with masked prompts) or DPO against a frozen reference model. One step is
 * {@code micro.size()} forward/backward passes whose gradients accumulate (each scaled by
 * 1/micro.size()), then global-norm clipping and one Adam/AdamW update at the schedule's rate.
 *
 * <p>DJL's PyTorch engine allows one gradient collector per JVM at a time, so forward/backward
 * passes of all trainers are serialised on {@link #AUTOGRAD}; several jobs interleave by step.
 */
public final class Trainer implements AutoCloseable {

  /** The JVM-wide autograd lock (DJL: "only one PtGradientCollector can be collecting"). */
  public static final ReentrantLock AUTOGRAD = new ReentrantLock();

  /** What one optimizer step did. */
  public record StepStats(long step, double loss, double lr, double gradNorm, long tokens,
      @Nullable DpoStats dpo) {}

  /**
   * Batch-mean DPO rewards of a step: chosen, rejected, their margin, pair accuracy, and the chosen
   * responses' NLL per token.
   */
  public record DpoStats(double chosenReward, double rejectedReward, double margin, double accuracy,
      double chosenNll) {}

  /** Preference pair batch: the same prompts with the chosen and rejected responses. */
  public record DpoBatch(LmBatch chosen, LmBatch rejected) {}

  private final Transformer model;
  private final @Nullable Transformer reference;
  private final @Nullable LoraAdapter lora;
  private final AdamOptimizer optimizer;
  private final LrSchedule schedule;
  private final double maxGradNorm;
  private final double beta;
  private final Map<String, NDArray> trained;
  private int lmHeadChunkRows;
  private int layerChunkRows = LayerRecompute.DEFAULT_LAYER_ROWS;
  private boolean recomputeActivations = true;
  private boolean releaseFreedMemory = true;
  private double rpoAlpha;
  private long recomputed;

  /**
   * @param lora when set, only the adapter trains; otherwise every parameter does
   * @param reference frozen copy for DPO (null for causal-LM training)
   */
  public Trainer(Transformer model, @Nullable LoraAdapter lora, @Nullable Transformer reference,
      AdamOptimizer.Settings settings, LrSchedule schedule, double maxGradNorm, double beta) {
    this.model = model;
    this.lora = lora;
    this.reference = reference;
    this.schedule = schedule;
    this.maxGradNorm = maxGradNorm;
    this.beta = beta;
    this.lmHeadChunkRows = LmHeadChunks.rowsFor(model.config().vocabSize());
    NDArray any = model.parameters().values().iterator().next();
    this.optimizer = new AdamOptimizer(settings, any.getManager());
    if (lora == null) {
      model.parameters().values().forEach(p -> p.setRequiresGradient(true));
      trained = model.parameters();
    } else {
      trained = lora.parameters();
    }
  }

  /** Positions per LM-head chunk (see {@link LmHeadChunks}); for tests and tuning. */
  public Trainer lmHeadChunkRows(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("chunk rows must be >= 1");
    }
    this.lmHeadChunkRows = rows;
    return this;
  }

  /**
   * Positions per layer chunk of the activation recomputation (whole sequences, at least one; see
   * {@link LayerRecompute}); for tests and tuning.
   */
  public Trainer layerChunkRows(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("chunk rows must be >= 1");
    }
    this.layerChunkRows = rows;
    return this;
  }

  /** Weight of the chosen responses' NLL added to the DPO loss (see {@link DpoLoss}); 0 by default. */
  public Trainer rpoAlpha(double alpha) {
    if (!(alpha >= 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException("rpo_alpha must be finite and >= 0");
    }
    this.rpoAlpha = alpha;
    return this;
  }

  /**
   * Causal-LM steps recompute each decoder layer's activations in the backward instead of keeping
   * them ({@link LayerRecompute}; on by default): the same loss and gradients, one layer's
   * activations at a time (a chunk of sequences of one layer), one more forward per step.
   */
  public Trainer activationRecompute(boolean on) {
    this.recomputeActivations = on;
    return this;
  }

  /**
   * Whether causal-LM steps give the pages of freed native memory back to the kernel between their
   * phases and at the step's end ({@link FreedMemory}; on by default where glibc allows it): the
   * same results, a lower resident peak, a page fault per reused page.
   */
  public Trainer releaseFreedMemory(boolean on) {
    this.releaseFreedMemory = on;
    return this;
  }

  /** Whether steps do release freed memory: set, and possible in this process (glibc, native access). */
  public boolean releasesFreedMemory() {
    return releaseFreedMemory && FreedMemory.available();
  }

  public AdamOptimizer optimizer() {
    return optimizer;
  }

  /** One causal-LM step over the micro-batches. */
  public StepStats step(List<LmBatch> micro) {
    return run(micro.size(), (m, i, gc, scale) -> {
      LmBatch b = micro.get(i);
      NDArray targets = ids(m, b.targets()).reshape(-1);
      NDArray mask = mask(m, b.mask()).reshape(-1);
      float loss = recomputeActivations
          ? LayerRecompute.backward(model, lora, ids(m, b.inputs()), targets, mask, scale, gc, lmHeadChunkRows,
              layerChunkRows, releaseFreedMemory)
          : LmHeadChunks.backward(model, model.hidden(ids(m, b.inputs()), lora), targets, mask, scale, gc,
              lmHeadChunkRows, releaseFreedMemory); // hidden [B*T, dim]
      return new Pass(loss, b.trainedTokens(), null);
    });
  }

  /** One DPO step over the micro-batches (the LM head unchunked: sequence sums need every row). */
  public StepStats dpoStep(List<DpoBatch> micro) {
    if (reference == null) {
      throw new IllegalStateException("DPO needs a reference model");
    }
    return run(micro.size(), (m, i, gc, scale) -> {
      DpoBatch b = micro.get(i);
      NDArray pc = logps(model, lora, m, b.chosen());
      NDArray pr = logps(model, lora, m, b.rejected());
      NDArray rc = logps(reference, null, m, b.chosen()).stopGradient();
      NDArray rr = logps(reference, null, m, b.rejected()).stopGradient();
      DpoLoss.Result r = DpoLoss.compute(pc, pr, rc, rr, beta, rpoAlpha, Math.max(1, b.chosen().trainedTokens()));
      gc.backward(r.loss().mul(scale));
      return new Pass(r.loss().getFloat(), b.chosen().trainedTokens() + b.rejected().trainedTokens(), r);
    });
  }

  /** Mean masked loss over {@code batches} without updating (eval loss; LoRA dropout off). */
  public double evalLoss(List<LmBatch> batches) {
    noGrad();
    if (lora != null) {
      lora.training(false);
    }
    double sum = 0;
    long tokens = 0;
    for (LmBatch b : batches) {
      try (NDManager m = NDManager.newBaseManager(model.options().device(), "PyTorch")) {
        long n = b.trainedTokens();
        NDArray hidden = model.hidden(ids(m, b.inputs()), lora);
        sum += LmHeadChunks.loss(model, hidden, ids(m, b.targets()).reshape(-1), mask(m, b.mask()).reshape(-1),
            lmHeadChunkRows) * n;
        tokens += n;
      }
    }
    return tokens == 0 ? Double.NaN : sum / tokens;
  }

  /**
   * PyTorch's grad mode is per thread and on by default in new threads; DJL only turns it on inside
   * a collector. Off here, so in-place updates of leaf parameters are allowed and evaluation
   * records no graph.
   */
  static void noGrad() {
    JniUtils.setGradMode(false);
  }

  private record Pass(float loss, long tokens, DpoLoss.@Nullable Result dpo) {}

  /** One micro-batch: forward, and backward of its loss times {@code scale} into the collector. */
  @FunctionalInterface
  private interface MicroStep {
    Pass run(NDManager m, int index, GradientCollector gc, float scale);
  }

  /**
   * Steps whose gradients came out non-finite with a finite loss and were recomputed. Seen in the
   * training-service (never in-process tests): the same seeded job fails at different steps from
   * run to run, every gradient below the final norm is NaN while the loss, the LM head's gradient
   * and all weights are finite. It is not the data or the math (a recomputation of the same
   * batch is finite), so the step is recomputed once instead of failing the job.
   */
  public long recomputedSteps() {
    return recomputed;
  }

  private StepStats run(int microCount, MicroStep microStep) {
    try {
      return attempt(microCount, microStep);
    } catch (NonFinite e) {
      if (!Double.isFinite(e.loss)) {
        throw e.failure; // a non-finite loss is the model's or the data's: recomputing repeats it
      }
      recomputed++;
      try {
        return attempt(microCount, microStep);
      } catch (NonFinite again) {
        throw again.failure;
      }
    }
  }

  private static final class NonFinite extends RuntimeException {
    final double loss;
    final ArithmeticException failure;

    NonFinite(double loss, ArithmeticException failure) {
      super(failure.getMessage(), null, false, false);
      this.loss = loss;
      this.failure = failure;
    }
  }

  private StepStats attempt(int microCount, MicroStep microStep) {
    if (microCount < 1) {
      throw new IllegalArgumentException("a step needs at least one micro-batch");
    }
    long step = optimizer.steps();
    double lr = schedule.lr(step);
    double lossSum = 0;
    long tokens = 0;
    List<DpoLoss.Result> dpo = new ArrayList<>();
    noGrad();
    try (NDManager m = NDManager.newBaseManager(model.options().device(), "PyTorch")) {
      AUTOGRAD.lock();
      try {
        if (lora != null) {
          lora.training(true);
        }
        for (int i = 0; i < microCount; i++) {
          try (NDManager micro = m.newSubManager();
              GradientCollector gc = Engines.pytorch().newGradientCollector()) {
            Pass pass = microStep.run(micro, i, gc, 1f / microCount);
            lossSum += pass.loss();
            tokens += pass.tokens();
            if (pass.dpo() != null) {
              dpo.add(pass.dpo());
            }
          }
        }
      } finally {
        if (lora != null) {
          lora.training(false);
        }
        AUTOGRAD.unlock();
      }
      Map<String, NDArray> grads = gradients(m);
      try {
        double norm = GradientClipping.clip(grads.values(), maxGradNorm);
        double loss = lossSum / microCount;
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
          throw new NonFinite(loss, new ArithmeticException("non-finite loss or gradient at step " + (step + 1)
              + " (loss " + loss + ", gradient norm " + norm + ", learning rate " + lr + ")"));
        }
        optimizer.step(trained, grads, (float) lr);
        if (releaseFreedMemory) {
          FreedMemory.release(); // the update's temporaries and the step's leftovers
        }
        return new StepStats(step + 1, loss, lr, norm, tokens, dpo.isEmpty() ? null : mean(dpo));
      } finally {
        grads.values().forEach(Trainer::zero); // PyTorch accumulates into .grad; DJL never zeroes it
      }
    }
  }

  private Map<String, NDArray> gradients(NDManager m) {
    if (lora != null) {
      return lora.gradients(m);
    }
    Map<String, NDArray> grads = new LinkedHashMap<>();
    model.parameters().forEach((name, p) -> {
      NDArray g = p.getGradient();
      g.attach(m); // the handle only: the gradient tensor stays with the parameter
      grads.put(name, g);
    });
    return grads;
  }

  /**
   * Sets a gradient to exactly 0 in place. Not {@code g·0} or {@code g−g}: after a non-finite
   * step those keep NaN (NaN·0, ∞−∞), and every later step of the job would inherit it.
   */
  static void zero(NDArray g) {
    g.set(new NDIndex(":"), 0f);
  }

  private static DpoStats mean(List<DpoLoss.Result> rs) {
    double c = 0;
    double r = 0;
    double a = 0;
    double nll = 0;
    for (DpoLoss.Result x : rs) {
      c += x.chosenReward();
      r += x.rejectedReward();
      a += x.accuracy();
      nll += x.chosenNll();
    }
    int n = rs.size();
    return new DpoStats(c / n, r / n, (c - r) / n, a / n, nll / n);
  }

  private static NDArray logps(Transformer t, @Nullable LoraAdapter delta, NDManager m, LmBatch b) {
    NDArray logits = t.logits(t.hidden(ids(m, b.inputs()), delta)).reshape(b.size(), b.length(), -1);
    return CausalLmLoss.sequenceLogProbs(logits, ids(m, b.targets()), mask(m, b.mask()));
  }

  static NDArray ids(NDManager m, long[][] rows) {
    long[] flat = new long[rows.length * rows[0].length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
    }
    return m.create(flat, new Shape(rows.length, rows[0].length));
  }

  static NDArray mask(NDManager m, float[][] rows) {
    float[] flat = new float[rows.length * rows[0].length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
    }
    return m.create(flat, new Shape(rows.length, rows[0].length));
  }

  @Override
  public void close() {
    optimizer.close();
  }
}
