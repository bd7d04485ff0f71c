#!/usr/bin/env bash
# The registered designs from random weights on the real-data mix (models.md, "Ablation on real
# faces"): one recipe, 5,000 steps of batch 16, seed 0; each scored on AFLW2000-3D, then
# tabulated. ~75 min a design on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${LPRNET_DATA:?set LPRNET_DATA to the data directory}"
source scripts/recipes/mix.sh
runs=()
for model in lprnet_128 lprnet_128_seed lprnet_128_slim; do
  out=runs/ablation-real/$model
  resume=()
  [ -f "$out/last.keras" ] && resume=(--resume)
  ./scripts/run.sh train --model "$model" "${MIX[@]}" "${VAL[@]}" "${AUG[@]}" --out "$out" \
    --epochs 5 --steps-per-epoch 1000 --lr 1e-3 --schedule cosine --warmup-steps 200 \
    --optimizer adamw --landmark-weight 256 --seed 0 "${resume[@]}"
  ./scripts/run.sh eval --model "$out/last.keras" --data aflw2000 "$LPRNET_DATA/AFLW2000" \
    --json "$out/aflw.json"
  runs+=("$out")
done
.venv/bin/python benchmarks/ablation_real.py "${runs[@]}" --json docs/ablation-real.json
