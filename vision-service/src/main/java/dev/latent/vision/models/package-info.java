/** The model store as the vision service sees it: what is installed, loading on first use. */
@NullMarked
package dev.latent.vision.models;

import org.jspecify.annotations.NullMarked;
