#!/usr/bin/env bash
# Deterministic side of bench/train_throughput: instructions per training step of the C++
# trainer and of the PyTorch baseline (same graph, data, batch, 1 thread), counted by valgrind's
# callgrind. Wall-time ratios on a shared VM move by +-12 % between identical runs; instruction
# counts do not. Each side runs twice (N1 and N2 timed steps after one warm-up step); the
# difference divided by N2 - N1 cancels start-up (imports, data loading, linking) and leaves the
# per-step work, all threads included (the C++ loader thread too).
# Slow: about 3 minutes per step under valgrind; the defaults take ~25 min on 2 cores.
# Both sides run the same memory format (FORMAT, default contiguous = NCHW; channels_last too).
# Kernel time (page faults) is not user-space instructions: the wall-time bench shows that part.
#   bench/train_throughput/callgrind.sh [BUILD_DIR]     (MODEL=vgg11 WIDTH=0.25 N1=2 N2=4 FORMAT=contiguous)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
MODEL=${MODEL:-vgg11}
WIDTH=${WIDTH:-0.25}
N1=${N1:-2}
N2=${N2:-4}
FORMAT=${FORMAT:-contiguous}
command -v valgrind > /dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind; }
for p in python3-torch python3-yaml python3-numpy; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || NEED="${NEED:-} $p"
done
if [ -n "${NEED:-}" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $NEED; fi
cmake --build "$BUILD_DIR" -j2 --target bench_train_throughput > /dev/null
BIN="$BUILD_DIR/bench/train_throughput/bench_train_throughput"
tmp=$(mktemp -d)
"$BIN" --model "$MODEL" --width "$WIDTH" --threads 1 --batch 128 --steps 1 --warmup 1 --workers 1 \
  --graph-out "$tmp/graph.yaml" > /dev/null

count() {  # count NAME CMD... : runs CMD under callgrind, prints the collected instructions
  local name=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.out" "$@" > "$tmp/$name.log" 2>&1
  awk '/Collected/ {print $4}' "$tmp/$name.log"
}
for n in "$N1" "$N2"; do
  count "cpp_$n" "$BIN" --model "$MODEL" --width "$WIDTH" --threads 1 --batch 128 --steps "$n" --warmup 1 \
    --workers 1 --memory-format "$FORMAT" > "$tmp/cpp_$n.ir" &
  count "py_$n" /usr/bin/python3 bench/train_throughput/pytorch_baseline.py --graph "$tmp/graph.yaml" --threads 1 \
    --batch 128 --steps "$n" --warmup 1 --memory-format "$FORMAT" > "$tmp/py_$n.ir" &
done
wait
/usr/bin/python3 - "$tmp" "$N1" "$N2" "$MODEL" <<'PY'
import sys
d, n1, n2, model = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ir = lambda name: int(open(f"{d}/{name}.ir").read().strip())
cpp = (ir(f"cpp_{n2}") - ir(f"cpp_{n1}")) / (n2 - n1)
py = (ir(f"py_{n2}") - ir(f"py_{n1}")) / (n2 - n1)
print("%-8s %18s %18s %22s" % ("model", "tinyprune_ir/step", "pytorch_ir/step", "ratio (pytorch/ours)"))
print("%-8s %18.0f %18.0f %22.4f" % (model, cpp, py, py / cpp))
PY
rm -rf "$tmp"
