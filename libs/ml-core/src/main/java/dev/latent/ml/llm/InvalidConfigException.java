package dev.latent.ml.llm;

/** A model config or checkpoint that cannot describe a working model; the message says why. */
public class InvalidConfigException extends IllegalArgumentException {

  public InvalidConfigException(String message) {
    super(message);
  }

  public InvalidConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
