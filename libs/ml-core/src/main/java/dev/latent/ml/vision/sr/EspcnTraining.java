package dev.latent.ml.vision.sr;

import ai.djl.ndarray.NDManager;
import dev.latent.ml.vision.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The ESPCN training recipe shared by {@code ./platform train espcn} (this class's main) and the
 * training-service's {@code super_resolution} jobs: loads the training photos (plus rendered
 * patterns), trains one network per scale, reports held-out PSNR against bicubic, and installs
 * each as {@code <store>/vision/espcn-x<scale>/} with the {@code .installed} manifest the vision
 * service reads.
 */
public final class EspcnTraining {

  /** What to train on and how long. */
  public record Recipe(List<Path> train, List<Path> heldOut, List<Integer> scales, int steps, int patterns,
      int maxSide, long seed) {}

  private EspcnTraining() {}

  /**
   * Trains every scale of the recipe and installs it under {@code store}; calls {@code progress}
   * with JSON lines (every 50 steps and per finished scale). {@code cancelled} is polled per step.
   */
  public static List<String> run(Recipe recipe, Path store, NDManager manager, Consumer<String> progress,
      java.util.function.BooleanSupplier cancelled) throws IOException {
    List<RgbImage> trainImages = new ArrayList<>();
    for (Path p : SrData.imageFiles(recipe.train())) {
      trainImages.add(SrData.read(p, recipe.maxSide()));
    }
    Random rnd = new Random(recipe.seed());
    for (int i = 0; i < recipe.patterns(); i++) {
      trainImages.add(SrData.pattern(192, rnd));
    }
    List<RgbImage> held = new ArrayList<>();
    for (Path p : SrData.imageFiles(recipe.heldOut())) {
      held.add(SrData.read(p, recipe.maxSide()));
    }
    if (trainImages.isEmpty()) {
      throw new IOException("no training images in " + recipe.train());
    }
    List<String> results = new ArrayList<>();
    for (int scale : recipe.scales()) {
      List<SrData.Pair> train = trainImages.stream().map(im -> SrData.Pair.of(im, scale)).toList();
      List<SrData.Pair> eval = held.stream().map(im -> SrData.Pair.of(im, scale)).toList();
      try (Espcn net = new Espcn(scale, manager, recipe.seed() + scale);
          EspcnTrainer trainer = new EspcnTrainer(net, train,
              new EspcnTrainer.Settings(recipe.steps(), 16, 16, 1e-3f, recipe.seed() + scale))) {
        long t0 = System.nanoTime();
        double avg = 0;
        while (!trainer.done()) {
          if (cancelled.getAsBoolean()) {
            throw new java.util.concurrent.CancellationException("cancelled at step " + trainer.step());
          }
          double loss = trainer.next();
          avg = trainer.step() == 1 ? loss : 0.98 * avg + 0.02 * loss;
          if (trainer.step() % 50 == 0 || trainer.done()) {
            progress.accept(String.format(Locale.ROOT,
                "{\"event\":\"step\",\"scale\":%d,\"step\":%d,\"loss\":%.6f,\"lr\":%.6f}", scale, trainer.step(),
                avg, trainer.lr()));
          }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double psnr = eval.isEmpty() ? Double.NaN : EspcnTrainer.meanPsnr(net, eval);
        double bicubic = eval.isEmpty() ? Double.NaN : eval.stream().mapToDouble(p ->
            dev.latent.ml.vision.ImageQuality.psnr(p.high(), dev.latent.ml.vision.Resampling.BICUBIC.resize(
                p.low(), p.high().width(), p.high().height()))).average().orElse(Double.NaN);
        Path dir = store.resolve("vision").resolve("espcn-x" + scale);
        install(net, dir, recipe, psnr);
        String line = String.format(Locale.ROOT,
            "{\"event\":\"trained\",\"model\":\"espcn-x%d\",\"scale\":%d,\"steps\":%d,\"seconds\":%.1f,"
                + "\"params\":%d,\"train_images\":%d,\"held_out_images\":%d,\"held_out_psnr\":%s,"
                + "\"held_out_psnr_bicubic\":%s,\"dir\":\"%s\"}",
            scale, scale, trainer.step(), seconds, net.params().count(), train.size(), eval.size(), num(psnr),
            num(bicubic),
            dir.toString().replace("\\", "/"));
        progress.accept(line);
        results.add(line);
      }
    }
    return results;
  }

  private static void install(Espcn net, Path dir, Recipe recipe, double psnr) throws IOException {
    Path tmp = dir.resolveSibling("." + dir.getFileName() + ".tmp");
    if (Files.exists(tmp)) {
      try (var s = Files.walk(tmp)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(tmp);
    net.save(tmp);
    String sha = sha256(tmp.resolve(Espcn.WEIGHTS));
    Files.writeString(tmp.resolve("training.json"), String.format(Locale.ROOT,
        "{\"scale\":%d,\"steps\":%d,\"train\":\"%s\",\"held_out\":\"%s\",\"held_out_psnr\":%s}%n",
        net.scale(), recipe.steps(), recipe.train(), recipe.heldOut(), num(psnr)));
    // the manifest the model store uses: file, sha256, source, task, licence (tab-separated)
    Files.writeString(tmp.resolve(".installed"),
        Espcn.WEIGHTS + "\t" + sha + "\ttrained:espcn\tsuper-resolution\town\n");
    if (Files.exists(dir)) {
      try (var s = Files.walk(dir)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.move(tmp, dir);
  }

  private static String num(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "null";
  }

  static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code EspcnTraining --store DIR --train PATH[,PATH] --held-out PATH[,PATH] [--scales 2,3,4]
   * [--steps 1000] [--patterns 4] [--max-side 512] [--seed 1]}.
   */
  public static void main(String[] args) throws Exception {
    Path store = null;
    List<Path> train = new ArrayList<>();
    List<Path> held = new ArrayList<>();
    List<Integer> scales = List.of(2, 3, 4);
    int steps = 1000;
    int patterns = 4;
    int maxSide = 512;
    long seed = 1;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--store" -> store = Path.of(v);
        case "--train" -> paths(v).forEach(train::add);
        case "--held-out" -> paths(v).forEach(held::add);
        case "--scales" -> scales = java.util.Arrays.stream(v.split(",")).map(String::trim).map(Integer::valueOf).toList();
        case "--steps" -> steps = Integer.parseInt(v);
        case "--patterns" -> patterns = Integer.parseInt(v);
        case "--max-side" -> maxSide = Integer.parseInt(v);
        case "--seed" -> seed = Long.parseLong(v);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (store == null) {
      throw new IllegalArgumentException("--store is required");
    }
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      run(new Recipe(train, held, scales, steps, patterns, maxSide, seed), store, manager, System.out::println,
          () -> false);
    }
  }

  private static List<Path> paths(String csv) {
    return java.util.Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of).toList();
  }
}
