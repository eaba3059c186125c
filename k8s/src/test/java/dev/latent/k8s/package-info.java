/** Tests of the Helm chart in {@code k8s/latent}: lint, typed render checks, install on a real API server. */
@NullMarked
package dev.latent.k8s;

import org.jspecify.annotations.NullMarked;
