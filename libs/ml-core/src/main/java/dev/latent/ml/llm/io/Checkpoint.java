package dev.latent.ml.llm.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json} ({@code weight_map: name -> file}).
 */
public final class Checkpoint implements AutoCloseable {

  public static final String SINGLE = "model.safetensors";
  public static final String INDEX = "model.safetensors.index.json";

  private final Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
  private final List<SafetensorsFile> files = new ArrayList<>();

  private Checkpoint() {}

  public static Checkpoint open(Path dir) {
    Checkpoint c = new Checkpoint();
    try {
      Path index = dir.resolve(INDEX);
      if (Files.isRegularFile(index)) {
        c.openShards(dir, index);
      } else if (Files.isRegularFile(dir.resolve(SINGLE))) {
        SafetensorsFile f = SafetensorsFile.open(dir.resolve(SINGLE));
        c.files.add(f);
        f.entries().keySet().forEach(n -> c.byTensor.put(n, f));
      } else {
        throw new CheckpointException(dir + ": no " + SINGLE + " and no " + INDEX);
      }
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private void openShards(Path dir, Path index) {
    JsonObject weightMap;
    try {
      weightMap = JsonParser.parseString(Files.readString(index)).getAsJsonObject().getAsJsonObject("weight_map");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      throw new CheckpointException(index + ": not a valid index (needs a weight_map object): " + e.getMessage(), e);
    }
    if (weightMap == null) {
      throw new CheckpointException(index + ": has no weight_map");
    }
    Map<String, SafetensorsFile> opened = new LinkedHashMap<>();
    for (var e : weightMap.entrySet()) {
      String shard = e.getValue().getAsString();
      SafetensorsFile f = opened.get(shard);
      if (f == null) {
        f = SafetensorsFile.open(dir.resolve(shard));
        opened.put(shard, f);
        files.add(f);
      }
      if (!f.entries().containsKey(e.getKey())) {
        throw new CheckpointException(index + " maps " + e.getKey() + " to " + shard + ", which lacks it");
      }
      byTensor.put(e.getKey(), f);
    }
  }

  public Set<String> names() {
    return byTensor.keySet();
  }

  public SafetensorsFile.Entry entry(String name) {
    return file(name).entries().get(name);
  }

  public NDArray load(String name, NDManager manager, DataType dtype) {
    return file(name).load(name, manager, dtype);
  }

  private SafetensorsFile file(String name) {
    SafetensorsFile f = byTensor.get(name);
    if (f == null) {
      throw new CheckpointException("checkpoint lacks tensor " + name);
    }
    return f;
  }

  /**
   * Writes {@code tensors} to {@code dir}: one {@code model.safetensors} when they fit in
   * {@code maxShardBytes}, else {@code model-0000i-of-0000n.safetensors} shards plus the index.
   */
  public static void write(Path dir, Map<String, NDArray> tensors, long maxShardBytes) {
    write(dir, tensors, maxShardBytes, false);
  }

  /** As {@link #write(Path, Map, long)}; {@code asBf16} stores float tensors as BF16. */
  public static void write(Path dir, Map<String, NDArray> tensors, long maxShardBytes, boolean asBf16) {
    List<Map<String, NDArray>> shards = new ArrayList<>();
    Map<String, NDArray> current = new LinkedHashMap<>();
    long currentBytes = 0;
    long total = 0;
    for (var e : tensors.entrySet()) {
      long bytes = e.getValue().getShape().size() * (asBf16 ? 2 : e.getValue().getDataType().getNumOfBytes());
      if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
        shards.add(current);
        current = new LinkedHashMap<>();
        currentBytes = 0;
      }
      current.put(e.getKey(), e.getValue());
      currentBytes += bytes;
      total += bytes;
    }
    shards.add(current);
    Map<String, String> meta = Map.of("format", "pt");
    try {
      Files.createDirectories(dir);
      Files.deleteIfExists(dir.resolve(INDEX));
      if (shards.size() == 1) {
        SafetensorsWriter.write(dir.resolve(SINGLE), shards.getFirst(), meta, asBf16);
        return;
      }
      Files.deleteIfExists(dir.resolve(SINGLE));
      JsonObject weightMap = new JsonObject();
      for (int i = 0; i < shards.size(); i++) {
        String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
        SafetensorsWriter.write(dir.resolve(name), shards.get(i), meta, asBf16);
        shards.get(i).keySet().forEach(t -> weightMap.addProperty(t, name));
      }
      JsonObject index = new JsonObject();
      JsonObject metadata = new JsonObject();
      metadata.addProperty("total_size", total);
      index.add("metadata", metadata);
      index.add("weight_map", weightMap);
      Files.writeString(dir.resolve(INDEX), new GsonBuilder().setPrettyPrinting().create().toJson(index));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint to " + dir, e);
    }
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
    files.clear();
  }
}
