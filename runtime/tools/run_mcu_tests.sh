#!/bin/bash
# run_mcu_tests.sh BUILD_DIR
# Builds and runs the runtime's firmware tests on emulated Cortex-M (QEMU):
#   1. host build of the test-data generator (tpr_gen_mcu_data) -> BUILD_DIR/gen/tpr_mcu_data.h
#      (blobs built with tpr_builder + the host runtime's expected int8 outputs);
#   2. for each board (mps3_an547 = Cortex-M55 + MVE kernels, mps2_an386 = Cortex-M4 + DSP
#      kernels): cross-configure with cmake/arm-none-eabi.cmake, build, and run CTest, which runs
#      every firmware under qemu-system-arm (guest exit status = test status):
#        kernels     each linked kernel vs the brute-force oracle (random shapes)
#        ref_vs_opt  optimized kernels vs the reference kernels
#        blob        embedded blobs: init + invoke, outputs == host runtime's outputs
# Exit status: 0 when every test on every board passed.
# Needs: gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm, cmake, ninja.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
JOBS=${JOBS:-2}
BOARDS=${TPR_MCU_BOARDS:-"mps3_an547 mps2_an386"}

echo "== host: test-data generator"
cmake -S "$ROOT" -B "$OUT/host" -G Ninja -DTINYPRUNE_RUNTIME_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
  -DTINYPRUNE_BUILD_TESTS=OFF > "$OUT/host.configure.log"
cmake --build "$OUT/host" --target tpr_gen_mcu_data -j "$JOBS" > "$OUT/host.build.log"
mkdir -p "$OUT/gen"
"$OUT/host/runtime/tpr_gen_mcu_data" "$OUT/gen/tpr_mcu_data.h.tmp"
if ! cmp -s "$OUT/gen/tpr_mcu_data.h.tmp" "$OUT/gen/tpr_mcu_data.h" 2>/dev/null; then
  mv "$OUT/gen/tpr_mcu_data.h.tmp" "$OUT/gen/tpr_mcu_data.h"
else
  rm "$OUT/gen/tpr_mcu_data.h.tmp"
fi

status=0
for board in $BOARDS; do
  echo "== $board"
  B="$OUT/$board"
  cmake -S "$ROOT" -B "$B" -G Ninja -DTINYPRUNE_RUNTIME_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/arm-none-eabi.cmake" -DTPR_BOARD="$board" \
    -DTPR_MCU_DATA_HEADER="$OUT/gen/tpr_mcu_data.h" > "$B.configure.log"
  cmake --build "$B" -j "$JOBS" > "$B.build.log" || { echo "build failed, see $B.build.log"; status=1; continue; }
  ctest --test-dir "$B/runtime" --output-on-failure -j "$JOBS" || status=1
done
exit $status
