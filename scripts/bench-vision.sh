#!/usr/bin/env bash
# ./platform bench vision [--task faces|pose|ocr|upscale|detect] [--concurrency 1,8] [--seconds 10]
# ./platform bench vision --task upscale-quality [--scales 2,3,4]: PSNR/SSIM per method and scale on
#   held-out photos (no service; scripts/train-espcn.sh --bench)
# Starts its own vision-service on a free port (LATENT_HOME under a temp dir, models from the
# store), drives it with closed-loop clients (dev.latent.vision.bench.VisionBench) and prints one
# JSON line per task and concurrency. For faces and pose, direct_images_per_s is the same models in-process.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/jdk.sh"
JAVA_HOME=$(latent_find_jdk25)
task=faces concurrency=1,8 seconds=10
if [ "${1:-}" = "--task" ] && [ "${2:-}" = "upscale-quality" ]; then
  shift 2
  exec bash "$ROOT/scripts/train-espcn.sh" --bench "$@"
fi
while [ $# -gt 0 ]; do
  case "$1" in
    --task) task=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "bench-vision: unknown argument $1" >&2; exit 2 ;;
  esac
done
export LATENT_HOME=${LATENT_HOME:-$ROOT/data}
# the same PyTorch intra-op thread count in the service and in the in-process (direct) run, so that
# direct_images_per_s compares like with like; on a loaded shared CPU PyTorch's default (one thread
# per core) oversubscribes it: faces direct fell to 0.44 images/s at load ~20 vs 1.84 with one thread
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
if [ "$task" = detect ]; then
  if [ ! -f "$LATENT_HOME/models/detr-shapes/model.safetensors" ] && [ -f "$ROOT/models/trained/detr-shapes/model.safetensors" ]; then
    echo "bench-vision: installing the committed models/trained/detr-shapes into $LATENT_HOME/models" >&2
    mkdir -p "$LATENT_HOME/models" && cp -r "$ROOT/models/trained/detr-shapes" "$LATENT_HOME/models/"
  fi
  [ -f "$LATENT_HOME/models/detr-shapes/model.safetensors" ] || { echo "bench-vision: no detr-shapes in $LATENT_HOME/models; run ./platform train detr" >&2; exit 1; }
else
  bash "$ROOT/scripts/models.sh" pull blazeface-back-256 face-recognition-128 face-samples esrgan-slim-x2 ppocr-v4 \
    mediapipe-pose-full >&2
fi
jar="$ROOT/vision-service/target/vision-service.jar"
if [ ! -f "$jar" ]; then
  (cd "$ROOT" && ./mvnw -q -B -ntp -pl vision-service -am package -DskipTests) >&2
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
"$JAVA_HOME/bin/java" -Dai.djl.offline=true -DDJL_CACHE_DIR="$work/djl" --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
  -jar "$jar" --server.port="$port" --latent.home="$work" --latent.vision.model-store="$LATENT_HOME/models" \
  --latent.http.access-log=false >"$work/service.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/actuator/health/readiness" >/dev/null 2>&1 && break
  sleep 1
done
"$JAVA_HOME/bin/java" -Dai.djl.offline=true -DDJL_CACHE_DIR="$work/djl" --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
  -Dloader.main=dev.latent.vision.bench.VisionBench -cp "$jar" \
  org.springframework.boot.loader.launch.PropertiesLauncher \
  "$task" "http://127.0.0.1:$port" "$LATENT_HOME/models" "$seconds" "$concurrency" 2>>"$work/bench.log" |
  grep '^{'
