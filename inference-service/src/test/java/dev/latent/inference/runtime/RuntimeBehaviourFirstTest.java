package dev.latent.inference.runtime;

import org.springframework.boot.test.context.SpringBootTest;

/**
 * {@link RuntimeBehaviourTest} with each step's prompt chunks computed first (through the
 * engine's prefill), then a batched decode step: batching stays invisible there too.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "latent.inference.runtime.prefill-mode=first")
class RuntimeBehaviourFirstTest extends RuntimeBehaviourTest {}
