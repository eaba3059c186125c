package dev.latent.support;

import dev.latent.support.problem.ProblemException;
import java.time.Duration;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** A minimal service that the support tests call: one OpenAI-style path, one plain path. */
@SpringBootApplication
public class TestApplication {

  /** A wire record that validates itself, as every service's requests do. */
  public record EchoRequest(String text, double temperature) {
    public EchoRequest {
      if (text == null || text.isBlank()) {
        throw ProblemException.invalidParameter("text", "text must not be empty");
      }
      if (temperature < 0 || temperature > 2) {
        throw ProblemException.invalidParameter("temperature",
            "temperature must be between 0 and 2, got " + temperature);
      }
    }
  }

  @RestController
  static class EchoController {

    @PostMapping(path = {"/v1/echo", "/plain/echo"}, consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<EchoRequest> echo(@RequestBody EchoRequest request) {
      return Mono.just(request);
    }

    @GetMapping("/v1/busy")
    Mono<String> busy() {
      return Mono.error(ProblemException.overloaded(HttpStatus.SERVICE_UNAVAILABLE,
          "All slots are busy", Duration.ofMillis(1500)));
    }

    /** Answered later, from another thread, as anything that waits on a database or a backend. */
    @GetMapping("/v1/slow")
    Mono<String> slow() {
      return Mono.delay(Duration.ofMillis(200)).thenReturn("slow");
    }

    @GetMapping("/v1/boom")
    Mono<String> boom() {
      return Mono.error(new IllegalStateException("secret internal detail"));
    }
  }
}
