#!/usr/bin/env bash
# ./platform train espcn [--steps 1000] [--scales 2,3,4] [--repo]
#   Trains the platform's ESPCN super-resolution networks (dev.latent.ml.vision.sr.EspcnTraining)
#   and installs them as $LATENT_HOME/models/vision/espcn-x<scale>/; --repo also copies them into
#   models/trained/ (the weights `./platform models pull espcn-x<scale>` installs).
# ./platform train espcn --bench [--scales 2,3,4]   (what `./platform bench vision --task upscale-quality` runs)
#   PSNR/SSIM of nearest, bilinear, bicubic, espcn, esrgan on the held-out photos: one JSON line
#   per method and scale.
# Data (all obtainable here with package clients):
#   training: Debian's darknet sample photos (apt-get download darknet, unpacked, not installed)
#             except person.jpg, plus 4 rendered text/shape patterns (SrData.pattern; with 24 the
#             network learned to sharpen like text and fell under bicubic on the photos);
#   held-out: darknet's person.jpg and face-api's six demo photos (./platform models pull face-samples).
#   Images larger than 512 px are box-shrunk first; degradation = box average by the scale.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/jdk.sh"
jdk=$(latent_find_jdk25)
export LATENT_HOME=${LATENT_HOME:-$ROOT/data}
CACHE="${LATENT_CACHE:-$HOME/.cache/latent}"
steps=1000 scales=2,3,4 repo=false bench=false
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --scales) scales=$2; shift 2 ;;
    --repo) repo=true; shift ;;
    --bench) bench=true; shift ;;
    *) echo "train-espcn: unknown argument $1" >&2; exit 2 ;;
  esac
done

# darknet's sample photos, unpacked from the Debian package into the cache
darknet="$CACHE/darknet/usr/share/darknet/data"
if [ ! -f "$darknet/person.jpg" ]; then
  mkdir -p "$CACHE/darknet" && tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download darknet >/dev/null 2>&1) || { echo "train-espcn: apt-get download darknet failed" >&2; exit 1; }
  dpkg-deb -x "$tmp"/darknet_*.deb "$CACHE/darknet" && rm -rf "$tmp"
fi
train="$CACHE/espcn-data/train" held="$CACHE/espcn-data/held-out"
mkdir -p "$train" "$held"
for f in dog eagle giraffe horses kite scream; do cp -f "$darknet/$f.jpg" "$train/"; done
cp -f "$darknet/person.jpg" "$held/"
bash "$ROOT/scripts/models.sh" pull face-samples >&2
faces="$LATENT_HOME/models/vision/face-samples"

target="$ROOT/libs/ml-core/target"
jar="$target/ml-core-0.1.0-SNAPSHOT.jar"
cp="$target/bench-classpath.txt"
if [ ! -f "$jar" ] || [ ! -s "$cp" ] || ! unzip -l "$jar" | grep -q EspcnTraining; then
  echo "train-espcn: building libs/ml-core (jar + classpath) ..." >&2
  (cd "$ROOT" && JAVA_HOME="$jdk" ./mvnw -q -B -ntp -pl libs/ml-core package -DskipTests \
    dependency:build-classpath -Dmdep.outputFile="$cp" >&2)
fi
java=("$jdk/bin/java" -Xmx2g -Dai.djl.offline=true --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -DDJL_CACHE_DIR="${DJL_CACHE_DIR:-$target/djl-cache}"
  -cp "$jar:$(cat "$cp")")
if $bench; then
  bash "$ROOT/scripts/models.sh" pull esrgan-slim-x2 esrgan-slim-x3 esrgan-slim-x4 >&2
  for s in ${scales//,/ }; do bash "$ROOT/scripts/models.sh" pull "espcn-x$s" >&2 || true; done
  exec "${java[@]}" dev.latent.ml.vision.sr.UpscaleQualityBench --store "$LATENT_HOME/models" \
    --images "$held,$faces" --scales "$scales" 2> >(grep -v -e WARN -e '^WARNING' -e '^\[W' >&2)
fi
"${java[@]}" dev.latent.ml.vision.sr.EspcnTraining --store "$LATENT_HOME/models" --train "$train" \
  --held-out "$held,$faces" --scales "$scales" --steps "$steps" --patterns 4 2> >(grep -v -e WARN -e '^WARNING' -e '^\[W' >&2)
if $repo; then
  for s in ${scales//,/ }; do
    mkdir -p "$ROOT/models/trained/espcn-x$s"
    cp "$LATENT_HOME/models/vision/espcn-x$s/espcn.ndlist" "$LATENT_HOME/models/vision/espcn-x$s/training.json" \
      "$ROOT/models/trained/espcn-x$s/"
    echo "train-espcn: copied espcn-x$s into models/trained/ (update its sha256 in models/catalog.yaml)" >&2
  done
fi
