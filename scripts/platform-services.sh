# Sourced by ./platform: starting, stopping and watching the four service processes.

# module:port, in start order (the gateway last, so its backends are up when it is).
SERVICES=(inference-service:8081 vision-service:8082 training-service:8083 gateway:8080)

# Per-service JVM settings for one machine: small heaps, DJL offline with its cache in LATENT_HOME.
# The gateway's own options (collector, metaspace) are in gateway/jvm.options, which the chart and
# ./platform bench gateway use too.
service_java_opts() {
  local heap=1g extra=""
  case "$1" in
    gateway) heap=512m extra="@$ROOT/gateway/jvm.options" ;;
    inference-service | training-service) heap=3g ;;
  esac
  echo "-Xmx$heap -XX:+ExitOnOutOfMemoryError --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector -Dai.djl.offline=true${extra:+ $extra}"
}

resolve_service() { # short or full name -> module
  local name=$1 entry
  for entry in "${SERVICES[@]}"; do
    case "${entry%%:*}" in "$name" | "$name-service") echo "${entry%%:*}"; return 0 ;; esac
  done
  return 1
}

jar_of() { echo "$ROOT/$1/target/$1.jar"; }

# Our process for a module, if its PID file points at a live java running that module's jar.
running_pid() {
  local pid_file="$RUN/$1.pid" pid
  [ -f "$pid_file" ] || return 1
  pid=$(cat "$pid_file")
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$(jar_of "$1")"; then
    echo "$pid"
    return 0
  fi
  rm -f "$pid_file" # stale: the process is gone or the PID was reused
  return 1
}

healthy() { curl -sf -m 2 "http://localhost:$1/actuator/health/readiness" >/dev/null 2>&1; }

# Modules whose jar is missing or older than their sources (or the shared libs' sources).
stale_modules() {
  local entry module jar
  for entry in "${SERVICES[@]}"; do
    module=${entry%%:*}
    jar=$(jar_of "$module")
    if [ ! -f "$jar" ] || [ -n "$(find "$ROOT/$module/src" "$ROOT/$module/pom.xml" "$ROOT/libs" \
        "$ROOT/pom.xml" -newer "$jar" -type f -not -path '*/target/*' -print -quit 2>/dev/null)" ]; then
      echo "$module"
    fi
  done
}

build_missing() {
  local modules
  modules=$(stale_modules | paste -sd, -)
  [ -z "$modules" ] && return 0
  say "building $modules (first time takes a few minutes)..."
  "$ROOT/mvnw" -q -B -ntp -f "$ROOT/pom.xml" -DskipTests -pl "$modules" -am package \
    >"$LOGS/build.log" 2>&1 || { tail -40 "$LOGS/build.log" >&2; die "build failed (log: $LOGS/build.log)"; }
  say "built."
}

# The platform's own chat model, committed under models/<name>/ (HF layout): copied into the store
# when missing or older, so the inference-service serves it (and the training-service can fine-tune
# it). A seeded stand-in left in the store by a start without it is removed: the inference-service
# creates the seeded model only when the store has no chat model at all.
install_default_models() {
  local dir name dest seeded
  for dir in "$ROOT"/models/*/; do
    [ -f "$dir/config.json" ] && [ -f "$dir/model.safetensors" ] || continue
    name=$(basename "$dir")
    dest="$LATENT_HOME/models/$name"
    if [ ! -f "$dest/model.safetensors" ] || [ "$dir/model.safetensors" -nt "$dest/model.safetensors" ]; then
      mkdir -p "$dest"
      cp "$dir/config.json" "$dir/model.safetensors" "$dir/tokenizer.json" "$dir/tokenizer_config.json" "$dest/"
      say "installed the default chat model $name into $LATENT_HOME/models"
    fi
    for seeded in "$LATENT_HOME"/models/latent-seeded-*/; do
      [ -f "$seeded/latent-seeded.txt" ] && rm -rf "$seeded"
    done
  done
  return 0
}

# The gateway's admin API needs a secret: LATENT_ADMIN_KEY when set, else one generated on the
# first start and kept in $LATENT_HOME/admin-key (owner-only), so keys can be created locally.
ensure_admin_key() {
  if [ -z "${LATENT_ADMIN_KEY:-}" ]; then
    local file="$LATENT_HOME/admin-key"
    if [ ! -s "$file" ]; then
      (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' | sed 's/^/lt-admin-/' >"$file")
    fi
    LATENT_ADMIN_KEY=$(cat "$file")
  fi
  export LATENT_ADMIN_KEY
}

# A virtual key for the local user (tenant "local"), created once through the admin API and kept
# in $LATENT_HOME/api-key, so the printed API works with an OpenAI client straight away.
ensure_local_api_key() {
  local file="$LATENT_HOME/api-key" answer
  [ -s "$file" ] && return 0
  answer=$(curl -sf -m 10 -X POST http://localhost:8080/admin/keys \
    -H "Authorization: Bearer $LATENT_ADMIN_KEY" -H 'Content-Type: application/json' \
    -d '{"name":"local","tenant":"local"}') || { say "could not create a local API key (admin API)"; return 0; }
  (umask 077 && printf '%s' "$answer" | grep -o '"key" *: *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' >"$file")
  [ -s "$file" ] || rm -f "$file"
}

platform_up() {
  JAVA_HOME=$(latent_find_jdk25) || exit 1
  mkdir -p "$RUN" "$LOGS" "$LATENT_HOME/models"
  command -v curl >/dev/null || die "curl is needed to check the services' health"
  build_missing
  install_default_models
  ensure_admin_key
  local entry module port pid
  for entry in "${SERVICES[@]}"; do
    module=${entry%%:*}
    port=${entry##*:}
    if pid=$(running_pid "$module"); then
      say "$module already running (pid $pid)"
      continue
    fi
    if healthy "$port"; then
      die "port $port already answers but not from a process this launcher started; stop it first"
    fi
    # shellcheck disable=SC2046
    DJL_CACHE_DIR="$LATENT_HOME/cache/djl" nohup "$JAVA_HOME/bin/java" $(service_java_opts "$module") \
      -jar "$(jar_of "$module")" >"$LOGS/$module.log" 2>&1 </dev/null &
    echo $! >"$RUN/$module.pid"
    say "starting $module (pid $!, log $LOGS/$module.log)"
  done
  wait_healthy
  ensure_local_api_key
  say ""
  say "Latent is up:"
  say "  API (OpenAI-compatible)  http://localhost:8080/v1"
  say "  API key (Bearer)         $(cat "$LATENT_HOME/api-key" 2>/dev/null || echo "none: see $LOGS/gateway.log")"
  say "  admin key                in $LATENT_HOME/admin-key (or LATENT_ADMIN_KEY)"
  for entry in "${SERVICES[@]}"; do
    printf '  %-24s http://localhost:%s  (OpenAPI: /v3/api-docs, health: /actuator/health)\n' \
      "${entry%%:*}" "${entry##*:}"
  done
  say "Stop it with ./platform down"
}

wait_healthy() {
  local deadline=$((SECONDS + ${LATENT_START_TIMEOUT:-240})) entry module port pending last=""
  while :; do
    pending=()
    for entry in "${SERVICES[@]}"; do
      module=${entry%%:*}
      port=${entry##*:}
      running_pid "$module" >/dev/null || { tail -30 "$LOGS/$module.log" >&2; die "$module exited during start"; }
      healthy "$port" || pending+=("$module")
    done
    [ ${#pending[@]} -eq 0 ] && return 0
    [ $SECONDS -ge $deadline ] && die "not healthy in time: ${pending[*]} (see $LOGS)"
    [ "${pending[*]}" != "$last" ] && say "waiting for ${pending[*]}..."
    last="${pending[*]}"
    sleep 2
  done
}

platform_down() {
  local entry module pid stopped=0
  for entry in "${SERVICES[@]}"; do
    module=${entry%%:*}
    pid=$(running_pid "$module") || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    rm -f "$RUN/$module.pid"
    say "stopped $module (pid $pid)"
    stopped=$((stopped + 1))
  done
  [ $stopped -eq 0 ] && say "nothing was running"
  return 0
}

platform_status() {
  local entry module port pid health
  printf '%-20s %-8s %-6s %s\n' SERVICE PID PORT HEALTH
  for entry in "${SERVICES[@]}"; do
    module=${entry%%:*}
    port=${entry##*:}
    pid=$(running_pid "$module") || pid=-
    health=$(curl -s -m 2 "http://localhost:$port/actuator/health" 2>/dev/null | sed -n 's/.*"status":"\([A-Z_]*\)".*/\1/p')
    printf '%-20s %-8s %-6s %s\n' "$module" "$pid" "$port" "${health:-DOWN}"
  done
}

platform_logs() {
  [ $# -ge 1 ] || die "which service? gateway, inference, vision or training"
  local module
  module=$(resolve_service "$1") || die "unknown service: $1"
  [ -f "$LOGS/$module.log" ] || die "no log yet for $module ($LOGS/$module.log)"
  exec tail -n 200 -F "$LOGS/$module.log"
}
