package dev.latent.vision.bench;

import ai.djl.ndarray.NDManager;
import dev.latent.ml.vision.FaceAligner;
import dev.latent.ml.vision.FaceDetection;
import dev.latent.ml.vision.FaceDetector;
import dev.latent.ml.vision.FaceRecognitionNet;
import dev.latent.ml.vision.RgbImage;
import dev.latent.ml.vision.pose.MediaPipePose;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;

/**
 * Closed-loop load against a running vision service: {@code concurrency} clients each send the next
 * request when the last one answered, for {@code seconds}; one JSON line per concurrency with
 * images/s and latency percentiles. For faces it also runs the same models in-process (detect,
 * align, describe; no HTTP, no batching) and reports that as {@code direct_images_per_s}; for pose
 * the same with the landmark network.
 * Usage: VisionBench TASK BASE_URL MODEL_STORE SECONDS CONCURRENCY...
 */
public final class VisionBench {

  private VisionBench() {}

  public static void main(String[] args) throws Exception {
    String task = args[0];
    String base = args[1];
    Path store = Path.of(args[2]).resolve("vision");
    int seconds = Integer.parseInt(args[3]);
    RgbImage photo = task.equals("detect") ? RgbImage.blank(1, 1)
        : RgbImage.of(ImageIO.read(store.resolve("face-samples/sample1.jpg").toFile()));
    HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(4)).build();
    // sample1.jpg: one woman head to feet (the crop PoseApiTest uses)
    RgbImage person = task.equals("pose") ? photo.crop(620, 280, 540, 1000) : photo;
    Double direct = switch (task) {
      case "faces" -> directFaces(store, photo.crop(230, 250, 600, 600), seconds);
      case "pose" -> directPose(store, person, seconds);
      default -> null;
    };
    String path;
    String body;
    switch (task) {
      case "faces" -> {
        String created = send(http, base + "/v1/vision/collections", "{\"name\":\"bench\"}");
        String id = created.replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
        String face = b64(photo.crop(230, 250, 600, 600), "jpg");
        send(http, base + "/v1/vision/collections/" + id + "/subjects/a/faces", "{\"image\":\"" + face + "\"}");
        path = "/v1/vision/collections/" + id + "/identify";
        body = "{\"image\":\"" + face + "\"}";
      }
      case "upscale" -> {
        path = "/v1/vision/upscale";
        body = "{\"image\":\"" + b64(photo.crop(400, 400, 128, 128), "png") + "\",\"scale\":2,\"method\":\"esrgan\"}";
      }
      case "detect" -> { // a held-out image of the generated shapes set the DETR was trained on
        path = "/v1/vision/detect";
        body = "{\"image\":\"" + b64(new dev.latent.ml.vision.detr.ShapesDataset(1, 64, 3)
            .sample(dev.latent.ml.vision.detr.ShapesDataset.Split.HELD_OUT, 0).image(), "png") + "\"}";
      }
      case "pose" -> {
        path = "/v1/vision/pose";
        body = "{\"image\":\"" + b64(person, "jpg") + "\"}";
      }
      case "ocr" -> {
        path = "/v1/vision/ocr";
        body = "{\"image\":\"" + b64(textImage(), "png") + "\"}";
      }
      default -> {
        System.out.printf("{\"task\":\"%s\",\"error\":\"not implemented: no %s endpoint yet\"}%n", task, task);
        return;
      }
    }
    for (int i = 4; i < args.length; i++) {
      for (String c : args[i].split(",")) {
        run(http, task, base + path, body, Integer.parseInt(c.trim()), seconds, direct);
      }
    }
    System.exit(0);
  }

  private static void run(HttpClient http, String task, String url, String body, int concurrency, int seconds,
      Double direct) throws Exception {
    for (int w = 0; w < 10; w++) {
      send(http, url, body); // warm-up: model load, JIT
    }
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    ExecutorService clients = Executors.newFixedThreadPool(concurrency);
    List<Future<Integer>> errors = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      errors.add(clients.submit(() -> {
        int failed = 0;
        while (System.nanoTime() < end) {
          long t = System.nanoTime();
          HttpResponse<String> r = http.send(request(url, body), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            latencies.add(System.nanoTime() - t);
          } else {
            failed++;
          }
        }
        return failed;
      }));
    }
    int failed = 0;
    for (Future<Integer> f : errors) {
      failed += f.get();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    clients.shutdown();
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    String extra = direct == null ? "" : String.format(Locale.ROOT, ",\"direct_images_per_s\":%.2f", direct);
    System.out.printf(Locale.ROOT,
        "{\"task\":\"%s\",\"concurrency\":%d,\"images_per_s\":%.2f,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"requests\":%d,\"errors\":%d%s}%n",
        task, concurrency, sorted.size() / elapsed, pct(sorted, 0.5), pct(sorted, 0.99), sorted.size(), failed, extra);
  }

  private static double directFaces(Path store, RgbImage face, int seconds) throws Exception {
    try (NDManager nd = NDManager.newBaseManager("PyTorch");
        FaceDetector detector = FaceDetector.load(store.resolve("blazeface-back-256"), 256);
        FaceRecognitionNet net = FaceRecognitionNet.load(store.resolve("face-recognition-128"), nd)) {
      for (int i = 0; i < 10; i++) { // PyTorch's first calls are several times slower
        once(detector, net, face);
      }
      long end = System.nanoTime() + seconds * 1_000_000_000L;
      long start = System.nanoTime();
      int n = 0;
      while (System.nanoTime() < end) {
        once(detector, net, face);
        n++;
      }
      return n / ((System.nanoTime() - start) / 1e9);
    }
  }

  /** The pose network in-process, one image at a time (what the service's batcher calls per image). */
  private static double directPose(Path store, RgbImage person, int seconds) throws Exception {
    try (MediaPipePose pose = MediaPipePose.load(store.resolve("mediapipe-pose-full"))) {
      for (int i = 0; i < 10; i++) {
        pose.detect(person);
      }
      long end = System.nanoTime() + seconds * 1_000_000_000L;
      long start = System.nanoTime();
      int n = 0;
      while (System.nanoTime() < end) {
        pose.detect(person);
        n++;
      }
      return n / ((System.nanoTime() - start) / 1e9);
    }
  }

  private static void once(FaceDetector detector, FaceRecognitionNet net, RgbImage image) {
    List<FaceDetection> faces = detector.detect(image, 0.6f, 0.3f);
    net.describe(List.of(FaceAligner.align(image, faces.getFirst().keypoints())));
  }

  private static RgbImage textImage() {
    var image = new java.awt.image.BufferedImage(640, 120, java.awt.image.BufferedImage.TYPE_INT_RGB);
    var g = image.createGraphics();
    g.setColor(java.awt.Color.WHITE);
    g.fillRect(0, 0, 640, 120);
    g.setColor(java.awt.Color.BLACK);
    g.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 48));
    g.drawString("Invoice 2024", 60, 80);
    g.dispose();
    return RgbImage.of(image);
  }

  private static double pct(List<Long> sorted, double p) {
    return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size()))) / 1e6;
  }

  private static HttpRequest request(String url, String body) {
    return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static String send(HttpClient http, String url, String body) throws Exception {
    HttpResponse<String> r = http.send(request(url, body), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  private static String b64(RgbImage image, String format) throws Exception {
    var out = new ByteArrayOutputStream();
    ImageIO.write(image.toBufferedImage(), format, out);
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }
}
