package dev.latent.gateway.usage;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.latent.gateway.keys.ApiKey;
import dev.latent.gateway.keys.KeyAuthentication;
import dev.latent.gateway.ledger.LedgerDatabase;
import dev.latent.support.problem.ProblemException;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * What was billed. A tenant's key sees its tenant; the admin key sees everyone (narrowed with
 * {@code tenant=}). Totals are summed per group and currency — amounts in different currencies
 * are never added together.
 */
@RestController
class UsageController {

  private static final String COLUMNS = "request_id, key_id, tenant, model, prompt_cache_hit_tokens, "
      + "prompt_cache_miss_tokens, completion_tokens, reasoning_tokens, cost, currency, status, created_at, unit, units";
  private static final String RECORD_FIELDS = "request_id,key_id,tenant,model,prompt_cache_hit_tokens,"
      + "prompt_cache_miss_tokens,completion_tokens,reasoning_tokens,cost,currency,status,created_at,images,trained_tokens";
  private static final int MAX_LIMIT = 1000;

  private final LedgerDatabase db;
  private final KeyAuthentication authentication;

  UsageController(LedgerDatabase db, KeyAuthentication authentication) {
    this.db = db;
    this.authentication = authentication;
  }

  record UsageRecordView(
      @JsonProperty("request_id") String requestId,
      @JsonProperty("key_id") String keyId,
      String tenant,
      String model,
      @JsonProperty("prompt_cache_hit_tokens") long promptCacheHitTokens,
      @JsonProperty("prompt_cache_miss_tokens") long promptCacheMissTokens,
      @JsonProperty("completion_tokens") long completionTokens,
      @JsonProperty("reasoning_tokens") long reasoningTokens,
      BigDecimal cost,
      String currency,
      String status,
      @JsonProperty("created_at") Instant createdAt,
      long images,
      @JsonProperty("trained_tokens") long trainedTokens) {}

  record UsageTotal(
      String group,
      String currency,
      long requests,
      @JsonProperty("prompt_cache_hit_tokens") long promptCacheHitTokens,
      @JsonProperty("prompt_cache_miss_tokens") long promptCacheMissTokens,
      @JsonProperty("completion_tokens") long completionTokens,
      @JsonProperty("reasoning_tokens") long reasoningTokens,
      long images,
      @JsonProperty("trained_tokens") long trainedTokens,
      BigDecimal cost) {

    UsageTotal plus(UsageRecordView r) {
      return new UsageTotal(group, currency, requests + 1, promptCacheHitTokens + r.promptCacheHitTokens(),
          promptCacheMissTokens + r.promptCacheMissTokens(), completionTokens + r.completionTokens(),
          reasoningTokens + r.reasoningTokens(), images + r.images(), trainedTokens + r.trainedTokens(),
          cost.add(r.cost()));
    }
  }

  /** Whose usage the caller may see: a tenant, or null for everyone (the admin). */
  private Mono<Scope> scope(ServerHttpRequest http, @Nullable String tenant) {
    if (authentication.isAdmin(http)) {
      return Mono.just(new Scope(tenant));
    }
    return authentication.authenticate(http).map(ApiKey::tenant).map(own -> {
      if (tenant != null && !tenant.equals(own)) {
        throw new ProblemException(HttpStatus.FORBIDDEN, "forbidden", "A key sees its own tenant's usage only",
            "tenant_not_allowed", "tenant");
      }
      return new Scope(own);
    });
  }

  private record Scope(@Nullable String tenant) {}

  @GetMapping("/v1/usage")
  Mono<ResponseEntity<?>> totals(ServerHttpRequest http,
      @RequestParam(required = false) @Nullable String from, @RequestParam(required = false) @Nullable String to,
      @RequestParam(name = "group_by", defaultValue = "model") String groupBy,
      @RequestParam(required = false) @Nullable String tenant,
      @RequestParam(required = false) @Nullable String format) {
    Instant start = UsageQuery.time("from", from);
    Instant end = UsageQuery.time("to", to);
    boolean csv = UsageQuery.csv(format);
    Function<UsageRecordView, String> grouping = switch (groupBy) {
      case "model" -> UsageRecordView::model;
      case "key" -> UsageRecordView::keyId;
      case "day" -> r -> r.createdAt().atOffset(ZoneOffset.UTC).toLocalDate().toString();
      default -> throw ProblemException.invalidParameter("group_by", "group_by must be model, day or key");
    };
    return scope(http, tenant).flatMap(scope -> db.flux(select(scope, start, end, null, null, null).all())
        // Summed as they stream by: memory grows with the number of groups, not of records.
        .reduce(new LinkedHashMap<String, UsageTotal>(), (groups, r) -> {
          groups.merge(grouping.apply(r) + "\u0000" + r.currency(),
              new UsageTotal(grouping.apply(r), r.currency(), 0, 0, 0, 0, 0, 0, 0, BigDecimal.ZERO).plus(r),
              (a, b) -> a.plus(r));
          return groups;
        })
        .map(groups -> {
          List<UsageTotal> data = new ArrayList<>(groups.values());
          data.sort(java.util.Comparator.comparing(UsageTotal::group).thenComparing(UsageTotal::currency));
          if (csv) {
            StringBuilder out = new StringBuilder("group,currency,requests,prompt_cache_hit_tokens,"
                + "prompt_cache_miss_tokens,completion_tokens,reasoning_tokens,images,trained_tokens,cost\n");
            for (UsageTotal t : data) {
              out.append(String.join(",", UsageQuery.csvField(t.group()), t.currency(), Long.toString(t.requests()),
                  Long.toString(t.promptCacheHitTokens()), Long.toString(t.promptCacheMissTokens()),
                  Long.toString(t.completionTokens()), Long.toString(t.reasoningTokens()),
                  Long.toString(t.images()), Long.toString(t.trainedTokens()), t.cost().stripTrailingZeros().toPlainString())).append('\n');
            }
            return csvResponse(out);
          }
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("object", "usage");
          body.put("group_by", groupBy);
          body.put("from", start);
          body.put("to", end);
          body.put("data", data);
          return ResponseEntity.ok(body);
        }));
  }

  @GetMapping("/v1/usage/requests")
  Mono<ResponseEntity<?>> requests(ServerHttpRequest http,
      @RequestParam(name = "request_id", required = false) @Nullable String requestId,
      @RequestParam(defaultValue = "100") String limit, @RequestParam(required = false) @Nullable String after,
      @RequestParam(required = false) @Nullable String from, @RequestParam(required = false) @Nullable String to,
      @RequestParam(required = false) @Nullable String tenant,
      @RequestParam(required = false) @Nullable String format) {
    int size;
    try {
      size = Integer.parseInt(limit);
    } catch (NumberFormatException e) {
      size = -1;
    }
    if (size < 1 || size > MAX_LIMIT) {
      throw ProblemException.invalidParameter("limit", "limit must be an integer from 1 to " + MAX_LIMIT);
    }
    int pageSize = size;
    Instant start = UsageQuery.time("from", from);
    Instant end = UsageQuery.time("to", to);
    boolean csv = UsageQuery.csv(format);
    return scope(http, tenant).flatMap(scope -> cursor(after).flatMap(cursor ->
            db.flux(select(scope, start, end, requestId, cursor.orElse(null), pageSize + 1).all()).collectList())
        .map(rows -> {
          boolean more = rows.size() > pageSize;
          List<UsageRecordView> data = more ? rows.subList(0, pageSize) : rows;
          if (csv) {
            StringBuilder out = new StringBuilder(RECORD_FIELDS + "\n");
            for (UsageRecordView r : data) {
              out.append(String.join(",", UsageQuery.csvField(r.requestId()), r.keyId(), UsageQuery.csvField(r.tenant()),
                  UsageQuery.csvField(r.model()), Long.toString(r.promptCacheHitTokens()),
                  Long.toString(r.promptCacheMissTokens()), Long.toString(r.completionTokens()),
                  Long.toString(r.reasoningTokens()), r.cost().stripTrailingZeros().toPlainString(), r.currency(),
                  r.status(), r.createdAt().toString(), Long.toString(r.images()),
                  Long.toString(r.trainedTokens()))).append('\n');
            }
            return csvResponse(out);
          }
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("object", "list");
          body.put("data", data);
          body.put("has_more", more);
          return ResponseEntity.ok(body);
        }));
  }

  private static ResponseEntity<?> csvResponse(StringBuilder out) {
    return ResponseEntity.ok().contentType(new MediaType("text", "csv", java.nio.charset.StandardCharsets.UTF_8))
        .body(out.toString());
  }

  /** The position after which a page starts: (created_at, request_id) of the {@code after} record. */
  private record Cursor(Instant createdAt, String requestId) {}

  private Mono<java.util.Optional<Cursor>> cursor(@Nullable String after) {
    if (after == null || after.isBlank()) {
      return Mono.just(java.util.Optional.empty());
    }
    return db.mono(db.client().sql("select created_at, request_id from usage_records where request_id = :id")
            .bind("id", after)
            .map(r -> new Cursor(Objects.requireNonNull(r.get("created_at", OffsetDateTime.class)).toInstant(),
                Objects.requireNonNull(r.get("request_id", String.class))))
            .one())
        .map(java.util.Optional::of)
        .switchIfEmpty(Mono.error(() -> ProblemException.invalidParameter("after", "after names no billed request")));
  }

  private org.springframework.r2dbc.core.RowsFetchSpec<UsageRecordView> select(Scope scope, @Nullable Instant from,
      @Nullable Instant to, @Nullable String requestId, @Nullable Cursor after, @Nullable Integer limit) {
    StringBuilder sql = new StringBuilder("select " + COLUMNS + " from usage_records where 1 = 1");
    Map<String, Object> binds = new LinkedHashMap<>();
    if (scope.tenant() != null) {
      sql.append(" and tenant = :tenant");
      binds.put("tenant", scope.tenant());
    }
    if (from != null) {
      sql.append(" and created_at >= :from");
      binds.put("from", from.atOffset(ZoneOffset.UTC));
    }
    if (to != null) {
      sql.append(" and created_at < :to");
      binds.put("to", to.atOffset(ZoneOffset.UTC));
    }
    if (requestId != null) {
      sql.append(" and request_id = :rid");
      binds.put("rid", requestId);
    }
    if (after != null) {
      sql.append(" and (created_at > :after_at or (created_at = :after_at and request_id > :after_id))");
      binds.put("after_at", after.createdAt().atOffset(ZoneOffset.UTC));
      binds.put("after_id", after.requestId());
    }
    sql.append(" order by created_at, request_id");
    if (limit != null) {
      sql.append(" limit ").append(limit);
    }
    DatabaseClient.GenericExecuteSpec spec = db.client().sql(sql.toString());
    for (var bind : binds.entrySet()) {
      spec = spec.bind(bind.getKey(), bind.getValue());
    }
    return spec.map(UsageController::read);
  }

  private static UsageRecordView read(Readable row) {
    return new UsageRecordView(Objects.requireNonNull(row.get("request_id", String.class)),
        Objects.requireNonNull(row.get("key_id", String.class)),
        Objects.requireNonNull(row.get("tenant", String.class)),
        Objects.requireNonNull(row.get("model", String.class)),
        longOf(row, "prompt_cache_hit_tokens"), longOf(row, "prompt_cache_miss_tokens"),
        longOf(row, "completion_tokens"), longOf(row, "reasoning_tokens"),
        Objects.requireNonNull(row.get("cost", BigDecimal.class)),
        Objects.requireNonNull(row.get("currency", String.class)),
        Objects.requireNonNull(row.get("status", String.class)),
        Objects.requireNonNull(row.get("created_at", OffsetDateTime.class)).toInstant(),
        "image".equals(row.get("unit", String.class)) ? longOf(row, "units") : 0,
        "trained_token".equals(row.get("unit", String.class)) ? longOf(row, "units") : 0);
  }

  private static long longOf(Readable row, String column) {
    Long value = row.get(column, Long.class);
    return value == null ? 0 : value;
  }
}
