#!/usr/bin/env bash
# Differentiable pruning to MCU budgets (prune.method: differentiable), on Fashion-MNIST:
#   budgets   VGG-11 x0.25 (28x28), ResNet-20 x0.5 and MobileNetV2 x0.35 (16x16), three budget
#             sets each; every compacted model checked against every budget (resource model).
#   ablation  MobileNetV2, budget set B: task-only, resource-only, both (Table 2); exact vs naive
#             PMU objective (Figure 4: does the naive objective stop while the true PMU is over?).
#   baselines uniform width scaling and l1_filter at budget set B, accuracy side by side.
#   overhead  wall / training time of each model's set-B run vs plain training, same steps
#             (goal <= 10 %); ResNet-20 B with early termination (training time saved); the
#             per-step cost of the channel masks alone (bench_mask_cost, interleaved).
# Short, width-scaled runs (a subset of Fashion-MNIST) so the whole bench fits ~20-25 min on 2
# cores: accuracies are far below a full training run's; compare them with each other.
# Writes OUT/dp_*.csv and OUT/dp_bench.png (python3-matplotlib, if present) via report.py.
#   bench/differentiable/run.sh [BUILD_DIR]                      (default BUILD_DIR: build)
#   MODELS="resnet20" THREADS=2 OUT=runs/bench_differentiable bench/differentiable/run.sh build
#   ONLY="budgets overhead" ...   (parts: budgets ablation baselines overhead; default all)
set -euo pipefail
# The plot needs Debian's python3-matplotlib (a bench-only dependency); install it when missing.
dpkg -s python3-matplotlib > /dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-matplotlib; }
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
BIN="$BUILD_DIR/tinyprune"
MODELS=${MODELS:-"vgg11 resnet20 mobilenetv2"}
THREADS=${THREADS:-1}
OUT=${OUT:-runs/bench_differentiable}
ONLY=${ONLY:-"budgets ablation baselines overhead"}
mkdir -p "$OUT"
cmake --build "$BUILD_DIR" -j2 --target tinyprune bench_mask_cost >/dev/null
MANIFEST="$OUT/manifest.csv"
[ -f "$MANIFEST" ] || echo "run,model,part,variant,set,peak_memory_kb,model_size_kb,macs" > "$MANIFEST"

# Per model: width, input size (0 = native 28), steps, and three budget sets A B C
# (peak_memory_kb model_size_kb macs; "-" = unconstrained).
model_line() {
  case $1 in
    vgg11)       echo "0.25 0 400 | - 256 - | - 128 3.0e6 | 8 64 1.5e6" ;;
    resnet20)    echo "0.5 16 400 | - - 1.8e6 | - 48 1.3e6 | 4 32 0.9e6" ;;
    mobilenetv2) echo "0.35 16 300 | 20 - - | 16 256 - | 12 160 2.0e6" ;;
    *) echo "unknown model $1" >&2; exit 2 ;;
  esac
}

budget_map() {  # budget_map PMU_KB SIZE_KB MACS -> {..}
  local parts=()
  [ "$1" != - ] && parts+=("peak_memory_kb: $1")
  [ "$2" != - ] && parts+=("model_size_kb: $2")
  [ "$3" != - ] && parts+=("macs: $3")
  local IFS=,
  echo "{${parts[*]}}"
}

config() {  # config NAME MODEL WIDTH RESIZE STEPS PRUNE_SECTION
  cat <<EOF
name: $1
seed: 1
threads: $THREADS
output_dir: $OUT/runs
data: {name: fashion_mnist, val_fraction: 0.1, limit_train: 12800, limit_test: 2000, resize: $4}
model: {name: $2, width: $3}
train:
  max_steps: $5
  batch_size: 64
  optimizer: sgd
  lr: 0.05
  momentum: 0.9
  nesterov: true
  weight_decay: 5.0e-4
  schedule: {name: cosine, warmup_epochs: 0.2}
  workers: 1
  log_every: 20
EOF
  [ -n "$6" ] && printf 'prune: %s\n' "$6"
  return 0
}

run() {  # run NAME MODEL PART VARIANT SET PMU SIZE MACS PRUNE_SECTION
  local name=$1 dir="$OUT/runs/$1"
  read -r width resize steps _ <<< "$(model_line "$2")"
  config "$name" "$2" "$width" "$resize" "$steps" "$9" > "$OUT/$name.yaml"
  rm -rf "$dir"
  local t0=$SECONDS
  if ! "$BIN" run "$OUT/$name.yaml" --out "$dir" --no-progress > /dev/null 2> "$OUT/$name.log"; then
    echo "!! $name failed:"; tail -5 "$OUT/$name.log"; return 0
  fi
  grep -v "^$name," "$MANIFEST" > "$MANIFEST.tmp" || true
  mv "$MANIFEST.tmp" "$MANIFEST"
  echo "$name,$2,$3,$4,$5,$6,$7,$8" >> "$MANIFEST"
  printf '%-28s %4ds  %s\n' "$name" $((SECONDS - t0)) "$(grep -o 'test_accuracy=[0-9.]*' "$OUT/$name.log" | tail -1)"
}

has() { [[ " $ONLY " == *" $1 "* ]]; }
dp() { echo "{method: differentiable, budget: $1, start_epoch: 0.2, update_every: 20, val_batch_size: 64${2:-}}"; }

for m in $MODELS; do
  IFS='|' read -r _ A B C <<< "$(model_line "$m")"
  read -r pa sa ma <<< "$A"; read -r pb sb mb <<< "$B"; read -r pc sc mc <<< "$C"
  bb=$(budget_map $pb $sb $mb)
  if has overhead; then
    echo "== $m: plain training (reference for accuracy and overhead)"
    run "${m}_plain" "$m" overhead plain - - - - ""
  fi
  if has budgets || has overhead; then
    echo "== $m: differentiable, budget sets A B C"
    run "${m}_dp_B" "$m" budgets dp B $pb $sb $mb "$(dp "$bb")"
  fi
  if has budgets; then
    run "${m}_dp_A" "$m" budgets dp A $pa $sa $ma "$(dp "$(budget_map $pa $sa $ma)")"
    run "${m}_dp_C" "$m" budgets dp C $pc $sc $mc "$(dp "$(budget_map $pc $sc $mc)")"
  fi
  if has baselines; then
    echo "== $m: uniform and l1_filter at budget set B"
    run "${m}_uniform_B" "$m" baselines uniform B $pb $sb $mb "{method: uniform, budget: $bb}"
    run "${m}_l1_B" "$m" baselines l1_filter B $pb $sb $mb "{method: l1_filter, budget: $bb, finetune_epochs: 1}"
  fi
  if has overhead && [ "$m" = resnet20 ]; then
    echo "== $m: early termination at budget set B"
    run "${m}_dp_B_early" "$m" overhead dp_early B $pb $sb $mb "$(dp "$bb" ", early_termination: true")"
  fi
  if has ablation && [ "$m" = mobilenetv2 ]; then
    echo "== $m: ablations at budget set B"
    run "${m}_task_B" "$m" ablation task B $pb $sb $mb "$(dp "$bb" ", objective: task")"
    run "${m}_resource_B" "$m" ablation resource B $pb $sb $mb "$(dp "$bb" ", objective: resource")"
    run "${m}_naive_B" "$m" ablation naive_pmu B $pb $sb $mb "$(dp "$bb" ", pmu: naive")"
  fi
done

/usr/bin/python3 bench/differentiable/report.py "$OUT"

if has overhead; then
  # Whole runs are short here, so their wall-time differences mix per-step cost with one-off work
  # and machine noise; this isolates the per-step cost of the masks (interleaved, one process).
  echo; echo "# per-step cost of channel masks (bench_mask_cost, interleaved, $THREADS thread(s))"
  "$BUILD_DIR/bench/differentiable/bench_mask_cost" --threads "$THREADS" | tee "$OUT/dp_mask_cost.txt"
fi
