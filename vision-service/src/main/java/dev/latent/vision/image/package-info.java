/** Image inputs: multipart, base64 JSON or a URL; checked against size, pixel and format limits. */
@NullMarked
package dev.latent.vision.image;

import org.jspecify.annotations.NullMarked;
