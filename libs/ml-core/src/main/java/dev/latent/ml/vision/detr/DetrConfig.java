package dev.latent.ml.vision.detr;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;

/**
 * A DETR's shape, saved as {@code config.json} next to {@code model.safetensors}.
 *
 * @param imageSize the square input side in pixels (images are resized to it); a multiple of 8
 * @param labels the object classes; the network has one more output, "no object"
 * @param channels the CNN backbone's widths (stride-2 convolutions, then one stride-1)
 * @param dModel transformer width
 * @param heads attention heads
 * @param encoderLayers transformer encoder layers
 * @param decoderLayers transformer decoder layers (each one's output is decoded for the auxiliary losses)
 * @param ffn feed-forward width
 * @param queries learned object queries: the most objects one image can yield
 */
public record DetrConfig(int imageSize, List<String> labels, List<Integer> channels, int dModel, int heads,
    int encoderLayers, int decoderLayers, int ffn, int queries) {

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  public DetrConfig {
    labels = List.copyOf(labels);
    channels = List.copyOf(channels);
    if (labels.isEmpty() || channels.size() != 4 || dModel % heads != 0 || queries < 1 || imageSize % 8 != 0
        || encoderLayers < 0 || decoderLayers < 1 || ffn < 1) {
      throw new IllegalArgumentException("invalid DETR config " + this);
    }
  }

  /**
   * The small model the platform trains on {@link ShapesDataset} (sized for a shared 2-core CPU):
   * 64×64 input, 8×8 features, width 64, 2 encoder and 2 decoder layers, 9 queries (a 3×3 grid of
   * initial reference points).
   */
  public static DetrConfig small(List<String> labels) {
    return new DetrConfig(64, labels, List.of(16, 32, 64, 64), 64, 4, 2, 2, 128, 9);
  }

  public int numClasses() {
    return labels.size();
  }

  /** Side of the backbone's feature map (stride 8). */
  public int featureSize() {
    return imageSize / 8;
  }

  public String toJson() {
    JsonObject o = GSON.toJsonTree(this).getAsJsonObject();
    o.addProperty("model_type", "detr");
    return GSON.toJson(o);
  }

  public static DetrConfig fromJson(String json) {
    JsonObject o = JsonParser.parseString(json).getAsJsonObject();
    if (!o.has("model_type") || !"detr".equals(o.get("model_type").getAsString())) {
      throw new IllegalArgumentException("not a DETR config (model_type != detr)");
    }
    return GSON.fromJson(o, DetrConfig.class);
  }
}
