package dev.latent.ml.vision.detr;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.latent.ml.llm.io.SafetensorsFile;
import dev.latent.ml.llm.io.SafetensorsWriter;
import dev.latent.ml.vision.Resampling;
import dev.latent.ml.vision.RgbImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * DETR (Carion et al. 2020) in DJL's functional ops: a small CNN backbone (stride 8), a 1×1
 * projection to {@code dModel}, fixed 2-D sine positional encodings, a post-norm transformer
 * encoder-decoder, {@code queries} learned object queries (the decoder input starts at zero and the
 * query embeddings are added to queries and keys of every attention, as in the paper), and two heads
 * shared by all decoder layers: classes + "no object" (logits) and boxes (a 3-layer MLP, sigmoid →
 * normalised {@code cx, cy, w, h}). No anchors, no NMS: each query predicts one object or none.
 *
 * <p>Weights are named arrays in this model's manager, saved as {@code model.safetensors} with
 * {@code config.json}.
 */
public final class Detr implements AutoCloseable {

  /** Class logits {@code [B, Q, C+1]} and boxes {@code [B, Q, 4]} of one decoder layer. */
  public record Head(NDArray logits, NDArray boxes) {}

  /** The last decoder layer's head and the earlier layers' (for the auxiliary losses). */
  public record Output(Head last, List<Head> aux) {}

  /** A detection in pixels of the input image: corners {@code x0, y0, x1, y1}. */
  public record Detection(int classId, String label, double score, double x0, double y0, double x1, double y1) {}

  private final DetrConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();
  private final NDArray pos;

  private Detr(DetrConfig config, NDManager manager) {
    this.config = config;
    this.manager = manager;
    this.pos = DetrPositions.sinePositions(manager, config.featureSize(), config.dModel());
  }

  /** A freshly initialised model (seeded). */
  public static Detr create(DetrConfig config, long seed, Device device) {
    Detr d = new Detr(config, NDManager.newBaseManager(device, "PyTorch"));
    d.params.putAll(DetrParameters.create(config, d.manager, seed));
    return d;
  }

  /** Reads {@code config.json} and {@code model.safetensors} from {@code dir}. */
  public static Detr load(Path dir, Device device) {
    DetrConfig config;
    try {
      config = DetrConfig.fromJson(Files.readString(dir.resolve("config.json")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Detr d = new Detr(config, NDManager.newBaseManager(device, "PyTorch"));
    d.params.putAll(DetrParameters.create(config, d.manager, 0));
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
      d.loadWeights(name -> f.entries().containsKey(name) ? f.load(name, d.manager, DataType.FLOAT32) : null);
    }
    return d;
  }

  /** Replaces every weight with the array {@code source} gives for its name (all must be given). */
  public void loadWeights(java.util.function.Function<String, NDArray> source) {
    for (var e : params.entrySet()) {
      NDArray a = source.apply(e.getKey());
      if (a == null || !a.getShape().equals(e.getValue().getShape())) {
        throw new IllegalArgumentException("weight " + e.getKey() + " missing or of shape "
            + (a == null ? null : a.getShape()) + ", expected " + e.getValue().getShape());
      }
      e.getValue().set(a.toType(DataType.FLOAT32, false).toFloatArray());
      a.close();
    }
  }

  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), config.toJson(), StandardCharsets.UTF_8);
    SafetensorsWriter.write(dir.resolve("model.safetensors"), params, Map.of("format", "pt", "model_type", "detr"));
  }

  public DetrConfig config() {
    return config;
  }

  public NDManager manager() {
    return manager;
  }

  /** Trainable weights by name (views: the optimizer updates them in place). */
  public Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(params);
  }

  public long parameterCount() {
    return params.values().stream().mapToLong(a -> a.getShape().size()).sum();
  }

  // ---- forward

  private NDArray p(String name) {
    NDArray a = params.get(name);
    if (a == null) {
      throw new IllegalStateException("no weight " + name);
    }
    return a;
  }

  private NDArray lin(NDArray x, String name) {
    return Linear.linear(x, p(name + ".weight"), p(name + ".bias")).singletonOrThrow();
  }

  private NDArray ln(NDArray x, String name) {
    return LayerNorm.layerNorm(x, new Shape(config.dModel()), p(name + ".weight"), p(name + ".bias"), 1e-5f)
        .singletonOrThrow();
  }

  /** Multi-head attention; q {@code [B, Lq, d]}, k and v {@code [B, Lk, d]}. */
  private NDArray attend(NDArray q, NDArray k, NDArray v, String name) {
    return attend(q, k, v, null, name);
  }

  /** The same with an additive bias on the attention logits, broadcast to {@code [B, h, Lq, Lk]}. */
  private NDArray attend(NDArray q, NDArray k, NDArray v, @Nullable NDArray bias, String name) {
    int h = config.heads();
    int d = config.dModel();
    int dh = d / h;
    long b = q.getShape().get(0);
    NDArray qh = split(lin(q, name + ".q_proj"), b, h, dh).mul((float) (1 / Math.sqrt(dh)));
    NDArray kh = split(lin(k, name + ".k_proj"), b, h, dh);
    NDArray vh = split(lin(v, name + ".v_proj"), b, h, dh);
    NDArray scores = qh.matMul(kh.transpose(0, 1, 3, 2));
    NDArray attn = (bias == null ? scores : scores.add(bias)).softmax(-1);
    NDArray out = attn.matMul(vh).transpose(0, 2, 1, 3).reshape(b, -1, d);
    return lin(out, name + ".out_proj");
  }

  private static NDArray split(NDArray x, long b, int h, int dh) {
    return x.reshape(b, -1, h, dh).transpose(0, 2, 1, 3);
  }

  private NDArray feedForward(NDArray x, String prefix) {
    return lin(Activation.relu(lin(x, prefix + "linear1")), prefix + "linear2");
  }

  /** {@code images} {@code [B, 3, S, S]} normalised as {@link #toTensor} does. */
  public Output forward(NDArray images) {
    NDArray x = images;
    for (int i = 0; i < 4; i++) {
      long stride = i < 3 ? 2 : 1;
      x = Activation.relu(Conv2d.conv2d(x, p("backbone." + i + ".weight"), p("backbone." + i + ".bias"),
          new Shape(stride, stride), new Shape(1, 1)).singletonOrThrow());
    }
    x = Conv2d.conv2d(x, p("input_proj.weight"), p("input_proj.bias")).singletonOrThrow();
    long b = x.getShape().get(0);
    int d = config.dModel();
    NDArray src = x.reshape(b, d, -1).transpose(0, 2, 1); // [B, N, d]
    NDArray position = pos.toDevice(src.getDevice(), false);
    for (int l = 0; l < config.encoderLayers(); l++) {
      String p = "encoder.layers." + l + ".";
      NDArray qk = src.add(position);
      src = ln(src.add(attend(qk, qk, src, p + "self_attn")), p + "norm1");
      src = ln(src.add(feedForward(src, p)), p + "norm2");
    }
    NDArray memoryKeys = src.add(position);
    // DAB/Conditional-DETR-style queries: a learned reference point per query whose sine encoding
    // (in the keys' position space) is added to the learned embedding, and around which the box is predicted
    // (the weights' results are made in the step's manager, not the model's: zeros + weight)
    NDManager fm = src.getManager();
    int nq = config.queries();
    NDArray refLogit = fm.zeros(new Shape(nq, 2)).add(p("query_ref")); // [Q, 2] pre-sigmoid (x, y)
    NDArray queryPos = fm.zeros(new Shape(nq, d)).add(p("query_embed"))
        .add(DetrPositions.pointPositions(Activation.sigmoid(refLogit), config.featureSize(), d)).expandDims(0); // [1, Q, d]
    NDArray refOffset = refLogit.concat(fm.zeros(new Shape(nq, 2)), 1).expandDims(0); // [1, Q, 4]
    NDArray spatialPrior = DetrPositions.gaussianPrior(Activation.sigmoid(refLogit),
        fm.zeros(new Shape(nq)).add(p("query_scale")), config.featureSize());
    NDArray tgt = src.getManager().zeros(new Shape(b, config.queries(), d));
    List<Head> heads = new ArrayList<>();
    for (int l = 0; l < config.decoderLayers(); l++) {
      String p = "decoder.layers." + l + ".";
      NDArray qk = tgt.add(queryPos);
      tgt = ln(tgt.add(attend(qk, qk, tgt, p + "self_attn")), p + "norm1");
      tgt = ln(tgt.add(attend(tgt.add(queryPos), memoryKeys, src, spatialPrior, p + "cross_attn")), p + "norm2");
      tgt = ln(tgt.add(feedForward(tgt, p)), p + "norm3");
      heads.add(head(ln(tgt, "decoder.norm"), refOffset));
    }
    return new Output(heads.getLast(), heads.subList(0, heads.size() - 1));
  }

  /** Class logits and boxes: {@code sigmoid(offset + [ref, 0, 0])}, the centre relative to the reference point. */
  private Head head(NDArray h, NDArray refOffset) {
    NDArray logits = lin(h, "class_embed");
    NDArray box = Activation.relu(lin(h, "bbox_embed.0"));
    box = Activation.relu(lin(box, "bbox_embed.1"));
    return new Head(logits, Activation.sigmoid(lin(box, "bbox_embed.2").add(refOffset)));
  }

  // ---- images and inference

  /** Pixel normalisation: {@code (v / 255 - 0.5) / 0.25}. */
  static float normalise(float v) {
    return (v / 255f - 0.5f) / 0.25f;
  }

  /** Images (resized to the input side when needed) as {@code [B, 3, S, S]} in {@code m}. */
  public NDArray toTensor(NDManager m, List<RgbImage> images) {
    int s = config.imageSize();
    float[] out = new float[images.size() * 3 * s * s];
    for (int i = 0; i < images.size(); i++) {
      RgbImage img = images.get(i);
      if (img.width() != s || img.height() != s) {
        img = Resampling.BILINEAR.resize(img, s, s);
      }
      float[] px = img.pixels();
      int base = i * 3 * s * s;
      for (int y = 0; y < s; y++) {
        for (int x = 0; x < s; x++) {
          for (int c = 0; c < 3; c++) {
            out[base + c * s * s + y * s + x] = normalise(px[(y * s + x) * 3 + c]);
          }
        }
      }
    }
    return m.create(out, new Shape(images.size(), 3, s, s));
  }

  /**
   * Detections per image: every query whose best real class scores at least {@code threshold}
   * (softmax probability), boxes in the pixels of each input image, highest score first.
   */
  public List<List<Detection>> detect(List<RgbImage> images, double threshold) {
    try (NDManager m = manager.newSubManager()) {
      Head h = forward(toTensor(m, images)).last();
      float[] probs = h.logits().softmax(-1).toFloatArray();
      float[] boxes = h.boxes().toFloatArray();
      return decode(probs, boxes, images, threshold);
    }
  }

  /** Turns softmax probabilities {@code [B, Q, C+1]} and boxes {@code [B, Q, 4]} into detections. */
  List<List<Detection>> decode(float[] probs, float[] boxes, List<RgbImage> images, double threshold) {
    int q = config.queries();
    int c1 = config.numClasses() + 1;
    List<List<Detection>> out = new ArrayList<>();
    for (int b = 0; b < images.size(); b++) {
      List<Detection> dets = new ArrayList<>();
      int w = images.get(b).width();
      int hgt = images.get(b).height();
      for (int j = 0; j < q; j++) {
        int base = (b * q + j) * c1;
        int best = 0;
        for (int c = 1; c < c1 - 1; c++) {
          if (probs[base + c] > probs[base + best]) {
            best = c;
          }
        }
        double score = probs[base + best];
        if (score < threshold) {
          continue;
        }
        int bb = (b * q + j) * 4;
        double cx = boxes[bb];
        double cy = boxes[bb + 1];
        double bw = boxes[bb + 2];
        double bh = boxes[bb + 3];
        dets.add(new Detection(best, config.labels().get(best), score,
            clamp((cx - bw / 2) * w, w), clamp((cy - bh / 2) * hgt, hgt),
            clamp((cx + bw / 2) * w, w), clamp((cy + bh / 2) * hgt, hgt)));
      }
      dets.sort((a, z) -> Double.compare(z.score(), a.score()));
      out.add(dets);
    }
    return out;
  }

  private static double clamp(double v, double max) {
    return Math.max(0, Math.min(max, v));
  }

  @Override
  public void close() {
    manager.close();
  }
}
