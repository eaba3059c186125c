package dev.latent.vision;

import dev.latent.ml.vision.RgbImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * The real photos and models the build fetched (vision-service/pom.xml runs ./platform models pull
 * into target/latent-home); a missing file fails the test, it never skips.
 */
public final class TestImages {

  private TestImages() {}

  public static Path home() {
    return Path.of(System.getProperty("latent.test.home", "target/latent-home"));
  }

  public static Path modelStore() {
    return home().resolve("models");
  }

  public static RgbImage sample(int n) {
    Path file = modelStore().resolve("vision/face-samples/sample" + n + ".jpg");
    try {
      return RgbImage.of(ImageIO.read(Files.newInputStream(file)));
    } catch (IOException e) {
      throw new UncheckedIOException("test photo missing: " + file, e);
    }
  }

  public static byte[] encode(RgbImage image, String format) {
    try {
      var out = new ByteArrayOutputStream();
      ImageIO.write(image.toBufferedImage(), format, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
