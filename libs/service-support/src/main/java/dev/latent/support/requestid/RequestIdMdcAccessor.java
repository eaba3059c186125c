package dev.latent.support.requestid;

import io.micrometer.context.ThreadLocalAccessor;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/** Restores the request id from the Reactor context into the MDC on whatever thread runs. */
public final class RequestIdMdcAccessor implements ThreadLocalAccessor<String> {

  @Override
  public Object key() {
    return RequestId.KEY;
  }

  @Override
  public @Nullable String getValue() {
    return MDC.get(RequestId.KEY);
  }

  @Override
  public void setValue(String value) {
    MDC.put(RequestId.KEY, value);
  }

  @Override
  public void setValue() {
    MDC.remove(RequestId.KEY);
  }
}
