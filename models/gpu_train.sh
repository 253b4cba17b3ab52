#!/usr/bin/env bash
# One lent-GPU session of RC training, started in the repository root of the GPU machine:
#   bash models/gpu_train.sh start PACK_DIR...   build caches, start the runs in the background
#   bash models/gpu_train.sh wait SECONDS        let them run, then copy checkpoints and logs to $OUT
#   bash models/gpu_train.sh stop                stop them (each saves its checkpoint), copy to $OUT
#   RCL_STOP_AT=EPOCH bash models/gpu_train.sh run PACK_DIR...
#                                                all three in one call: the schedules are timed to end
#                                                at EPOCH (seconds), whatever the cache build took
# Wheels for what the machine lacks (pillow-heif, constriction) travel in .whl/, fetched here with
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl pillow_heif==1.8.1 constriction==0.5.0
# and the patches in .gpu_data/ with `python -m models.patch_pack .gpu_data/packA --mib 46` and
# `python -m models.patch_pack .gpu_data/packW --mib 46 --scale 0.25 0.8` (val-like, strongly downscaled).
# packW (46 MiB), the wheels (6 MiB) and the repository overflow the 64 MiB a call carries, so carry packG,
# packW less every tenth patch: mkdir .gpu_data/packG && ls .gpu_data/packW/*.webp | awk 'NR % 10' |
#   xargs cp -t .gpu_data/packG && cp .gpu_data/packW/pack.json .gpu_data/packG/
# The runs are listed in models/gpu_runs.txt; each resumes from /tmp/rcl_runs/NAME.pt.
set -u
RUNS=/tmp/rcl_runs
export RCL_CACHE=/tmp/rcl_cache PYTHONUNBUFFERED=1
if [ -d .whl ] && [ ! -d /tmp/site ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
fi
export PYTHONPATH=/tmp/site:$PWD
mkdir -p $RUNS
MIN=${RCL_SCHEDULE_MINUTES:-24}
# Q range of the training pairs: 12..QMAX (the encoder's Q search goes up to 40)
QMAX=${RCL_Q_MAX:-40}

collect() {
  for f in $RUNS/*.pt $RUNS/*.log; do [ -e "$f" ] && cp "$f" "$OUT/"; done
  tail -n 2 $RUNS/*.log
}

case "$1" in
start)
  shift
  nvidia-smi -L
  # build each pack's cache once, with every core
  python3 -m models.train_rc --packed "$@" --q-max $QMAX --minutes 0 --checkpoint /tmp/cache_only.pt --device cpu | tail -n 1
  if [ -n "${RCL_STOP_AT:-}" ]; then
    # what is left until the deadline, less the start-up and the final save
    MIN=$(python3 -c "import time; print(max(1.0, ($RCL_STOP_AT - time.time() - 45) / 60))")
    echo "schedules timed to $MIN minutes"
  fi
  common=(--packed "$@" --q-max $QMAX --batch 64 --crop 128 --schedule-minutes $MIN --save-every 120 --minutes 60)
  launch() { name=$1; shift; setsid nohup python3 -m models.train_rc "${common[@]}" --checkpoint $RUNS/$name.pt "$@" > $RUNS/$name.log 2>&1 < /dev/null & echo $! > $RUNS/$name.pid; }
  grep -v '^#' models/gpu_runs.txt | while read -r name opts; do
    [ -n "$name" ] && launch "$name" $opts
  done
  sleep 60; collect ;;
run)
  shift
  [ -n "${RCL_STOP_AT:-}" ] || { echo "run needs RCL_STOP_AT (epoch seconds)"; exit 2; }
  bash "$0" start "$@" || exit 1
  left=$((RCL_STOP_AT - $(date +%s)))
  [ "$left" -gt 0 ] && sleep "$left"
  bash "$0" stop ;;
wait)
  sleep "$2"; collect ;;
stop)
  # by pid: a pattern would also match the command line that called this script
  for f in $RUNS/*.pid; do kill -TERM "$(cat "$f")" 2>/dev/null; done
  for f in $RUNS/*.pid; do while kill -0 "$(cat "$f")" 2>/dev/null; do sleep 1; done; done
  collect ;;
esac
