#!/usr/bin/env bash
# The training and validation shards of the shipped models, rebuilt from the 300W photos in
# $LPRNET_DATA/300W (deterministic: the same bytes on every run). ~80 min on 2 cores, 36 GB.
#   LPRNET_DATA=../shared/data scripts/recipes/shards.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${LPRNET_DATA:?set LPRNET_DATA to the data directory}"
R=./scripts/run.sh
W=$LPRNET_DATA/300W
TRAIN=(afw helen/trainset helen/testset lfpw/trainset)
PITCH=(--pitches -40 -25 -10 10 25 40)
$R data profile --source 300w --photos "$W" --subsets lfpw/testset --yaws 0 30 60 90 \
  --out shards/300w-val-256
$R data profile --source 300w --photos "$W" --subsets lfpw/testset --yaws 0 30 60 90 "${PITCH[@]}" \
  --out shards/300w-val-pitch-256
$R data synth --count 8000 --size 256 --seed 1 --out shards/synth-256
$R data build --source 300w "$W" --subsets "${TRAIN[@]}" --out shards/300w-photos-256 --size 256
$R data profile --source 300w --photos "$W" --subsets "${TRAIN[@]}" --yaws 0 30 60 90 \
  --out shards/300w-lp-256
$R data profile --source 300w --photos "$W" --subsets "${TRAIN[@]}" --yaws 0 30 60 90 "${PITCH[@]}" \
  --out shards/300w-lp-pitch-256
# the yaws between (300W-LP draws them continuously): from the sixteenth stage on
$R data profile --source 300w --photos "$W" --subsets "${TRAIN[@]}" --yaws 15 45 75 \
  --out shards/300w-lp-mid-256
# and those turned up and down too: from the seventeenth stage on
$R data profile --source 300w --photos "$W" --subsets "${TRAIN[@]}" --yaws 15 45 75 "${PITCH[@]}" \
  --out shards/300w-lp-mid-pitch-256
# the far yaws between (37 / 52 / 67 / 82, where the error is) at pitches of their own: from the
# eighteenth stage on
$R data profile --source 300w --photos "$W" --subsets "${TRAIN[@]}" --yaws 37 52 67 82 \
  --pitches -32 -18 -5 5 18 32 --out shards/300w-lp-far-256
# the near yaws (7 / 22) at those pitches: from the nineteenth stage on
$R data profile --source 300w --photos "$W" --subsets "${TRAIN[@]}" --yaws 7 22 \
  --pitches -32 -18 -5 5 18 32 --out shards/300w-lp-near-256
# the AFLW2000-3D images tracked each epoch: every third of the 995 (332), linked, not copied
mkdir -p runs/AFLW2000-every-third
ls "$LPRNET_DATA"/AFLW2000/*.jpg | sort | awk 'NR % 3 == 1' | while read -r f; do
  ln -sf "$f" "${f%.jpg}.mat" runs/AFLW2000-every-third/
done
