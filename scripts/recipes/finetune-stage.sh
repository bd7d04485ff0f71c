#!/usr/bin/env bash
# One fine-tune stage of the shipped float (stages 13-18): 16,000 steps from the shipped
# lprnet_128, half the target its own flip test, photo faults, warm-up 200 + cosine at 2e-4.
# Resumes when OUT already holds a run. Further arguments go to `lprnet train` after the
# recipe's own, so they override it (the centred-crop stage: --aug-shift 0.03 --aug-scale 0.95 1.05).
# STAGE_MIX (mix.sh) picks a later mix: mid (the yaws between as well), mid-pitch (and
# those turned up and down), far (and the far yaws between), near (and the near yaws).
#   scripts/recipes/finetune-stage.sh runs/stage14 12      # OUT SEED [train options]
#   STAGE_MIX=mid scripts/recipes/finetune-stage.sh runs/stage16 13 \
#     --aug-shift 0.03 --aug-scale 0.95 1.05
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?OUT}; seed=${2:?SEED}; shift 2
: "${LPRNET_DATA:?set LPRNET_DATA to the data directory}"
source scripts/recipes/mix.sh
resume=()
[ -f "$out/last.keras" ] && resume=(--resume)
exec ./scripts/run.sh train --model lprnet_128 --init lprnet_128 \
  --teacher lprnet_128 --teacher-flip --distill 0.5 "${MIX[@]}" "${VAL[@]}" "${AUG[@]}" "${FAULTS[@]}" \
  --out "$out" --epochs 16 --steps-per-epoch 1000 --lr 2e-4 --schedule cosine --warmup-steps 200 \
  --optimizer adamw --landmark-weight 256 --seed "$seed" "$@" "${resume[@]}"
