#!/usr/bin/env bash
# docs/benchmark.md's run: export the shipped models, then time and score every runtime
# (AFLW2000-3D). ~14 min on 2 idle cores; run nothing else beside it.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${LPRNET_DATA:?set LPRNET_DATA to the data directory}"
R=./scripts/run.sh
$R export --model lprnet_128 --format all --precision all --out runs/bench-shipped
$R export --model lprnet_128_pqat --format tflite --precision int8 --out runs/bench-shipped
$R export --model lprnet_128_uv64 --format tfjs --precision uint8 --out runs/bench-shipped
$R bench --exports runs/bench-shipped --out runs/bench-report --aflw "$LPRNET_DATA/AFLW2000" \
  --threads 1,2
