package dev.latent.ml.llm.io;

import ai.djl.ndarray.NDArray;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/** Writes tensors as one safetensors file (atomically: a temp file renamed into place). */
public final class SafetensorsWriter {

  private static final Gson GSON = new Gson();

  private SafetensorsWriter() {}

  /** Writes {@code tensors} in iteration order; {@code metadata} goes to {@code __metadata__}. */
  public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
    write(file, tensors, metadata, false);
  }

  /**
   * As {@link #write(Path, Map, Map)}; with {@code asBf16} float tensors are stored as BF16
   * (rounded to nearest even in Java, since DJL's PyTorch JNI cannot hold bfloat16).
   */
  public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata,
      boolean asBf16) {
    JsonObject header = new JsonObject();
    if (!metadata.isEmpty()) {
      JsonObject meta = new JsonObject();
      metadata.forEach(meta::addProperty);
      header.add("__metadata__", meta);
    }
    long offset = 0;
    for (var e : tensors.entrySet()) {
      NDArray a = e.getValue();
      boolean bf16 = asBf16 && a.getDataType().isFloating();
      long bytes = a.getShape().size() * (bf16 ? 2 : a.getDataType().getNumOfBytes());
      JsonObject t = new JsonObject();
      t.addProperty("dtype", bf16 ? "BF16" : SafetensorsDtype.name(a.getDataType()));
      JsonArray shape = new JsonArray();
      for (long d : a.getShape().getShape()) {
        shape.add(d);
      }
      t.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offsets.add(offset + bytes);
      t.add("data_offsets", offsets);
      header.add(e.getKey(), t);
      offset += bytes;
    }
    byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8; // the format pads the header with spaces to 8 bytes
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        writeFully(out, head);
        for (NDArray a : tensors.values()) {
          writeFully(out, asBf16 && a.getDataType().isFloating() ? bf16(a)
              : a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static ByteBuffer bf16(NDArray a) {
    float[] values;
    if (a.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32) {
      values = a.toFloatArray();
    } else {
      try (NDArray wide = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, true)) {
        values = wide.toFloatArray();
      }
    }
    ByteBuffer out = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      int bits = Float.floatToRawIntBits(v);
      if (Float.isNaN(v)) {
        out.putShort((short) 0x7FC0);
      } else {
        out.putShort((short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16)); // round to nearest even
      }
    }
    return out.flip();
  }

  private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      out.write(buffer);
    }
  }
}
