package dev.latent.vision;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The vision service: faces, detection, pose, OCR and upscaling. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class VisionApplication {

  public static void main(String[] args) {
    SpringApplication.run(VisionApplication.class, args);
  }
}
