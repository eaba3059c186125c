/** The benchmark driver behind {@code ./platform bench vision} (a plain main, no Spring). */
@NullMarked
package dev.latent.vision.bench;

import org.jspecify.annotations.NullMarked;
