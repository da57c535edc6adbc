#!/usr/bin/env bash
# Training throughput: the C++ trainer vs PyTorch (Debian python3-torch) on the same graph, data,
# batch size and thread count, measured in one run. Prints a table with the ratio.
#   bench/train_throughput/run.sh [BUILD_DIR]      (STEPS=60 WARMUP=10 REPEATS=3 to change the length)
# Each configuration runs REPEATS alternating rounds (C++, PyTorch default layout, PyTorch
# channels_last); medians and each round's ratios.
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
printf "%-8s %-6s %-7s %-6s %13s %13s %7s %13s %7s %9s %s\n" model width threads batch tinyprune_ips pytorch_ips ratio pt_cl_ips ratio_cl data_frac "ratio / ratio_cl (each repeat)"
for model in vgg11 resnet20; do
  width=0.25; [ "$model" = resnet20 ] && width=1.0
  for threads in 1 2; do
    : > "$tmp/runs"
    # Three runs alternate, REPEATS times, so slow drifts in machine load hit all of them:
    # the C++ trainer (its default memory format, channels_last), PyTorch as a script runs it by
    # default (contiguous NCHW), and PyTorch with the same channels_last layout (like for like).
    for _ in $(seq "$REPEATS"); do
      cpp=$("$BUILD_DIR/bench/train_throughput/bench_train_throughput" --model $model --width $width --threads $threads \
            --batch 128 --steps "$STEPS" --warmup "$WARMUP" --workers 1 --graph-out "$tmp/$model.yaml")
      py=$($PY bench/train_throughput/pytorch_baseline.py --graph "$tmp/$model.yaml" --threads $threads --batch 128 \
            --steps "$STEPS" --warmup "$WARMUP")
      pycl=$($PY bench/train_throughput/pytorch_baseline.py --graph "$tmp/$model.yaml" --threads $threads --batch 128 \
            --steps "$STEPS" --warmup "$WARMUP" --memory-format channels_last)
      echo "$cpp|$py|$pycl" >> "$tmp/runs"
    done
    $PY - "$tmp/runs" "$model" "$width" "$threads" <<'PYEOF'
import json, statistics, sys
runs = [[json.loads(x) for x in l.strip().split("|")] for l in open(sys.argv[1]) if l.strip()]
ips = lambda k: [r[k]["images_per_second"] for r in runs]
c, p, q = ips(0), ips(1), ips(2)
med = statistics.median
each = " ".join("%.3f/%.3f" % (a / b, a / d) for a, b, d in zip(c, p, q))
print("%-8s %-6s %-7s %-6d %13.1f %13.1f %7.3f %13.1f %7.3f %9.3f %s" % (sys.argv[2], sys.argv[3], sys.argv[4],
      runs[0][0]["batch"], med(c), med(p), med(c) / med(p), med(q), med(c) / med(q),
      med(r[0]["data_fraction"] for r in runs), each))
PYEOF
  done
done
rm -rf "$tmp"
