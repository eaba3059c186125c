# Sourced by ./mvnw and ./platform: finds a JDK 25, because the default `java` on our machines is 17.
# Order: $JAVA_HOME, the `java` on PATH, then /usr/lib/jvm/*25*.

latent_jdk_major() { # JDK_HOME -> major version, from its release file
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}

latent_find_jdk25() {
  local candidate
  local -a candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for candidate in /usr/lib/jvm/*25* /Library/Java/JavaVirtualMachines/*25*/Contents/Home; do
    [ -d "$candidate" ] && candidates+=("$candidate")
  done
  for candidate in "${candidates[@]}"; do
    if [ -x "$candidate/bin/java" ] && [ "$(latent_jdk_major "$candidate")" = 25 ]; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Latent needs JDK 25: set JAVA_HOME to one (looked at JAVA_HOME, java on PATH, /usr/lib/jvm/*25*)" >&2
  return 1
}
