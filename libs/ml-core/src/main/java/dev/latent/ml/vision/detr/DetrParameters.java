package dev.latent.ml.vision.detr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The named weights of a {@link Detr} and their initial values: He-normal convolutions,
 * Xavier-normal linears, unit layer norms, query reference points on a grid, and the "no object"
 * class and the box offset started at their priors.
 */
final class DetrParameters {

  private final DetrConfig config;
  private final NDManager manager;
  private final Random rnd;
  private final Map<String, NDArray> params = new LinkedHashMap<>();

  private DetrParameters(DetrConfig config, NDManager manager, Random rnd) {
    this.config = config;
    this.manager = manager;
    this.rnd = rnd;
  }

  /** Every weight of a model with {@code config}, initialised from {@code seed}, in insertion order. */
  static Map<String, NDArray> create(DetrConfig config, NDManager manager, long seed) {
    DetrParameters p = new DetrParameters(config, manager, new Random(seed));
    p.init();
    return p.params;
  }

  private void init() {
    List<Integer> ch = config.channels();
    int in = 3;
    for (int i = 0; i < 4; i++) {
      conv("backbone." + i, ch.get(i), in, 3);
      in = ch.get(i);
    }
    int d = config.dModel();
    conv("input_proj", d, in, 1);
    for (int l = 0; l < config.encoderLayers(); l++) {
      String p = "encoder.layers." + l + ".";
      attention(p + "self_attn");
      ffn(p);
      norm(p + "norm1");
      norm(p + "norm2");
    }
    for (int l = 0; l < config.decoderLayers(); l++) {
      String p = "decoder.layers." + l + ".";
      attention(p + "self_attn");
      attention(p + "cross_attn");
      ffn(p);
      norm(p + "norm1");
      norm(p + "norm2");
      norm(p + "norm3");
    }
    norm("decoder.norm");
    normal("query_embed", new Shape(config.queries(), d), 0.1);
    put("query_ref", manager.create(referenceGrid(config.queries()), new Shape(config.queries(), 2)));
    // log of each query's attention radius (normalised units), first a third of a grid cell's width
    float[] scale = new float[config.queries()];
    Arrays.fill(scale, (float) Math.log(0.5 / Math.ceil(Math.sqrt(config.queries()))));
    put("query_scale", manager.create(scale, new Shape(config.queries())));
    linear("class_embed", config.numClasses() + 1, d);
    // "no object" starts at its prior (most queries are empty) so early steps do not fight it
    float[] classBias = new float[config.numClasses() + 1];
    classBias[config.numClasses()] = (float) Math.log(3.0 * config.numClasses());
    params.get("class_embed.bias").set(classBias);
    linear("bbox_embed.0", d, d);
    linear("bbox_embed.1", d, d);
    linear("bbox_embed.2", 4, d);
    // the box offset starts at zero: query j first predicts its reference point with w = h = 0.5
    params.get("bbox_embed.2.weight").set(new float[4 * d]);
  }

  /**
   * Initial reference points, pre-sigmoid: the centres of a near-square grid over the image, so
   * that the queries start spread out and the matching is stable from the first step.
   */
  static float[] referenceGrid(int queries) {
    int cols = (int) Math.ceil(Math.sqrt(queries));
    int rows = (queries + cols - 1) / cols;
    float[] out = new float[queries * 2];
    for (int j = 0; j < queries; j++) {
      out[2 * j] = (float) logit((j % cols + 0.5) / cols);
      out[2 * j + 1] = (float) logit((j / cols + 0.5) / rows);
    }
    return out;
  }

  private static double logit(double p) {
    return Math.log(p / (1 - p));
  }

  private void put(String name, NDArray a) {
    a.setName(name);
    params.put(name, a);
  }

  private void normal(String name, Shape shape, double std) {
    float[] v = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextGaussian() * std);
    }
    put(name, manager.create(v, shape));
  }

  private void conv(String name, int out, int in, int k) {
    normal(name + ".weight", new Shape(out, in, k, k), Math.sqrt(2.0 / (in * k * k)));
    put(name + ".bias", manager.zeros(new Shape(out)));
  }

  /** Xavier-normal weight {@code [out, in]}, zero bias. */
  private void linear(String name, int out, int in) {
    normal(name + ".weight", new Shape(out, in), Math.sqrt(2.0 / (in + out)));
    put(name + ".bias", manager.zeros(new Shape(out)));
  }

  private void norm(String name) {
    put(name + ".weight", manager.ones(new Shape(config.dModel())));
    put(name + ".bias", manager.zeros(new Shape(config.dModel())));
  }

  private void attention(String name) {
    int d = config.dModel();
    for (String w : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
      linear(name + "." + w, d, d);
    }
  }

  private void ffn(String prefix) {
    linear(prefix + "linear1", config.ffn(), config.dModel());
    linear(prefix + "linear2", config.dModel(), config.ffn());
  }
}
