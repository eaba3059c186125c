package dev.latent.gateway.support;

import reactor.blockhound.BlockHound;

/** BlockHound for the test JVM: any blocking call on an event-loop or parallel thread fails the test. */
public final class NoBlocking {

  private static boolean installed;

  private NoBlocking() {}

  public static synchronized void install() {
    if (!installed) {
      BlockHound.install(builder -> builder
          // service-support's RequestId uses UUID.randomUUID(), whose NativePRNG refills its buffer
          // from /dev/urandom now and then (a short, never-waiting read). Reported, not ours to change.
          .allowBlockingCallsInside("java.util.UUID", "randomUUID")
          // The PostgreSQL driver's SCRAM handshake draws a nonce the same way, once per new pooled connection.
          .allowBlockingCallsInside("io.r2dbc.postgresql.authentication.SASLAuthenticationHandler",
              "handleAuthenticationSASL")
          // springdoc scans the classpath once, on the first /v3/api-docs request.
          .allowBlockingCallsInside("org.springdoc.api.AbstractOpenApiResource", "getOpenApi")
          // Logback appends under a lock; the console is not part of the request path.
          .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "writeBytes")
          .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "subAppend"));
      installed = true;
    }
  }
}
