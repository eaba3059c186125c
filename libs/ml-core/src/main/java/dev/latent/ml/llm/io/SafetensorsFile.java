package dev.latent.ml.llm.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A memory-mapped safetensors file: 8-byte little-endian header length, a JSON header
 * ({@code name -> {dtype, shape, data_offsets}}), then the raw tensor bytes. The header is
 * checked against the file size up front, so truncated or corrupt files fail with a message that
 * names the file and the defect, not with a crash while loading.
 */
public final class SafetensorsFile implements AutoCloseable {

  private static final long MAX_HEADER = 100L << 20;

  /** One tensor's entry in the header; offsets are relative to the start of the data section. */
  public record Entry(String name, DataType dtype, Shape shape, long begin, long end) {}

  private final Path path;
  private final Arena arena;
  private final MemorySegment data;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, Entry> entries,
      Map<String, String> metadata) {
    this.path = path;
    this.arena = arena;
    this.data = data;
    this.entries = entries;
    this.metadata = metadata;
  }

  public static SafetensorsFile open(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new CheckpointException(path + ": no such safetensors file");
    }
    Arena arena = Arena.ofShared();
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 8) {
        throw new CheckpointException(path + ": truncated safetensors file (" + size
            + " bytes; it must start with an 8-byte header length)");
      }
      MemorySegment all = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      long headerLength = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
      if (headerLength <= 0 || headerLength > MAX_HEADER || headerLength > size - 8) {
        throw new CheckpointException(path + ": corrupt or truncated safetensors file: header length "
            + headerLength + " does not fit in the file's " + size + " bytes");
      }
      byte[] headerBytes = all.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
      MemorySegment data = all.asSlice(8 + headerLength);
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, Entry> entries = parseHeader(path, new String(headerBytes, StandardCharsets.UTF_8),
          data.byteSize(), metadata);
      return new SafetensorsFile(path, arena, data, entries, metadata);
    } catch (IOException e) {
      arena.close();
      throw new CheckpointException(path + ": cannot read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  private static Map<String, Entry> parseHeader(Path path, String json, long dataSize,
      Map<String, String> metadata) {
    JsonObject header;
    try {
      header = JsonParser.parseString(json).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new CheckpointException(path + ": corrupt safetensors header (not a JSON object): " + e.getMessage(), e);
    }
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : header.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        e.getValue().getAsJsonObject().entrySet().forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
        continue;
      }
      try {
        JsonObject t = e.getValue().getAsJsonObject();
        DataType dtype = SafetensorsDtype.parse(t.get("dtype").getAsString());
        var dims = t.getAsJsonArray("shape");
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = dims.get(i).getAsLong();
        }
        var offsets = t.getAsJsonArray("data_offsets");
        long begin = offsets.get(0).getAsLong();
        long end = offsets.get(1).getAsLong();
        Shape s = new Shape(shape);
        long expected = s.size() * dtype.getNumOfBytes();
        if (begin < 0 || end - begin != expected) {
          throw new CheckpointException(path + ": corrupt safetensors header: tensor " + e.getKey() + " "
              + s + " " + dtype + " needs " + expected + " bytes but data_offsets span " + (end - begin));
        }
        if (end > dataSize) {
          throw new CheckpointException(path + ": truncated safetensors file: tensor " + e.getKey()
              + " ends at data byte " + end + " but only " + dataSize + " data bytes are present");
        }
        entries.put(e.getKey(), new Entry(e.getKey(), dtype, s, begin, end));
      } catch (CheckpointException ex) {
        throw ex;
      } catch (RuntimeException ex) {
        throw new CheckpointException(path + ": corrupt safetensors header entry for " + e.getKey() + ": "
            + ex.getMessage(), ex);
      }
    }
    return entries;
  }

  public Path path() {
    return path;
  }

  public Map<String, Entry> entries() {
    return Collections.unmodifiableMap(entries);
  }

  public Map<String, String> metadata() {
    return Collections.unmodifiableMap(metadata);
  }

  /**
   * Copies tensor {@code name} out of the mapping into {@code manager}, converted to {@code dtype}
   * (the copy keeps the array valid after this file is closed).
   */
  public NDArray load(String name, NDManager manager, DataType dtype) {
    Entry e = entries.get(name);
    if (e == null) {
      throw new CheckpointException(path + ": no tensor named " + name);
    }
    MemorySegment slice = data.asSlice(e.begin(), e.end() - e.begin());
    if (e.dtype() == DataType.BFLOAT16) {
      // DJL's PyTorch JNI cannot hold bfloat16: widen in Java (bf16 is the top half of an f32)
      float[] values = new float[Math.toIntExact(e.shape().size())];
      for (int i = 0; i < values.length; i++) {
        short bits = slice.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
        values[i] = Float.intBitsToFloat((bits & 0xFFFF) << 16);
      }
      try (NDManager scratch = manager.newSubManager()) {
        NDArray copy = scratch.create(values, e.shape()).toType(dtype, false);
        copy.attach(manager);
        return copy;
      }
    }
    var bytes = slice.asByteBuffer().order(ByteOrder.nativeOrder());
    try (NDManager scratch = manager.newSubManager()) {
      NDArray raw = scratch.create(bytes, e.shape(), e.dtype());
      // from_blob aliases the mapping; torch's to() returns the same tensor when the dtype already
      // matches, so clone explicitly before the mapping can go away
      NDArray copy = e.dtype() == dtype ? raw.duplicate() : raw.toType(dtype, true);
      copy.attach(manager);
      return copy;
    }
  }

  @Override
  public void close() {
    arena.close();
  }
}
