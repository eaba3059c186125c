#!/usr/bin/env bash
# ./platform bench decode --shape 15m|110m [--attention mha|gqa|mqa|mla] [--dtype f32|f16|bf16]
#   [--kv-dtype auto|f32|f16|bf16] [--threads N] [--batch B] [--prompt N] [--tokens N] [--device cpu|gpu|auto]
#   [--panels true|false]   (float32 products on a 16-row panel copy, -Dlatent.f32.panels; default off)
# Decode speed on random weights of the named shape, beside this machine's measured memory
# bandwidth; prints one JSON line (ms_per_token is the median step; machines are shared).
. "$(dirname "${BASH_SOURCE[0]}")/bench-engine.sh"
latent_engine_bench decode "$@"
