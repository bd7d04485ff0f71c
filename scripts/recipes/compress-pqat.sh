#!/usr/bin/env bash
# lprnet_128_pqat from the shipped float: 50% sparsity allocated by sensitivity over 16,000
# pruning steps (target at half), the fine-tune distilled from the float's flip test, 600
# QAT steps. Resumes in OUT. Then: lprnet model ship OUT --name lprnet_128_pqat
# MODEL= compresses another float; further arguments go to `lprnet compress` after the
# recipe's own (a centred-crop float: --aug-shift 0.03 --aug-scale 0.95 1.05); STAGE_MIX
# (mix.sh) the float's own mix.
#   scripts/recipes/compress-pqat.sh runs/prune-fourteen
#   MODEL=runs/centred/best.keras scripts/recipes/compress-pqat.sh runs/prune-centred \
#     --aug-shift 0.03 --aug-scale 0.95 1.05
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?OUT}; shift
: "${LPRNET_DATA:?set LPRNET_DATA to the data directory}"
source scripts/recipes/mix.sh
exec ./scripts/run.sh compress --model "${MODEL:-lprnet_128}" --out "$out" "${MIX[@]}" \
  --sparsity 0.5 --prune-steps 16000 --prune-ramp 0.5 --qat-steps 600 --lr 1.5e-4 \
  --qat-lr 3e-5 --schedule cosine --landmark-weight 256 --distill 0.5 --teacher-flip \
  --allocation sensitivity --aug-border 0.3 --aug-gray 0.15 --aug-contrast 0.7 1.5 \
  --aflw "$LPRNET_DATA/AFLW2000" "$@"
