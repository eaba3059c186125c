/** Face collections: enrolled subjects and their examples, persisted over R2DBC; identify top-k. */
@NullMarked
package dev.latent.vision.collections;

import org.jspecify.annotations.NullMarked;
