# Sourced by the recipes: the shipped float's data mix, validation and augmentation.
TAIL=(--data shards/300w-photos-256:0.2 --data shards/synth-256:0.15)
OTHERS=(--data shards/300w-lp-pitch-256:0.2 "${TAIL[@]}")
MIX=(--data shards/300w-lp-256:0.45 "${OTHERS[@]}")
# From the sixteenth stage: the yaw views' 0.45 shared with the yaws between (15 / 45 / 75).
YAWS=(--data shards/300w-lp-256:0.3 --data shards/300w-lp-mid-256:0.15)
MIX_MID=("${YAWS[@]}" "${OTHERS[@]}")
# From the seventeenth: the pitched views' 0.2 shared with the yaws between turned up and down.
MIX_MID_PITCH=("${YAWS[@]}" --data shards/300w-lp-pitch-256:0.1
               --data shards/300w-lp-mid-pitch-256:0.1 "${TAIL[@]}")
# From the eighteenth: the far yaws between (37 / 52 / 67 / 82, pitched) take 0.1 of the yaw views.
MIX_FAR=(--data shards/300w-lp-256:0.2 --data shards/300w-lp-mid-256:0.15
         --data shards/300w-lp-far-256:0.1 --data shards/300w-lp-pitch-256:0.1
         --data shards/300w-lp-mid-pitch-256:0.1 "${TAIL[@]}")
# From the nineteenth: the near yaws (7 / 22, pitched) take 0.1 more of the 0 / 30 / 60 / 90 set's.
MIX_NEAR=(--data shards/300w-lp-256:0.1 --data shards/300w-lp-near-256:0.1
          --data shards/300w-lp-mid-256:0.15 --data shards/300w-lp-far-256:0.1
          --data shards/300w-lp-pitch-256:0.1 --data shards/300w-lp-mid-pitch-256:0.1 "${TAIL[@]}")
# STAGE_MIX picks the mix a recipe trains on: unset MIX, mid MIX_MID, mid-pitch MIX_MID_PITCH,
# far MIX_FAR, near MIX_NEAR.
case "${STAGE_MIX:-}" in
  "") ;;
  mid) MIX=("${MIX_MID[@]}") ;;
  mid-pitch) MIX=("${MIX_MID_PITCH[@]}") ;;
  far) MIX=("${MIX_FAR[@]}") ;;
  near) MIX=("${MIX_NEAR[@]}") ;;
  *) echo "STAGE_MIX must be mid, mid-pitch, far or near, got ${STAGE_MIX}" >&2; exit 2 ;;
esac
VAL=(--val shards/300w-val-256 --val shards/300w-val-pitch-256 --val-examples 2806
     --aflw runs/AFLW2000-every-third)
AUG=(--flip-prob 0.5 --aug-scale 0.9 1.1 --aug-fill reflect --aug-border 0.3 --aug-gray 0.15
     --aug-contrast 0.7 1.5)
FAULTS=(--aug-blur 1.5 --aug-noise 0.04 --aug-jpeg 30)
