package dev.latent.ml.vision.sr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.train.AdamOptimizer;
import dev.latent.ml.vision.ImageQuality;
import dev.latent.ml.vision.RgbImage;
import java.util.List;
import java.util.Random;

/**
 * Trains an {@link Espcn} on random aligned patches of (degraded, original) pairs with a pixel
 * MSE loss and Adam; the learning rate decays by cosine from {@code lr} to {@code lr/10}.
 */
public final class EspcnTrainer implements AutoCloseable {

  /** Training settings; {@code patch} is the low-resolution patch side. */
  public record Settings(int steps, int batch, int patch, float lr, long seed) {
    public Settings {
      if (steps < 1 || batch < 1 || patch < 4 || lr <= 0) {
        throw new IllegalArgumentException("steps, batch >= 1, patch >= 4 and lr > 0 required");
      }
    }

    public static Settings defaults(int steps) {
      return new Settings(steps, 16, 24, 2e-3f, 7);
    }
  }

  private final Espcn net;
  private final Settings settings;
  private final List<SrData.Pair> train;
  private final AdamOptimizer optimizer;
  private final Random rnd;
  private int step;

  public EspcnTrainer(Espcn net, List<SrData.Pair> train, Settings settings) {
    if (train.isEmpty()) {
      throw new IllegalArgumentException("no training images");
    }
    for (SrData.Pair p : train) {
      if (p.scale() != net.scale() || p.low().width() < settings.patch() || p.low().height() < settings.patch()) {
        throw new IllegalArgumentException("training pairs must be at scale " + net.scale()
            + " and at least " + settings.patch() + " low-resolution pixels on a side");
      }
    }
    this.net = net;
    this.settings = settings;
    this.train = train;
    this.optimizer = new AdamOptimizer(AdamOptimizer.Settings.of(AdamOptimizer.Kind.ADAM, 0f),
        net.params().manager());
    this.rnd = new Random(settings.seed());
  }

  public int step() {
    return step;
  }

  public boolean done() {
    return step >= settings.steps();
  }

  public double lr() {
    double t = Math.min(1.0, step / (double) settings.steps());
    return settings.lr() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * t)));
  }

  /** One optimizer step; returns the batch MSE (on [0, 1] values). */
  public double next() {
    SrData.Patches p = SrData.sample(train, settings.batch(), settings.patch(), rnd);
    int s = net.scale();
    int n = p.n();
    int lp = p.patch();
    float lr = (float) lr();
    double loss = net.params().step(m -> {
      NDArray low = m.create(p.low(), new Shape(n, 3, lp, lp));
      NDArray high = m.create(p.high(), new Shape(n, 3, (long) lp * s, (long) lp * s));
      return net.forward(low).sub(high).square().mean();
    }, optimizer, lr);
    step++;
    return loss;
  }

  /** Mean PSNR (dB, RGB, peak 255) of the network on held-out pairs. */
  public static double meanPsnr(Espcn net, List<SrData.Pair> pairs) {
    double sum = 0;
    for (SrData.Pair p : pairs) {
      RgbImage sr = net.upscale(p.low());
      sum += ImageQuality.psnr(p.high(), sr);
    }
    return sum / pairs.size();
  }

  @Override
  public void close() {
    optimizer.close();
  }
}
