/** Decode and prefill benchmarks on random weights of named shapes; print one JSON line per run. */
@NullMarked
package dev.latent.ml.llm.bench;

import org.jspecify.annotations.NullMarked;
