#!/bin/bash
# bench/mcu_e2e/run.sh RUN_DIR [OUT_DIR] [BUILD_DIR]
# A trained (e.g. pruned) run end to end on emulated microcontrollers: export RUN_DIR with two
# embedded test images, build examples/mcu_app for Cortex-M55 (MVE kernels, mps3-an547) and
# Cortex-M4 (DSP kernels, mps2-an386), run it on QEMU with exact instruction counting
# (runtime/tools/insncount.c) and print, per board: instructions per inference (the first test
# image; the cost of the marks subtracted), flash bytes (the blob), arena bytes, MACs, and whether
# the firmware's outputs matched the host runtime's labels. Also writes OUT_DIR/mcu_e2e.csv.
# Needs: BUILD_DIR/tinyprune (default build/), gcc-arm-none-eabi, libnewlib-arm-none-eabi,
# qemu-system-arm.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 RUN_DIR [OUT_DIR] [BUILD_DIR]" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN=$(cd "$1" && pwd)
OUT=$(mkdir -p "${2:-$RUN/mcu_e2e}" && cd "${2:-$RUN/mcu_e2e}" && pwd)
BUILD=$(cd "${3:-$ROOT/build}" && pwd)
"$BUILD/tinyprune" export "$RUN" --out "$OUT/model.fwcs" --header "$OUT/model.h" --test-images 2 \
  --json > "$OUT/export.json"
read -r FLASH ARENA MACS < <(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))
print(e.get("flash_bytes", e.get("blob_bytes", 0)), e.get("arena_bytes", 0), e.get("macs", 0))' "$OUT/export.json")
echo "board,instructions_per_inference,flash_bytes,arena_bytes,macs,outputs_match" > "$OUT/mcu_e2e.csv"
printf "%-12s %14s %12s %12s %12s %s\n" board instructions flash_B arena_B MACs outputs
for cfg in "mps3_an547 mps3-an547" "mps2_an386 mps2-an386"; do
  set -- $cfg
  cmake -S "$ROOT/examples/mcu_app" -B "$OUT/$1" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/arm-none-eabi.cmake" -DTPR_BOARD="$1" \
    -DMODEL_HEADER="$OUT/model.h" > "$OUT/$1.configure.log"
  cmake --build "$OUT/$1" -j2 > "$OUT/$1.build.log"
  match=yes
  "$ROOT/runtime/tools/qemu_run.sh" --marks "$OUT/$1.marks" "$2" "$OUT/$1/mcu_app.elf" > "$OUT/$1.log" || match=no
  insn=$(awk '$1 == "MARK" { m[$2] = $3 } END { print (m[2] - m[1]) - (m[4] - m[3]) }' "$OUT/$1.marks")
  printf "%-12s %14s %12s %12s %12s %s\n" "$1" "$insn" "$FLASH" "$ARENA" "$MACS" "$match"
  echo "$1,$insn,$FLASH,$ARENA,$MACS,$match" >> "$OUT/mcu_e2e.csv"
done
echo "csv: $OUT/mcu_e2e.csv"
