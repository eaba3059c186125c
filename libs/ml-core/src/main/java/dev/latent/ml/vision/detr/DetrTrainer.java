package dev.latent.ml.vision.detr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.latent.ml.Engines;
import dev.latent.ml.train.AdamOptimizer;
import dev.latent.ml.train.GradientClipping;
import dev.latent.ml.train.LrSchedule;
import dev.latent.ml.train.Trainer;
import dev.latent.ml.vision.RgbImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a {@link Detr}: forward, set-prediction loss, backward (under {@link Trainer#AUTOGRAD}, so
 * it can share a JVM with other training jobs), global-norm clipping, one AdamW update at the
 * schedule's rate. Also evaluates mAP@0.5 on a held-out list of samples.
 */
public final class DetrTrainer implements AutoCloseable {

  /** What one step did. */
  public record StepStats(long step, double loss, double classLoss, double l1, double giou, double lr,
      double gradNorm) {}

  private final Detr model;
  private final DetrLoss loss;
  private final AdamOptimizer optimizer;
  private final LrSchedule schedule;
  private final double maxGradNorm;

  public DetrTrainer(Detr model, DetrLoss loss, AdamOptimizer.Settings settings, LrSchedule schedule,
      double maxGradNorm) {
    this.model = model;
    this.loss = loss;
    this.schedule = schedule;
    this.maxGradNorm = maxGradNorm;
    this.optimizer = new AdamOptimizer(settings, model.manager());
    model.parameters().values().forEach(p -> p.setRequiresGradient(true));
  }

  public AdamOptimizer optimizer() {
    return optimizer;
  }

  public StepStats step(List<ShapesDataset.Sample> batch) {
    JniUtils.setGradMode(false);
    long step = optimizer.steps();
    double lr = schedule.lr(step);
    try (NDManager m = model.manager().newSubManager()) {
      NDArray images = model.toTensor(m, batch.stream().map(ShapesDataset.Sample::image).toList());
      List<DetrLoss.Target> targets = batch.stream().map(s -> new DetrLoss.Target(s.classes(), s.boxes())).toList();
      DetrLoss.Value value;
      double total;
      Trainer.AUTOGRAD.lock();
      try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
        value = loss.compute(model.forward(images), targets);
        total = value.loss().getFloat();
        if (!Double.isFinite(total)) { // no backward: the gradients stay zero
          throw new ArithmeticException("non-finite loss at step " + (step + 1));
        }
        gc.backward(value.loss());
      } finally {
        Trainer.AUTOGRAD.unlock();
      }
      Map<String, NDArray> grads = new LinkedHashMap<>();
      model.parameters().forEach((name, p) -> {
        NDArray g = p.getGradient();
        g.attach(m); // the handle only: the gradient tensor stays with the parameter
        grads.put(name, g);
      });
      double norm = GradientClipping.clip(grads.values(), maxGradNorm);
      if (!Double.isFinite(total) || !Double.isFinite(norm)) {
        for (NDArray g : grads.values()) { // masked fill in place: NaN·0 would stay NaN
          g.set(g.isNaN().logicalOr(g.isInfinite()), 0f);
          g.muli(0f);
        }
        throw new ArithmeticException("non-finite loss or gradient at step " + (step + 1));
      }
      optimizer.step(model.parameters(), grads, (float) lr);
      grads.values().forEach(g -> g.muli(0f)); // PyTorch accumulates into .grad
      return new StepStats(step + 1, total, value.classLoss(), value.l1(), value.giou(), lr, norm);
    }
  }

  /** mAP@0.5 (VOC style) of {@code model} on {@code samples}, every query's best class as a detection. */
  public static MeanAp.Result evaluate(Detr model, List<ShapesDataset.Sample> samples, int batchSize) {
    JniUtils.setGradMode(false);
    List<List<MeanAp.Prediction>> preds = new ArrayList<>();
    List<List<MeanAp.Truth>> truths = new ArrayList<>();
    for (int i = 0; i < samples.size(); i += batchSize) {
      List<ShapesDataset.Sample> part = samples.subList(i, Math.min(samples.size(), i + batchSize));
      List<RgbImage> images = part.stream().map(ShapesDataset.Sample::image).toList();
      List<List<Detr.Detection>> dets = model.detect(images, 0);
      for (int k = 0; k < part.size(); k++) {
        RgbImage img = images.get(k);
        preds.add(dets.get(k).stream().map(d -> new MeanAp.Prediction(d.classId(), d.score(),
            new double[] {d.x0() / img.width(), d.y0() / img.height(), d.x1() / img.width(), d.y1() / img.height()}))
            .toList());
        ShapesDataset.Sample s = part.get(k);
        List<MeanAp.Truth> t = new ArrayList<>();
        for (int j = 0; j < s.classes().length; j++) {
          t.add(new MeanAp.Truth(s.classes()[j], Boxes.corners(s.boxes()[j])));
        }
        truths.add(t);
      }
    }
    return MeanAp.evaluate(preds, truths, model.config().numClasses(), 0.5);
  }

  @Override
  public void close() {
    optimizer.close();
  }
}
