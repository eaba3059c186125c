package dev.latent.training.files;

import com.fasterxml.jackson.annotation.JsonProperty;

/** An uploaded file, as the OpenAI Files API shows it (plus its detected format and records). */
public record TrainingFile(
    String id,
    String object,
    long bytes,
    @JsonProperty("created_at") long createdAt,
    String filename,
    String purpose,
    String status,
    String format,
    @JsonProperty("line_count") int lineCount) {

  public static TrainingFile of(String id, long bytes, long createdAt, String filename, String purpose,
      String format, int lineCount) {
    return new TrainingFile(id, "file", bytes, createdAt, filename, purpose, "processed", format, lineCount);
  }

  public DataFormat dataFormat() {
    return DataFormat.valueOf(format.toUpperCase(java.util.Locale.ROOT));
  }
}
