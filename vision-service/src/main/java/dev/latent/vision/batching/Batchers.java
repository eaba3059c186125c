package dev.latent.vision.batching;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.springframework.stereotype.Component;

/** One {@link DynamicBatcher} per model name, created on first use and closed on shutdown. */
@Component
public class Batchers implements AutoCloseable {

  private final BatchingProperties properties;
  private final MeterRegistry registry;
  private final Map<String, DynamicBatcher<?, ?>> batchers = new ConcurrentHashMap<>();

  public Batchers(BatchingProperties properties, MeterRegistry registry) {
    this.properties = properties;
    this.registry = registry;
  }

  @SuppressWarnings("unchecked")
  public <I, O> DynamicBatcher<I, O> forModel(String name, Function<List<I>, List<O>> handler) {
    return (DynamicBatcher<I, O>) batchers.computeIfAbsent(name,
        n -> new DynamicBatcher<>(n, handler, properties, registry));
  }

  @Override
  public void close() {
    batchers.values().forEach(DynamicBatcher::close);
  }
}
