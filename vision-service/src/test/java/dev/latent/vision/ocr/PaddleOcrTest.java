package dev.latent.vision.ocr;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.ml.vision.PaddleOcr;
import dev.latent.ml.vision.RgbImage;
import dev.latent.vision.TestImages;
import java.awt.Color;
import java.awt.Font;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** PP-OCRv4 reads text this test renders. */
class PaddleOcrTest {

  static BufferedImage rendered() {
    var image = new BufferedImage(640, 200, BufferedImage.TYPE_INT_RGB);
    var g = image.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, 640, 200);
    g.setColor(Color.BLACK);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 48));
    g.drawString("Invoice 2024", 60, 90);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 36));
    g.drawString("Total 315 EUR", 60, 160);
    g.dispose();
    return image;
  }

  @Test
  void readsRenderedText() throws Exception {
    BufferedImage image = rendered();
    try (PaddleOcr ocr = PaddleOcr.load(TestImages.modelStore().resolve("vision/ppocr-v4"))) {
      var lines = ocr.read(RgbImage.of(image));
      System.out.println("OCR " + lines);
      assertThat(lines).extracting(PaddleOcr.Line::text).hasSize(2).first().isEqualTo("Invoice 2024");
      // the Chinese+English model drops narrow spaces in smaller print
      assertThat(lines.get(1).text().replace(" ", "")).isEqualTo("Total315EUR");
      assertThat(lines.getFirst().y()).isLessThan(lines.get(1).y());
    }
  }
}
