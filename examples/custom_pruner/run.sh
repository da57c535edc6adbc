#!/usr/bin/env bash
# Builds the example against an installed TinyPrune (PREFIX) and runs it on its YAML file.
#   examples/custom_pruner/run.sh PREFIX WORKDIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="$(realpath "$1")"
work="$(mkdir -p "$2" && realpath "$2")"
cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/build" -j2 > "$work/build.log"
cd "$work"
rm -rf runs
LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/build/custom_pruner" "$here/random_channel.yaml"
