#!/usr/bin/env bash
# Pruning quality on Fashion-MNIST: accuracy of filterlet (DTMM, FWCS storage) vs l1_filter
# (structured, dense storage) vs magnitude (unstructured, CSR storage) at the same storage bytes.
#
#   bench/pruning_quality/run.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, bench/pruning_quality/out)
#   THREADS=2 FRACTIONS="0.4 0.2 0.1" FINETUNE_EPOCHS=1 bench/pruning_quality/run.sh
#
# Per architecture (VGG-11 and ResNet-12 of DTMM, width-scaled): one dense training (DENSE_EPOCHS),
# then every method prunes that model (model.init_from) to each budget -- a fraction of the dense
# model's bytes -- and fine-tunes FINETUNE_EPOCHS. Bytes are the weight records of the final
# (compacted) model incl. bias and quantization parameters, each method in its own index format
# (bench_pq, pq.cpp): filterlet = FWCS where smaller (the exporter's choice), l1_filter = dense,
# magnitude = element-wise CSR where smaller (u16 index per weight). Output: OUT_DIR/results.csv
# and OUT_DIR/accuracy_vs_bytes.png (needs Debian's python3-matplotlib; skipped without it).
set -euo pipefail
# The plot needs Debian's python3-matplotlib (a bench-only dependency); install it when missing.
dpkg -s python3-matplotlib > /dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-matplotlib; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
OUT=${2:-$ROOT/bench/pruning_quality/out}
THREADS=${THREADS:-1}
FRACTIONS=${FRACTIONS:-"0.4 0.2 0.1"}
DENSE_EPOCHS=${DENSE_EPOCHS:-3}
FINETUNE_EPOCHS=${FINETUNE_EPOCHS:-1}
ARCHS=${ARCHS:-"vgg11_dtmm:0.5 resnet12:0.25"}
HERE=$ROOT/bench/pruning_quality
cmake --build "$BUILD" -j2 --target bench_pq >/dev/null
PQ=$BUILD/bench/pruning_quality/bench_pq
mkdir -p "$OUT"
CSV=$OUT/results.csv
echo "arch,method,budget_fraction,target_bytes,bytes,test_accuracy,dense_bytes,fwcs_bytes,csr_bytes,nonzero,weights,wall_seconds,run_dir" > "$CSV"
common=(--set threads=$THREADS --set train.workers=1)

for entry in $ARCHS; do
  arch=${entry%%:*} width=${entry##*:}
  dense_dir=$OUT/runs/${arch}_dense
  if [ ! -f "$dense_dir/model.pt" ]; then
    rm -rf "$dense_dir"
    "$PQ" run "$HERE/dense.yaml" "${common[@]}" --set model.name=$arch --set model.width=$width \
      --set train.epochs=$DENSE_EPOCHS --out "$dense_dir" > "$OUT/${arch}_dense.line"
  else
    "$PQ" bytes "$dense_dir" > "$OUT/${arch}_dense.line"
  fi
  IFS=, read -r _ acc weights nnz dense fwcs csr secs < "$OUT/${arch}_dense.line"
  echo "$arch,dense,1,$dense,$dense,$acc,$dense,$fwcs,$csr,$nnz,$weights,$secs,$dense_dir" >> "$CSV"
  echo "== $arch width $width: dense $dense B, test accuracy $acc"
  quant=$((dense - weights))   # 9 B per output channel
  for f in $FRACTIONS; do
    target=$(awk -v d=$dense -v f=$f 'BEGIN { printf "%d", d * f }')
    kb=$(awk -v t=$target 'BEGIN { printf "%.3f", t / 1024 }')
    # magnitude: CSR takes 3 B per kept weight + u32 row pointers (~4/9 of the quant bytes).
    sparsity=$(awk -v t=$target -v q=$quant -v w=$weights 'BEGIN { n = (t - q * 13 / 9) / 3; s = 1 - n / w; if (s > 0.995) s = 0.995; printf "%.4f", s }')
    for method in filterlet l1_filter magnitude; do
      case $method in
        filterlet) prune="{method: filterlet, budget: {model_size_kb: $kb}, prune_epoch: 0, importance_batches: 32}" ;;
        l1_filter) prune="{method: l1_filter, budget: {model_size_kb: $kb}, prune_epoch: 0}" ;;
        magnitude) prune="{method: magnitude, sparsity: $sparsity, schedule: {kind: one_shot}}" ;;
      esac
      dir=$OUT/runs/${arch}_${method}_$f
      rm -rf "$dir"
      if line=$("$PQ" run "$HERE/finetune.yaml" "${common[@]}" --set model.name=$arch --set model.width=$width \
                --set model.init_from="$dense_dir/model.pt" --set train.epochs=$FINETUNE_EPOCHS \
                --set "prune=$prune" --out "$dir" 2> "$dir.log"); then
        IFS=, read -r _ acc weights nnz dbytes fbytes cbytes secs <<< "$line"
        case $method in filterlet) bytes=$fbytes ;; l1_filter) bytes=$dbytes ;; magnitude) bytes=$cbytes ;; esac
        echo "$arch,$method,$f,$target,$bytes,$acc,$dbytes,$fbytes,$cbytes,$nnz,$weights,$secs,$dir" >> "$CSV"
        printf '   %-10s budget %4s -> %7d B (target %7d), accuracy %s\n' "$method" "$f" "$bytes" "$target" "$acc"
      else
        echo "$arch,$method,$f,$target,,,,,,,,,$dir" >> "$CSV"
        printf '   %-10s budget %4s: failed (%s)\n' "$method" "$f" "$(tail -1 "$dir.log")"
      fi
    done
  done
done
if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
  /usr/bin/python3 "$HERE/plot.py" "$CSV" "$OUT/accuracy_vs_bytes.png"
else
  echo "python3-matplotlib not installed: no plot (apt-get install python3-matplotlib)"
fi
echo "results: $CSV"
