/** Training throughput and memory bench (run by scripts/bench-train.sh). */
@NullMarked
package dev.latent.ml.train.bench;

import org.jspecify.annotations.NullMarked;
