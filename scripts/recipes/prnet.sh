#!/usr/bin/env bash
# The PRNet reference (prnet_256) continued on the L-PRNet's real-data mix and augmentation:
# 4,800 steps of batch 16 (16 epochs of 300) from the shipped prnet_256, AdamW warm-up 100 +
# cosine at 3e-4, validated every 300 steps. ~2.4 s a step on 2 cores (3.2 h): run it across
# sessions; a rerun resumes. Then: lprnet model ship OUT --name prnet_256 --aflw ...
#   scripts/recipes/prnet.sh runs/prnet-mix
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?OUT}
: "${LPRNET_DATA:?set LPRNET_DATA to the data directory}"
source scripts/recipes/mix.sh
resume=()
[ -f "$out/last.keras" ] && resume=(--resume)
exec ./scripts/run.sh train --model prnet_256 --init prnet_256 "${MIX[@]}" \
  --val shards/300w-val-256 --val-examples 400 --aflw runs/AFLW2000-every-third "${AUG[@]}" \
  --out "$out" --epochs 16 --steps-per-epoch 300 --lr 3e-4 --schedule cosine --warmup-steps 100 \
  --optimizer adamw --landmark-weight 256 --seed 13 "${resume[@]}"
