package dev.latent.ml.llm.io;

/** A checkpoint file that is missing, truncated or corrupt; the message names the file and the defect. */
public class CheckpointException extends RuntimeException {

  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
