# Sourced by the recipes: the shipped float's data mix, validation and augmentation.
OTHERS=(--data shards/300w-lp-pitch-256:0.2 --data shards/300w-photos-256:0.2
        --data shards/synth-256:0.15)
MIX=(--data shards/300w-lp-256:0.45 "${OTHERS[@]}")
# From the sixteenth stage: the yaw views' 0.45 shared with the yaws between (15 / 45 / 75).
MIX_MID=(--data shards/300w-lp-256:0.3 --data shards/300w-lp-mid-256:0.15 "${OTHERS[@]}")
VAL=(--val shards/300w-val-256 --val shards/300w-val-pitch-256 --val-examples 2806
     --aflw runs/AFLW2000-every-third)
AUG=(--flip-prob 0.5 --aug-scale 0.9 1.1 --aug-fill reflect --aug-border 0.3 --aug-gray 0.15
     --aug-contrast 0.7 1.5)
FAULTS=(--aug-blur 1.5 --aug-noise 0.04 --aug-jpeg 30)
