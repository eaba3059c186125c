package dev.latent.ml.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Keras functional model from a tfjs "layers" {@code model.json} (topology + weights manifest),
 * run in DJL. Supports the layers the UpscalerJS ESRGAN-slim (RDN) models use: InputLayer, Conv2D
 * (same/valid, linear/relu), Activation(relu), Add, Concatenate and nearest UpSampling2D. Tensors
 * are NCHW inside; Keras' channel axis 3 becomes 1. An unknown layer fails at load, not at run.
 */
public final class KerasGraph implements AutoCloseable {

  private record Layer(String name, String type, List<String> inputs, JsonObject config) {}

  private record Conv(NDArray weight, NDArray bias, int pad) {}

  private final NDManager manager;
  private final List<Layer> layers = new ArrayList<>();
  private final Map<String, Conv> convs = new HashMap<>();
  private final String input;
  private final String output;

  private KerasGraph(Path modelJson, NDManager parent) throws IOException {
    this.manager = parent.newSubManager();
    JsonObject root = JsonParser.parseString(Files.readString(modelJson)).getAsJsonObject();
    JsonObject config = root.getAsJsonObject("modelTopology").getAsJsonObject("model_config")
        .getAsJsonObject("config");
    TfjsWeights weights = TfjsWeights.read(modelJson);
    for (JsonElement e : config.getAsJsonArray("layers")) {
      JsonObject l = e.getAsJsonObject();
      List<String> inputs = new ArrayList<>();
      JsonArray nodes = l.getAsJsonArray("inbound_nodes");
      if (nodes != null && !nodes.isEmpty()) {
        for (JsonElement in : nodes.get(0).getAsJsonArray()) {
          inputs.add(in.getAsJsonArray().get(0).getAsString());
        }
      }
      Layer layer = new Layer(l.get("name").getAsString(), l.get("class_name").getAsString(), inputs,
          l.getAsJsonObject("config"));
      switch (layer.type()) {
        case "InputLayer", "Add", "Concatenate", "UpSampling2D", "Activation" -> { }
        case "Conv2D" -> {
          int k = layer.config().getAsJsonArray("kernel_size").get(0).getAsInt();
          boolean same = "same".equals(layer.config().get("padding").getAsString());
          convs.put(layer.name(), new Conv(weights.convKernel(manager, layer.name() + "/kernel"),
              weights.get(layer.name() + "/bias").toNd(manager), same ? k / 2 : 0));
        }
        default -> throw new IOException("unsupported Keras layer " + layer.type() + " in " + modelJson);
      }
      layers.add(layer);
    }
    input = config.getAsJsonArray("input_layers").get(0).getAsJsonArray().get(0).getAsString();
    output = config.getAsJsonArray("output_layers").get(0).getAsJsonArray().get(0).getAsString();
  }

  public static KerasGraph load(Path modelJson, NDManager parent) throws IOException {
    return new KerasGraph(modelJson, parent);
  }

  /** Runs the graph; {@code x} is {@code [B, C, H, W]} in whatever range the model was trained on. */
  public NDArray forward(NDArray x) {
    Map<String, NDArray> values = new HashMap<>();
    values.put(input, x);
    for (Layer l : layers) {
      if (l.name().equals(input)) {
        continue;
      }
      List<NDArray> in = l.inputs().stream().map(values::get).toList();
      NDArray out = switch (l.type()) {
        case "Conv2D" -> {
          Conv c = convs.get(l.name());
          NDArray y = Conv2d.conv2d(in.getFirst(), c.weight(), c.bias(), new Shape(1, 1), new Shape(c.pad(), c.pad()))
              .singletonOrThrow();
          yield relu(l) ? y.maximum(0f) : y;
        }
        case "Activation" -> relu(l) ? in.getFirst().maximum(0f) : in.getFirst();
        case "Add" -> {
          NDArray sum = in.getFirst();
          for (int i = 1; i < in.size(); i++) {
            sum = sum.add(in.get(i));
          }
          yield sum;
        }
        case "Concatenate" -> NDArrays.concat(new NDList(in), 1);
        case "UpSampling2D" -> {
          int s = l.config().getAsJsonArray("size").get(0).getAsInt();
          yield in.getFirst().repeat(2, s).repeat(3, s);
        }
        default -> throw new IllegalStateException(l.type());
      };
      values.put(l.name(), out);
    }
    return values.get(output);
  }

  private static boolean relu(Layer l) {
    JsonElement a = l.config().get("activation");
    return a != null && "relu".equals(a.getAsString());
  }

  @Override
  public void close() {
    manager.close();
  }
}
