package dev.latent.ml.vision.pose;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Heatmap versus regression on generated stick figures: trains each {@link PoseNet} head for the
 * same number of steps on the same stream of generated batches, then scores all of them on one
 * held-out generated set (its own seed). One JSON line per head/decoding with the mean pixel
 * error, PCK at 0.05 and 0.1 of the image side (3.2 and 6.4 px) and the training time.
 * Usage: {@code PoseBench [--steps 1500] [--batch 16] [--eval 400] [--heads heatmap,rle,l1] [--out DIR]}.
 */
public final class PoseBench {

  private PoseBench() {}

  /** Scores of one prediction set. */
  public record Score(double meanError, double pck05, double pck10) {}

  public static Score score(List<StickFigures.Sample> truth, double[][][] pred) {
    double sum = 0;
    int n = 0;
    int hit05 = 0;
    int hit10 = 0;
    for (int i = 0; i < truth.size(); i++) {
      for (int j = 0; j < pred[i].length; j++) {
        double d = Math.hypot(pred[i][j][0] - truth.get(i).xs()[j], pred[i][j][1] - truth.get(i).ys()[j]);
        sum += d;
        n++;
        hit05 += d <= 0.05 * PoseNet.SIZE ? 1 : 0;
        hit10 += d <= 0.1 * PoseNet.SIZE ? 1 : 0;
      }
    }
    return new Score(sum / n, hit05 / (double) n, hit10 / (double) n);
  }

  public static List<StickFigures.Sample> heldOut(int n) {
    Random rnd = new Random(424242);
    List<StickFigures.Sample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(StickFigures.sample(PoseNet.SIZE, rnd));
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    int steps = 1500;
    int batch = 16;
    int eval = 400;
    List<String> heads = List.of("heatmap", "rle", "l1");
    Path out = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--steps" -> steps = Integer.parseInt(args[i + 1]);
        case "--batch" -> batch = Integer.parseInt(args[i + 1]);
        case "--eval" -> eval = Integer.parseInt(args[i + 1]);
        case "--heads" -> heads = List.of(args[i + 1].split(","));
        case "--out" -> out = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    List<StickFigures.Sample> test = heldOut(eval);
    try (NDManager nd = NDManager.newBaseManager("PyTorch")) {
      for (String h : heads) {
        PoseNet.Head head = PoseNet.Head.valueOf(h.toUpperCase(Locale.ROOT));
        try (PoseNet net = new PoseNet(head, StickFigures.JOINTS.size(), nd, 11)) {
          long t0 = System.nanoTime();
          double loss = net.train(steps, batch, 2e-3f, 99, s -> { });
          double seconds = (System.nanoTime() - t0) / 1e9;
          if (out != null) {
            net.params().save(out.resolve("pose-" + h + ".ndlist"));
          }
          List<Boolean> decodings = head == PoseNet.Head.HEATMAP ? List.of(false, true) : List.of(false);
          for (boolean soft : decodings) {
            double[][][] pred = new double[test.size()][][];
            for (int i = 0; i < test.size(); i += 50) {
              List<StickFigures.Sample> chunk = test.subList(i, Math.min(test.size(), i + 50));
              double[][][] p = net.predict(chunk, soft);
              System.arraycopy(p, 0, pred, i, p.length);
            }
            Score s = score(test, pred);
            String decoding = head == PoseNet.Head.HEATMAP ? (soft ? "soft-argmax" : "argmax") : "direct";
            System.out.printf(Locale.ROOT,
                "{\"task\":\"pose-generated\",\"head\":\"%s\",\"decoding\":\"%s\",\"steps\":%d,\"batch\":%d,"
                    + "\"held_out\":%d,\"mean_px_error\":%.3f,\"pck_0.05\":%.4f,\"pck_0.1\":%.4f,"
                    + "\"final_loss\":%.4f,\"train_seconds\":%.1f,\"params\":%d}%n",
                h, decoding, steps, batch, test.size(), s.meanError(), s.pck05(), s.pck10(), loss, seconds,
                net.params().count());
          }
        }
      }
    }
  }
}
