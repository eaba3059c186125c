package dev.latent.vision.upscale;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.latent.ml.vision.ImageQuality;
import dev.latent.ml.vision.Resampling;
import dev.latent.ml.vision.RgbImage;
import dev.latent.ml.vision.sr.Espcn;
import dev.latent.ml.vision.sr.SrData;
import dev.latent.vision.TestImages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * {@code method: espcn} with the platform's own weights (models/trained/espcn-x2, trained by
 * ./platform train espcn on darknet's photos and rendered patterns; face-api's photos are held
 * out): beats bilinear on PSNR, is served at the right size, and a missing scale is a 503 naming
 * the command.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "60s")
class EspcnUpscaleTest {

  static final Path WEIGHTS = Path.of("../models/trained/espcn-x2");

  @TempDir
  static Path store;

  @BeforeAll
  static void install() throws IOException {
    // what ./platform models pull espcn-x2 installs (scripts/models.sh, repo: source)
    Path dir = Files.createDirectories(store.resolve("vision/espcn-x2"));
    Files.copy(WEIGHTS.resolve(Espcn.WEIGHTS), dir.resolve(Espcn.WEIGHTS));
    Files.writeString(dir.resolve(".installed"), "espcn.ndlist\t-\trepo:models/trained/espcn-x2\tsuper-resolution\tApache-2.0\n");
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("latent.home", () -> store.resolve("home").toString());
    registry.add("latent.vision.model-store", () -> store.toString());
  }

  @Autowired
  WebTestClient client;

  @Test
  void espcnBeatsBilinearOnHeldOutPhotos() throws Exception {
    double espcn = 0;
    double bilinear = 0;
    double bicubic = 0;
    try (NDManager nd = NDManager.newBaseManager("PyTorch"); Espcn net = Espcn.load(WEIGHTS, nd)) {
      for (int i = 4; i <= 6; i++) {
        // held out: face-api's photos, box-shrunk by 4, then degraded by 2 (box average) and upscaled back
        SrData.Pair pair = SrData.Pair.of(SrData.boxDownscale(TestImages.sample(i), 4), 2);
        int w = pair.high().width();
        int h = pair.high().height();
        espcn += ImageQuality.psnr(pair.high(), net.upscale(pair.low()));
        bilinear += ImageQuality.psnr(pair.high(), Resampling.BILINEAR.resize(pair.low(), w, h));
        bicubic += ImageQuality.psnr(pair.high(), Resampling.BICUBIC.resize(pair.low(), w, h));
      }
    }
    System.out.printf("held-out PSNR x2: espcn %.3f bicubic %.3f bilinear %.3f%n", espcn / 3, bicubic / 3, bilinear / 3);
    assertThat(espcn).isGreaterThan(bilinear);
  }

  @Test
  void theServiceAnswersAPngOfTheRightSizeAndA503NamingTheCommandForAMissingScale() throws Exception {
    RgbImage small = SrData.boxDownscale(TestImages.sample(5), 8).crop(40, 40, 64, 48);
    String b64 = Base64.getEncoder().encodeToString(TestImages.encode(small, "png"));
    byte[] png = client.post().uri("/v1/vision/upscale").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", b64, "scale", 2, "method", "espcn"))
        .exchange().expectStatus().isOk()
        .expectHeader().contentType(MediaType.IMAGE_PNG)
        .expectBody(byte[].class).returnResult().getResponseBody();
    var image = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(image.getWidth()).isEqualTo(128);
    assertThat(image.getHeight()).isEqualTo(96);
    client.post().uri("/v1/vision/upscale").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", b64, "scale", 3, "method", "espcn"))
        .exchange().expectStatus().isEqualTo(503)
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.command").isEqualTo("./platform models pull espcn-x3")
        .jsonPath("$.detail").value(d -> assertThat(d.toString()).contains("./platform train espcn"));
  }
}
