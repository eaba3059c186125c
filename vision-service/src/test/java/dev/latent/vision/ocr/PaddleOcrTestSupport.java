package dev.latent.vision.ocr;

import java.awt.image.BufferedImage;

/** Gives other test packages the rendered OCR image. */
public final class PaddleOcrTestSupport {

  private PaddleOcrTestSupport() {}

  public static BufferedImage rendered() {
    return PaddleOcrTest.rendered();
  }
}
