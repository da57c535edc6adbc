#!/usr/bin/env bash
# IMP + DNNShifter structural conversion on Fashion-MNIST (VGG-16 and ResNet-20, width-scaled):
# per level sparsity, sparse / exact / legacy accuracy, converted params and compression, CPU
# latency sparse vs converted, conversion time; and, for the last level, the time of a
# fine-tuning-based structured prune (l1_filter to the same int8 model size, from the trained
# dense model, fine-tuned for one level's steps) against the conversion time.
# Writes OUT/imp_levels.csv, OUT/imp_vs_l1.csv, OUT/imp_levels.png (python3-matplotlib, if present).
#   bench/imp/run.sh [BUILD_DIR]           (default BUILD_DIR: build)
#   MODELS="vgg16 resnet20" LEVELS=25 FRACTION=0.2 THREADS=1 OUT=bench/imp/out bench/imp/run.sh build-data
# Switching (portfolio inflate vs reload vs resident) is measured by bench/portfolio/run.sh.
set -euo pipefail
# The plot needs Debian's python3-matplotlib (a bench-only dependency); install it when missing.
dpkg -s python3-matplotlib > /dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-matplotlib; }
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
BIN="$BUILD_DIR/tinyprune"
MODELS=${MODELS:-"vgg16 resnet20"}
FRACTION=${FRACTION:-0.2}
THREADS=${THREADS:-1}
LATENCY_BATCH=${LATENCY_BATCH:-64}
OUT=${OUT:-bench/imp/out}
mkdir -p "$OUT"
cmake --build "$BUILD_DIR" -j2 --target tinyprune >/dev/null

config() {  # config MODEL PRUNE_SECTION EXTRA_MODEL_KEYS > file
  sed -e "s/^threads: .*/threads: $THREADS/" "bench/imp/$1.yaml" |
    sed -e "s|^model: {\(.*\)}|model: {\1$3}|"
  [ -n "$2" ] && printf 'prune: %s\n' "$2"
  return 0
}

for m in $MODELS; do
  case $m in
    vgg16) levels=${LEVELS:-25}; rewind=${REWIND:-10} ;;
    *) levels=${LEVELS:-12}; rewind=${REWIND:-5} ;;
  esac
  d="$OUT/$m"
  if [ -z "${SKIP_IMP:-}" ]; then
    rm -rf "$d"; mkdir -p "$d"
    imp="{method: imp, levels: $levels, fraction: $FRACTION, rewind_step: $rewind, structural: exact, compare_modes: true, portfolio: true, latency_batch: $LATENCY_BATCH, latency_reps: 20}"
    config "$m" "$imp" "" > "$d/imp.yaml"
    config "$m" "" "" > "$d/dense.yaml"
    echo "== $m: IMP $levels levels x fraction $FRACTION (rewind to step $rewind), threads $THREADS"
    /usr/bin/time -f "%e s wall, %M KB max RSS" "$BIN" run "$d/imp.yaml" --out "$d/imp" --no-progress 2> "$d/imp.log" || { tail -20 "$d/imp.log"; exit 1; }
    tail -1 "$d/imp.log"
    echo "== $m: dense run (same steps; equals IMP level 0) for the l1_filter start"
    "$BIN" run "$d/dense.yaml" --out "$d/dense" --no-progress 2> "$d/dense.log" || { tail -20 "$d/dense.log"; exit 1; }
  fi
  # l1_filter from the trained dense model to the int8 model size of a level's exact conversion,
  # fine-tuned for one level's steps: "last" = the last level, "useful" = the most compressed
  # level whose converted accuracy is >= 90 % of level 0's.
  for which in ${L1_LEVELS:-last useful}; do
    read -r level kb < <(/usr/bin/python3 - "$d/imp/summary.json" "$which" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]))["prune"]["level_records"]
if sys.argv[2] == "last":
    r = recs[-1]
else:
    ok = [r for r in recs if r["exact_accuracy"] >= 0.9 * recs[0]["test_accuracy"]]
    r = min(ok, key=lambda r: (r["exact_params"], -r["level"]))
print(r["level"], "%.3f" % (r["exact_model_size_bytes"] / 1024.0))
PY
)
    config "$m" "{method: l1_filter, prune_epoch: 0, budget: {model_size_kb: $kb}}" ", init_from: $d/dense" > "$d/l1_level$level.yaml"
    echo "== $m: l1_filter to ${kb} KB (level $level, $which) from the dense model + fine-tuning"
    rm -rf "$d/l1_level$level"
    "$BIN" run "$d/l1_level$level.yaml" --out "$d/l1_level$level" --no-progress 2> "$d/l1_level$level.log" ||
      { tail -20 "$d/l1_level$level.log"; exit 1; }
  done
done

/usr/bin/python3 bench/imp/report.py "$OUT" $MODELS
