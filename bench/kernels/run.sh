#!/bin/bash
# bench/kernels/run.sh [BUILD_ROOT]
# Builds the conv3x3 kernel benchmark for Cortex-M55 (MVE, mps3-an547) and Cortex-M4 (DSP,
# mps2-an386), runs it on QEMU with the instruction-count plugin and prints exact instruction
# counts: dense vs FWCS (filterlet sparsity) vs element-wise CSR (same sparsity), with ratios
# and storage bytes. Counts are instructions, not cycles (an MVE instruction counts 1).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/build-bench}
mkdir -p "$OUT"
export TPR_TOOLS_BUILD=$OUT/tools
status=0
for cfg in "mps3_an547 mps3-an547" "mps2_an386 mps2-an386"; do
  set -- $cfg
  BOARD=$1 MACHINE=$2 B=$OUT/$1
  cmake -S "$ROOT/bench/kernels" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/arm-none-eabi.cmake" -DTPR_BOARD="$BOARD" > "$B.configure.log"
  cmake --build "$B" -j2 > "$B.build.log"
  "$ROOT/runtime/tools/qemu_run.sh" --marks "$B/marks.txt" "$MACHINE" "$B/bench_conv.elf" \
    > "$B/stdout.txt" || status=1
  awk -v board="$BOARD" '
    FNR == NR { if ($1 == "MARK") mark[$2] = $3; next }
    $1 == "MISMATCH" { print "  output mismatch: " $0; next }
    $1 == "R" {
      cal = mark[1] - mark[0]; m = $5
      dense = mark[m+1] - mark[m] - cal; fwcs = mark[m+2] - mark[m+1] - cal; csr = mark[m+3] - mark[m+2] - cal
      if (!hdr++) {
        printf "\n== %s (%s kernels), conv3x3 pad 1: instructions (millions) ==\n", board, $2
        printf "%-16s %5s %9s %9s %9s %10s %9s %15s %5s\n", "layer", "spars", "dense", "fwcs", "csr", "fwcs/dense", "csr/fwcs", "fwcs_bytes/kept", "index"
      }
      printf "%-16s %4d%% %9.3f %9.3f %9.3f %10.3f %9.2f %15.4f %5s\n", $3, $4, dense/1e6, fwcs/1e6, csr/1e6, fwcs/dense, csr/fwcs, $6/$7, $11
    }' "$B/marks.txt" "$B/stdout.txt"
  grep -q MISMATCH "$B/stdout.txt" && status=1
done
exit $status
