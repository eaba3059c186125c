/** Token selection: greedy, temperature, top-k/top-p/min-p, penalties, seeds, stop ids, logprobs. */
@NullMarked
package dev.latent.ml.llm.sampling;

import org.jspecify.annotations.NullMarked;
