#!/usr/bin/env bash
# Training throughput: the C++ trainer vs PyTorch (Debian python3-torch) on the same graph, data,
# batch size and thread count, measured in one run. Prints a table with the ratio.
#   bench/train_throughput/run.sh [BUILD_DIR]      (STEPS=60 WARMUP=10 to change the length)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
STEPS=${STEPS:-100}
WARMUP=${WARMUP:-10}
for p in python3-torch python3-yaml python3-numpy; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || NEED="${NEED:-} $p"
done
if [ -n "${NEED:-}" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $NEED; fi
cmake --build "$BUILD_DIR" -j2 --target bench_train_throughput >/dev/null
PY=/usr/bin/python3   # Debian's interpreter, where python3-torch lives
tmp=$(mktemp -d)
printf "%-8s %-6s %-7s %-6s %14s %14s %8s %10s\n" model width threads batch "tinyprune_ips" "pytorch_ips" ratio data_frac
for model in vgg11 resnet20; do
  width=0.25; [ "$model" = resnet20 ] && width=1.0
  for threads in 1 2; do
    cpp=$("$BUILD_DIR/bench/train_throughput/bench_train_throughput" --model $model --width $width --threads $threads \
          --batch 128 --steps "$STEPS" --warmup "$WARMUP" --workers 1 --graph-out "$tmp/$model.yaml")
    py=$($PY bench/train_throughput/pytorch_baseline.py --graph "$tmp/$model.yaml" --threads $threads --batch 128 \
          --steps "$STEPS" --warmup "$WARMUP")
    $PY - "$cpp" "$py" "$model" "$width" "$threads" <<'PYEOF'
import json, sys
c, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("%-8s %-6s %-7s %-6d %14.1f %14.1f %8.3f %10.3f" % (sys.argv[3], sys.argv[4], sys.argv[5], c["batch"],
      c["images_per_second"], p["images_per_second"], c["images_per_second"] / p["images_per_second"], c["data_fraction"]))
PYEOF
  done
done
rm -rf "$tmp"
