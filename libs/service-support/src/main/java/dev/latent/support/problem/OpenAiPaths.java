package dev.latent.support.problem;

/** The paths whose clients are OpenAI SDKs and therefore read an {@code error} member. */
public final class OpenAiPaths {

  private OpenAiPaths() {}

  public static boolean matches(String path) {
    return path.equals("/v1") || path.startsWith("/v1/");
  }
}
