package dev.latent.inference.runtime;

import org.springframework.boot.test.context.SpringBootTest;

/**
 * {@link RuntimeBehaviourTest} with prompt chunks on the prefill thread beside the decode step
 * (one engine thread, the engine's count alone): batching stays invisible there too.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "latent.inference.runtime.prefill-mode=beside")
class RuntimeBehaviourBesideTest extends RuntimeBehaviourTest {}
