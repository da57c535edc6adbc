#!/usr/bin/env bash
# Model portfolio: structural conversion per level (params, latency, exact/legacy error) and the
# cost of switching variants: Portfolio::switch_to (DEFLATE in memory) vs reloading an
# uncompressed variant from disk vs keeping every variant resident. Each strategy runs in its own
# process so its peak RSS is its own.
#   bench/portfolio/run.sh [BUILD_DIR] [prepare options...]      (default BUILD_DIR: build)
#   e.g. bench/portfolio/run.sh build --model resnet20 --width 1 --levels 8
#   OUT=DIR keeps the results (portfolio.tpf, variant_*.pt, levels.csv, result_*.json) in DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
shift || true
cmake --build "$BUILD_DIR" -j2 --target bench_portfolio >/dev/null
BIN="$BUILD_DIR/bench/portfolio/bench_portfolio"
if [ -n "${OUT:-}" ]; then DIR=$OUT; mkdir -p "$DIR"; else DIR=$(mktemp -d); trap 'rm -rf "$DIR"' EXIT; fi
"$BIN" prepare "$DIR" "$@"
echo
for mode in portfolio reload reload_cold resident; do
  "$BIN" measure "$DIR" "$mode" --switches "${SWITCHES:-40}"
done
"$BIN" report "$DIR"
