#!/usr/bin/env bash
# ./platform train detr [--url http://localhost:8083] [--in-process] [--seed 1] [--model detr-shapes]
#                       [--hyper '{"n_epochs": 2, "train_size": 8000, ...}']
#   Trains the platform's DETR on the generated shapes dataset (dev.latent.ml.vision.detr.ShapesDataset:
#   circle, square, triangle, star on gradient/noise/stripe/check backgrounds; images are a function of
#   the seed) and writes it to $LATENT_HOME/models/<model>/, where POST /v1/vision/detect finds it.
#   Default: a training-service job through the API (method.type detection; the service must run,
#   e.g. ./platform up), following its events until it finishes. --in-process: the same training
#   loop (DetrTraining) in a JVM of its own, no service needed; prints JSON lines.
#   Hyperparameters: n_epochs, batch_size, learning_rate, weight_decay, warmup_steps, max_grad_norm,
#   train_size, held_out_size, max_objects, eval_every (defaults in docs/vision.md).
#   On a shared CPU, OMP_NUM_THREADS=1 is much faster than PyTorch's default thread count.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LATENT_HOME=${LATENT_HOME:-$ROOT/data}
url=${LATENT_TRAINING_URL:-http://localhost:8083} inproc=false seed=1 model=detr-shapes hyper='{}'
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url=$2; shift 2 ;;
    --in-process) inproc=true; shift ;;
    --seed) seed=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --hyper) hyper=$2; shift 2 ;;
    *) echo "train-detr: unknown argument $1" >&2; exit 2 ;;
  esac
done
if $inproc; then
  . "$ROOT/scripts/jdk.sh"
  jdk=$(latent_find_jdk25)
  (cd "$ROOT" && ./mvnw -q -o -pl libs/ml-core install -DskipTests) >&2
  cp=$(cd "$ROOT" && ./mvnw -q -o -pl libs/ml-core dependency:build-classpath -Dmdep.outputFile=/dev/stdout)
  args=$(python3 -c 'import json,sys; print(" ".join(f"{k}={v}" for k,v in json.loads(sys.argv[1]).items()))' "$hyper")
  out="$LATENT_HOME/models/$model"
  tmp="$out.partial"
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$jdk/bin/java" --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
    -cp "$ROOT/libs/ml-core/target/classes:$cp" dev.latent.ml.vision.detr.DetrTraining "$tmp" seed="$seed" $args
  rm -rf "$out" "$tmp-checkpoints" && mv "$tmp" "$out"
  echo "train-detr: wrote $out" >&2
  exit 0
fi
body=$(python3 -c 'import json,sys; print(json.dumps({"model": sys.argv[1], "seed": int(sys.argv[2]),
  "method": {"type": "detection", "detection": {"hyperparameters": json.loads(sys.argv[3])}}}))' "$model" "$seed" "$hyper")
job=$(curl -fsS -H 'Content-Type: application/json' -d "$body" "$url/v1/fine_tuning/jobs") ||
  { echo "train-detr: the training-service at $url did not accept the job (is it running? ./platform up, or use --in-process)" >&2; exit 1; }
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$job")
echo "train-detr: job $id" >&2
# live events until the job finishes (the stream ends then)
curl -fsSN -H 'Accept: text/event-stream' "$url/v1/fine_tuning/jobs/$id/events" | sed -n 's/^data://p'
curl -fsS "$url/v1/fine_tuning/jobs/$id" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(json.dumps({k: j.get(k) for k in ("id","status","fine_tuned_model","error")}))'
