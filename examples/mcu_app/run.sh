#!/bin/bash
# examples/mcu_app/run.sh [BUILD_DIR] [MODEL_H]
# Builds the example app for Cortex-M55 (MVE) and Cortex-M4 (DSP) and runs it on QEMU.
# Without MODEL_H a demo model.h is generated on the host (make_demo_model.c, tpr_builder).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/build-mcu-app}" && cd "${1:-$ROOT/build-mcu-app}" && pwd)
MODEL=${2:-}
if [ -z "$MODEL" ]; then
  R=$ROOT/runtime
  gcc -std=c99 -O2 -I"$R/include" -o "$OUT/make_demo_model" "$ROOT/examples/mcu_app/make_demo_model.c" \
    "$R/src/host/tpr_builder.c" "$R"/src/tpr_*.c "$R"/src/kernels/ref/*.c -lm
  mkdir -p "$OUT/demo"
  "$OUT/make_demo_model" "$OUT/demo/model.h"
  MODEL=$OUT/demo/model.h
fi
status=0
for cfg in "mps3_an547 mps3-an547" "mps2_an386 mps2-an386"; do
  set -- $cfg
  echo "== $1"
  cmake -S "$ROOT/examples/mcu_app" -B "$OUT/$1" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/arm-none-eabi.cmake" -DTPR_BOARD="$1" \
    -DMODEL_HEADER="$MODEL" > "$OUT/$1.configure.log"
  cmake --build "$OUT/$1" -j2 > "$OUT/$1.build.log"
  "$ROOT/runtime/tools/qemu_run.sh" "$2" "$OUT/$1/mcu_app.elf" || status=1
done
exit $status
