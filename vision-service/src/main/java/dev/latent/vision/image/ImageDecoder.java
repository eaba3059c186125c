package dev.latent.vision.image;

import dev.latent.ml.vision.RgbImage;
import dev.latent.support.problem.ProblemException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Bytes to pixels, refusing what we do not serve: not PNG/JPEG by magic bytes → 415, more pixels
 * than allowed (read from the header, before any pixel is decoded) → 413, undecodable → 400.
 * Blocking and CPU-bound: callers run it on {@link VisionExecutor}.
 */
@Component
public class ImageDecoder {

  private final ImageProperties properties;

  public ImageDecoder(ImageProperties properties) {
    this.properties = properties;
  }

  public RgbImage decode(String field, byte[] bytes) {
    if (bytes.length > properties.maxBytes().toBytes()) {
      throw tooLarge(field, "image is larger than " + properties.maxBytes().toBytes() + " bytes");
    }
    String format = sniff(bytes);
    if (format == null) {
      throw new ProblemException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-image",
          "Field '" + field + "' is not a PNG or JPEG image", "unsupported_image", field);
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > properties.maxPixels()) {
          throw tooLarge(field, "image has " + pixels + " pixels, the limit is " + properties.maxPixels());
        }
        BufferedImage image = reader.read(0);
        return RgbImage.of(image);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof ProblemException p) {
        throw p;
      }
      throw ProblemException.invalidParameter(field, "Field '" + field + "' is a corrupt " + format + " image");
    }
  }

  static String sniff(byte[] b) {
    if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      return "png";
    }
    if (b.length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) {
      return "jpeg";
    }
    return null;
  }

  private static ProblemException tooLarge(String field, String detail) {
    return new ProblemException(HttpStatus.CONTENT_TOO_LARGE, "image-too-large",
        "Field '" + field + "': " + detail, "image_too_large", field);
  }
}
