/**
 * RFC 9457 problem+json for every error a service answers, with an OpenAI-shaped {@code error}
 * member on {@code /v1/**} so that OpenAI SDKs surface the message.
 */
@NullMarked
package dev.latent.support.problem;

import org.jspecify.annotations.NullMarked;
