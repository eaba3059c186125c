package dev.latent.gateway.routing;

import io.netty.handler.codec.http.HttpHeaders;
import reactor.netty.Connection;

/** A backend's answer whose headers have arrived and whose body is still on the connection. */
record Upstream(int status, HttpHeaders headers, Connection connection) {

  void discard() {
    connection.dispose();
  }
}
