#!/usr/bin/env bash
# One lent-GPU call of learned-mixer training, in the repository root of the GPU machine:
#   bash models/gpu_mixer.sh PACK MINUTES HIDDEN...   (train_mixer's defaults: batch 16,384, lr 1e-2)
# PACK is made here by `python -m models.mixer_data pack .gpu_data/mixer` (the drawn JPEGs; the machine cannot
# read ../shared) and carried. Taps the photos on every core, then trains one network per HIDDEN side by side on
# the GPU for MINUTES each; each one's checkpoint and log land in $OUT (at most 8 files come back).
set -u
PACK=$1; MIN=$2; shift 2
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 NUMBA_CACHE_DIR=/tmp/rcl_numba
OUT=${OUT:-/tmp/rcl_mixer_out}; mkdir -p "$OUT"
nvidia-smi -L 2>/dev/null; python3 -c "import numba, torch; print('numba', numba.__version__, 'torch', torch.__version__)"
python3 -m models.train_mixer --pack "$PACK" --cache /tmp/rcl_mixer_taps --tap-only || exit 1
for h in "$@"; do
  python3 -m models.train_mixer --pack "$PACK" --cache /tmp/rcl_mixer_taps --hidden "$h" --minutes "$MIN" \
    --keep "${RCL_KEEP:-0.4}" --checkpoint "$OUT/mixer$h.pt" --out "/tmp/mixer$h.npz" > "$OUT/mixer$h.log" 2>&1 &
done
wait
tail -n 3 "$OUT"/mixer*.log
