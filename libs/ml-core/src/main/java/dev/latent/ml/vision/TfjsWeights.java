package dev.latent.ml.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Weights in the TensorFlow.js format: a manifest of groups (shard files + an ordered list of
 * tensors with name, shape, dtype and optional quantization) and the little-endian shard bytes.
 * Quantized tensors are stored as uint8/uint16 codes and dequantized here: {@code q * scale + min}.
 */
public final class TfjsWeights {

  /** One tensor: its tfjs shape (for convolutions {@code [kh, kw, in, out]}) and values. */
  public record Tensor(long[] shape, float[] values) {
    public NDArray toNd(NDManager manager) {
      return manager.create(values, new Shape(shape));
    }
  }

  private final Map<String, Tensor> tensors;

  private TfjsWeights(Map<String, Tensor> tensors) {
    this.tensors = tensors;
  }

  /**
   * Reads a manifest file: either a weights manifest (a JSON array of groups, face-api style) or a
   * tfjs {@code model.json} (its {@code weightsManifest} member). Shards are resolved beside it.
   */
  public static TfjsWeights read(Path manifestFile) throws IOException {
    JsonElement root = JsonParser.parseString(Files.readString(manifestFile));
    JsonArray groups = root.isJsonArray()
        ? root.getAsJsonArray()
        : root.getAsJsonObject().getAsJsonArray("weightsManifest");
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (JsonElement g : groups) {
      JsonObject group = g.getAsJsonObject();
      var bytes = new ByteArrayOutputStream();
      for (JsonElement p : group.getAsJsonArray("paths")) {
        bytes.write(Files.readAllBytes(manifestFile.resolveSibling(p.getAsString())));
      }
      ByteBuffer buf = ByteBuffer.wrap(bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
      for (JsonElement w : group.getAsJsonArray("weights")) {
        JsonObject spec = w.getAsJsonObject();
        out.put(spec.get("name").getAsString(), readTensor(spec, buf));
      }
      if (buf.hasRemaining()) {
        throw new IOException("weights shard has " + buf.remaining() + " bytes the manifest does not name");
      }
    }
    return new TfjsWeights(out);
  }

  private static Tensor readTensor(JsonObject spec, ByteBuffer buf) throws IOException {
    JsonArray dims = spec.getAsJsonArray("shape");
    long[] shape = new long[dims.size()];
    int n = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = dims.get(i).getAsLong();
      n = Math.multiplyExact(n, (int) shape[i]);
    }
    String dtype = spec.get("dtype").getAsString();
    if (!"float32".equals(dtype)) {
      throw new IOException("unsupported tfjs dtype " + dtype + " for " + spec.get("name"));
    }
    float[] values = new float[n];
    JsonObject q = spec.getAsJsonObject("quantization");
    if (q == null) {
      buf.asFloatBuffer().get(values);
      buf.position(buf.position() + 4 * n);
      return new Tensor(shape, values);
    }
    String qtype = q.get("dtype").getAsString();
    float scale = q.get("scale").getAsFloat();
    float min = q.get("min").getAsFloat();
    for (int i = 0; i < n; i++) {
      int code = switch (qtype) {
        case "uint8" -> Byte.toUnsignedInt(buf.get());
        case "uint16" -> Short.toUnsignedInt(buf.getShort());
        default -> throw new IOException("unsupported tfjs quantization " + qtype);
      };
      values[i] = code * scale + min;
    }
    return new Tensor(shape, values);
  }

  public Tensor get(String name) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no tensor named " + name + " in the weights");
    }
    return t;
  }

  public Map<String, Tensor> all() {
    return tensors;
  }

  /** A tfjs conv kernel {@code [kh, kw, in, out]} as a PyTorch weight {@code [out, in, kh, kw]}. */
  public NDArray convKernel(NDManager manager, String name) {
    try (NDManager scratch = manager.newSubManager()) {
      NDArray k = get(name).toNd(scratch).transpose(3, 2, 0, 1);
      NDArray kept = k.duplicate();
      kept.attach(manager);
      return kept;
    }
  }
}
