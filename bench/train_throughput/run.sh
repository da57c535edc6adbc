#!/usr/bin/env bash
# Training throughput: the C++ trainer vs PyTorch (Debian python3-torch) on the same graph, data,
# batch size and thread count, measured in one run. Prints a table with the ratio.
#   bench/train_throughput/run.sh [BUILD_DIR]      (STEPS=60 WARMUP=10 REPEATS=3 to change the length)
# Each configuration runs REPEATS alternating C++ / PyTorch pairs; medians and each pair's ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
STEPS=${STEPS:-100}
WARMUP=${WARMUP:-10}
REPEATS=${REPEATS:-3}
for p in python3-torch python3-yaml python3-numpy; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || NEED="${NEED:-} $p"
done
if [ -n "${NEED:-}" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $NEED; fi
cmake --build "$BUILD_DIR" -j2 --target bench_train_throughput >/dev/null
PY=/usr/bin/python3   # Debian's interpreter, where python3-torch lives
tmp=$(mktemp -d)
printf "%-8s %-6s %-7s %-6s %14s %14s %8s %10s %s\n" model width threads batch "tinyprune_ips" "pytorch_ips" ratio data_frac "ratios (each repeat)"
for model in vgg11 resnet20; do
  width=0.25; [ "$model" = resnet20 ] && width=1.0
  for threads in 1 2; do
    : > "$tmp/pairs"
    # C++ and PyTorch alternate, REPEATS times, so slow drifts in machine load hit both; the
    # table shows medians and every repeat's ratio.
    for _ in $(seq "$REPEATS"); do
      cpp=$("$BUILD_DIR/bench/train_throughput/bench_train_throughput" --model $model --width $width --threads $threads \
            --batch 128 --steps "$STEPS" --warmup "$WARMUP" --workers 1 --graph-out "$tmp/$model.yaml")
      py=$($PY bench/train_throughput/pytorch_baseline.py --graph "$tmp/$model.yaml" --threads $threads --batch 128 \
            --steps "$STEPS" --warmup "$WARMUP")
      echo "$cpp|$py" >> "$tmp/pairs"
    done
    $PY - "$tmp/pairs" "$model" "$width" "$threads" <<'PYEOF'
import json, statistics, sys
pairs = [l.strip().split("|") for l in open(sys.argv[1]) if l.strip()]
c = [json.loads(a) for a, _ in pairs]
p = [json.loads(b) for _, b in pairs]
ci = statistics.median(x["images_per_second"] for x in c)
pi = statistics.median(x["images_per_second"] for x in p)
ratios = " ".join("%.3f" % (a["images_per_second"] / b["images_per_second"]) for a, b in zip(c, p))
print("%-8s %-6s %-7s %-6d %14.1f %14.1f %8.3f %10.3f %s" % (sys.argv[2], sys.argv[3], sys.argv[4], c[0]["batch"], ci, pi,
      ci / pi, statistics.median(x["data_fraction"] for x in c), ratios))
PYEOF
  done
done
rm -rf "$tmp"
