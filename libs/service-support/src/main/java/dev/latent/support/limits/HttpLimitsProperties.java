package dev.latent.support.limits;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code latent.http.*}: limits shared by all services.
 *
 * @param maxRequestBody largest request body accepted; larger ones get 413 problem+json
 */
@ConfigurationProperties("latent.http")
public record HttpLimitsProperties(@DefaultValue("16MB") DataSize maxRequestBody) {

  public HttpLimitsProperties {
    if (maxRequestBody.toBytes() <= 0) {
      throw new IllegalArgumentException("latent.http.max-request-body must be positive");
    }
  }
}
