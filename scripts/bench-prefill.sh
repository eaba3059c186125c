#!/usr/bin/env bash
# ./platform bench prefill [--prompt 512] [--shape 15m|110m] [--attention ...] [--dtype f32|f16]
#   [--threads N] [--device cpu|gpu|auto]
# Prompt processing speed (best of 3 prefills) on random weights; prints one JSON line.
. "$(dirname "${BASH_SOURCE[0]}")/bench-engine.sh"
latent_engine_bench prefill "$@"
