package dev.latent.support;

import dev.latent.support.keepalive.DeferredDispatchWebFilter;
import dev.latent.support.limits.RequestBodyLimitWebFilter;
import dev.latent.support.problem.ProblemResolver;
import dev.latent.support.problem.ProblemWebExceptionHandler;
import dev.latent.support.requestid.RequestIdMdcAccessor;
import dev.latent.support.requestid.RequestIdWebFilter;
import dev.latent.support.requestid.AccessLogWebFilter;
import dev.latent.support.requestid.AccessLogWriter;
import dev.latent.support.requestid.RequestId;
import io.micrometer.context.ContextRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import tools.jackson.databind.json.JsonMapper;

/** What every Latent service gets by depending on service-support. */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@EnableConfigurationProperties(HttpProperties.class)
public class ServiceSupportAutoConfiguration {

  static {
    // The MDC follows the Reactor context (spring.reactor.context-propagation=auto is a default).
    ContextRegistry registry = ContextRegistry.getInstance();
    registry.removeThreadLocalAccessor(RequestId.KEY);
    registry.registerThreadLocalAccessor(new RequestIdMdcAccessor());
  }

  @Bean
  ProblemResolver problemResolver() {
    return new ProblemResolver();
  }

  @Bean
  ProblemWebExceptionHandler problemWebExceptionHandler(ProblemResolver resolver, JsonMapper json) {
    return new ProblemWebExceptionHandler(resolver, json);
  }

  @Bean
  RequestBodyLimitWebFilter requestBodyLimitWebFilter(HttpProperties limits) {
    return new RequestBodyLimitWebFilter(limits.maxRequestBody().toBytes());
  }

  @Bean
  DeferredDispatchWebFilter deferredDispatchWebFilter() {
    return new DeferredDispatchWebFilter();
  }

  @Bean
  RequestIdWebFilter requestIdWebFilter() {
    return new RequestIdWebFilter();
  }

  /** The access log's own thread and bounded queue (see {@link AccessLogWriter}). */
  @Bean(destroyMethod = "close")
  @ConditionalOnBooleanProperty(name = "latent.http.access-log", matchIfMissing = true)
  AccessLogWriter accessLogWriter(HttpProperties http, ObjectProvider<MeterRegistry> meters) {
    AccessLogWriter writer = new AccessLogWriter(http.accessLogQueue());
    meters.ifAvailable(registry -> {
      FunctionCounter.builder("latent.http.access.log.dropped", writer, AccessLogWriter::dropped)
          .description("access log lines dropped because the writer's queue was full").register(registry);
      Gauge.builder("latent.http.access.log.queued", writer, AccessLogWriter::queued)
          .description("access log lines waiting to be written").register(registry);
    });
    return writer;
  }

  @Bean
  @ConditionalOnBooleanProperty(name = "latent.http.access-log", matchIfMissing = true)
  AccessLogWebFilter accessLogWebFilter(AccessLogWriter writer) {
    return new AccessLogWebFilter(writer);
  }
}
