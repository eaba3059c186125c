/** The {@code X-Request-Id} of each request: taken or generated, echoed, logged and passed on. */
@NullMarked
package dev.latent.support.requestid;

import org.jspecify.annotations.NullMarked;
