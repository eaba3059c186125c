package dev.latent.inference.runtime;

import org.springframework.boot.test.context.SpringBootTest;

/**
 * {@link RuntimeBehaviourTest} with mixed steps and a step budget of 24 tokens, which
 * cuts the test prompts into chunks that depend on what else runs: batching stays invisible.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"latent.inference.runtime.prefill-mode=mixed",
        "latent.inference.runtime.step-token-budget=24"})
class RuntimeBehaviourMixedTest extends RuntimeBehaviourTest {}
