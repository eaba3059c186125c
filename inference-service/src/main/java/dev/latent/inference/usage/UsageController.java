package dev.latent.inference.usage;

import dev.latent.support.problem.ProblemException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /internal/usage/{requestId}}: what the gateway bills from. */
@RestController
class UsageController {

  private final UsageStore store;

  UsageController(UsageStore store) {
    this.store = store;
  }

  @GetMapping("/internal/usage/{requestId}")
  UsageRecord usage(@PathVariable String requestId) {
    return store.get(requestId).orElseThrow(() -> ProblemException.notFound(
        "usage_not_found", "no usage recorded for request " + requestId));
  }
}
