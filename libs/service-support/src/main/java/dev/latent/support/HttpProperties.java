package dev.latent.support;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code latent.http.*}: HTTP behaviour shared by all services.
 *
 * @param maxRequestBody largest request body accepted; larger ones get 413 problem+json
 * @param accessLog whether each request is logged (method, path, status, duration, request id)
 * @param accessLogQueue access log lines that may wait for the log's writer thread; beyond that
 *     lines are dropped and counted ({@code latent_http_access_log_dropped_total})
 */
@ConfigurationProperties("latent.http")
public record HttpProperties(
    @DefaultValue("16MB") DataSize maxRequestBody, @DefaultValue("true") boolean accessLog,
    @DefaultValue("16384") int accessLogQueue) {

  public HttpProperties {
    if (maxRequestBody.toBytes() <= 0) {
      throw new IllegalArgumentException("latent.http.max-request-body must be positive");
    }
    if (accessLogQueue < 1) {
      throw new IllegalArgumentException("latent.http.access-log-queue must be >= 1");
    }
  }
}
