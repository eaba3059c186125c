package dev.latent.ml.vision.sr;

import ai.djl.ndarray.NDManager;
import dev.latent.ml.vision.Esrgan;
import dev.latent.ml.vision.ImageQuality;
import dev.latent.ml.vision.Resampling;
import dev.latent.ml.vision.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * PSNR/SSIM of every upscaling method against the originals: each held-out image is box-downscaled
 * by the scale and upscaled back; one JSON line per method and scale with the means over images.
 * Networks missing from the store are reported as {@code "missing"} rather than skipped silently.
 * Usage: {@code UpscaleQualityBench --store MODEL_STORE --images PATH[,PATH] [--scales 2,3,4]
 * [--max-side 512]} (MODEL_STORE holds {@code vision/<name>/}).
 */
public final class UpscaleQualityBench {

  private UpscaleQualityBench() {}

  public static void main(String[] args) throws Exception {
    Path store = Path.of("data/models");
    List<Path> images = new ArrayList<>();
    List<Integer> scales = List.of(2, 3, 4);
    int maxSide = 512;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--store" -> store = Path.of(args[i + 1]);
        case "--images" -> java.util.Arrays.stream(args[i + 1].split(",")).map(Path::of).forEach(images::add);
        case "--scales" -> scales = java.util.Arrays.stream(args[i + 1].split(",")).map(Integer::valueOf).toList();
        case "--max-side" -> maxSide = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    List<RgbImage> originals = new ArrayList<>();
    for (Path p : SrData.imageFiles(images)) {
      originals.add(SrData.read(p, maxSide));
    }
    if (originals.isEmpty()) {
      throw new IllegalArgumentException("no images in " + images);
    }
    Path vision = store.resolve("vision");
    try (NDManager nd = NDManager.newBaseManager("PyTorch")) {
      for (int scale : scales) {
        List<SrData.Pair> pairs = originals.stream().map(o -> SrData.Pair.of(o, scale)).toList();
        for (String method : List.of("nearest", "bilinear", "bicubic")) {
          Resampling r = Resampling.parse(method);
          report(method, scale, pairs, low -> r.resize(low, low.width() * scale, low.height() * scale), null);
        }
        Path espcnDir = vision.resolve("espcn-x" + scale);
        if (Files.isRegularFile(espcnDir.resolve(Espcn.WEIGHTS))) {
          try (Espcn espcn = Espcn.load(espcnDir, nd)) {
            report("espcn", scale, pairs, espcn::upscale, "espcn-x" + scale);
          }
        } else {
          missing("espcn", scale, "./platform train espcn");
        }
        Path esrganDir = vision.resolve("esrgan-slim-x" + scale);
        if (Files.isRegularFile(esrganDir.resolve("model.json"))) {
          try (Esrgan esrgan = Esrgan.load(esrganDir, nd, scale)) {
            report("esrgan", scale, pairs, esrgan::upscale, "esrgan-slim-x" + scale);
          }
        } else {
          missing("esrgan", scale, "./platform models pull esrgan-slim-x" + scale);
        }
      }
    }
  }

  private static void report(String method, int scale, List<SrData.Pair> pairs, UnaryOperator<RgbImage> up,
      String model) {
    double psnr = 0;
    double ssim = 0;
    long t0 = System.nanoTime();
    for (SrData.Pair p : pairs) {
      RgbImage out = up.apply(p.low());
      psnr += ImageQuality.psnr(p.high(), out);
      ssim += ImageQuality.ssim(p.high(), out);
    }
    double ms = (System.nanoTime() - t0) / 1e6 / pairs.size();
    System.out.printf(Locale.ROOT,
        "{\"task\":\"upscale-quality\",\"method\":\"%s\",\"scale\":%d,\"images\":%d,\"psnr\":%.3f,\"ssim\":%.4f,"
            + "\"ms_per_image\":%.1f%s}%n",
        method, scale, pairs.size(), psnr / pairs.size(), ssim / pairs.size(), ms,
        model == null ? "" : ",\"model\":\"" + model + "\"");
  }

  private static void missing(String method, int scale, String command) {
    System.out.printf(Locale.ROOT,
        "{\"task\":\"upscale-quality\",\"method\":\"%s\",\"scale\":%d,\"missing\":true,\"command\":\"%s\"}%n",
        method, scale, command);
  }
}
