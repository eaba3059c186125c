#!/usr/bin/env bash
# ./platform bench decode --shape 15m|110m [--attention mha|gqa|mqa|mla] [--dtype f32|f16|bf16]
#   [--kv-dtype auto|f32|f16|bf16] [--threads N] [--batch B] [--prompt N] [--tokens N] [--device cpu|gpu|auto]
#   [--panels true|false]   (float32 products on a 16-row panel copy, -Dlatent.f32.panels; default off)
#   [--mixed 0,32,64,128,256]   (mixed steps: --batch (default 16) decoding rows at context --prompt
#     (default 256) + a prompt chunk of C rows per step, one JSON line per C: mixed_ms (median
#     step), mixed_*cpu_ms, *_per_row, and the chunk alone through the Java pass / DJL prefill)
#   [--prefill-paths 256,512]   (a prompt through the Java pass vs DJL/MKL prefill, best of --steps)
#   [--steps N]   (measured steps/runs for --mixed and --prefill-paths, default 8)
# Decode speed on random weights of the named shape, beside this machine's measured memory
# bandwidth; prints one JSON line (ms_per_token is the median step; machines are shared).
. "$(dirname "${BASH_SOURCE[0]}")/bench-engine.sh"
latent_engine_bench decode "$@"
