#!/usr/bin/env bash
# Exact peak-memory DP: time and memoised states on the reference models and on k parallel
# branches of length n, with and without branch-and-bound. Prints one line per case.
#   bench/resources/run.sh [BUILD_DIR]      (default: build)
#   STANDALONE=1 bench/resources/run.sh     compile with g++ directly (no CMake, no LibTorch)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${STANDALONE:-0}" = 1 ]; then
  out=$(mktemp -d)
  g++ -std=c++17 -O2 -DNDEBUG -I. -o "$out/bench_pmu" bench/resources/pmu_bench.cpp core/resources/*.cpp \
    core/graph.cpp core/json.cpp core/config_node.cpp core/logging.cpp -lyaml-cpp -lspdlog -lfmt -lpthread
  "$out/bench_pmu"
  rm -rf "$out"
  exit 0
fi
BUILD_DIR=${1:-build}
cmake --build "$BUILD_DIR" -j2 --target bench_pmu >/dev/null
"$BUILD_DIR/bench/resources/bench_pmu"
