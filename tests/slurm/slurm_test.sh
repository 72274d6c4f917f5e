#!/usr/bin/env bash
# A real one-node Slurm runs scripts/slurm/heat.sbatch: an uninterrupted job, and a job that
# gets `scancel --signal=USR1 --batch`, checkpoints, and is continued by the job it submits.
#   slurm_test.sh heat REPO HEAT_EXE WORKDIR   the real tessera-heat; final fields compared
#                                               bitwise with h5py (skips while tessera-heat
#                                               has no --checkpoint-every)
#   slurm_test.sh stub REPO STUB_EXE WORKDIR   tests/slurm/checkpoint_stub.py standing in for
#                                               tessera-heat: the signal and continuation path
# Exit 0 passed, 1 failed, 77 skipped (cannot start Slurm here, or the app lacks checkpoints).
# Stops only the daemons it started and cancels only the jobs it submitted.
set -euo pipefail
mode=${1:?mode}; repo=${2:?repo}; exe=${3:?program}; work=${4:?workdir}
SKIP=77
py=/usr/bin/python3
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() { say "FAIL: $*" >&2; exit 1; }

if [ "$mode" = heat ] && ! "$exe" --help 2>&1 | grep -q -- '--checkpoint-every'; then
  say "SKIPPED: $exe --help lists no --checkpoint-every (the checkpoint/restart branch is not merged yet)"
  exit $SKIP
fi

rm -rf "$work"
mkdir -p "$work/bin"
cluster=$work/cluster
jobs_started=()
cleanup() {
  local j
  for j in "${jobs_started[@]}"; do scancel "$j" 2> /dev/null || true; done
  "$repo/scripts/slurm/local-cluster.sh" stop "$cluster" || true
}
trap cleanup EXIT

rc=0
"$repo/scripts/slurm/local-cluster.sh" start "$cluster" > "$work/cluster.txt" 2>&1 || rc=$?
if [ $rc -eq 3 ]; then
  say "SKIPPED: $(cat "$work/cluster.txt")"
  exit $SKIP
elif [ $rc -ne 0 ]; then
  cat "$work/cluster.txt" >&2
  fail "local-cluster.sh start failed (logs in $cluster)"
fi
export SLURM_CONF=$cluster/slurm.conf PATH=$PATH:/usr/sbin
say "one-node Slurm up: $(sinfo -h -o '%P %T %c CPUs' | head -n 1)"

# heat.sbatch runs the program named tessera-heat from TESSERA_BIN.
ln -s "$(readlink -f "$exe")" "$work/bin/tessera-heat"
export TESSERA_BIN=$work/bin TESSERA_CONTINUATION_HOLD=1
if [ "$mode" = heat ]; then
  # Long enough to be interrupted (about 3 s on a quiet 2-core machine), short enough to
  # run three times; the job log shows rank 0's "layout:" line once MPI is up.
  app_args=(--cells 768 768 --steps 20000 --checkpoint-every 5000)
  ready='^layout:'
else
  app_args=(--steps 400 --checkpoint-every 100 --step-seconds 0.02)
  ready='running steps'
fi

state() { scontrol show job -o "$1" 2> /dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
# wait_state JOB TIMEOUT STATE...: polls until the job reaches one of STATEs.
wait_state() {
  local j=$1 t=$2 s; shift 2
  for _ in $(seq $((t * 4))); do
    s=$(state "$j")
    for want in "$@"; do [ "$s" = "$want" ] && return 0; done
    case "$s" in FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL)
      fail "job $j ended $s: $(cat "$work"/*-"$j".out 2> /dev/null | tail -n 20)" ;; esac
    sleep 0.25
  done
  fail "job $j still '$s' after $t s (wanted $*)"
}
submit() {  # submit NAME OUTPUT_DIR: prints the job id
  local j
  j=$(cd "$work" && sbatch --parsable --job-name="$1" --output="$work/%x-%j.out" \
        "$repo/scripts/slurm/heat.sbatch" "${app_args[@]}" --output "$2")
  echo "$j"
}

say "reference: one uninterrupted job"
ref=$(submit ref "$work/ref"); jobs_started+=("$ref")
wait_state "$ref" 300 COMPLETED
grep -Eq '"completed"[[:space:]]*:[[:space:]]*true' "$work/ref/summary.json" || fail "reference run not completed"

say "interrupted: job, then scancel --signal=USR1 --batch"
first=$(submit part "$work/run"); jobs_started+=("$first")
wait_state "$first" 120 RUNNING
for _ in $(seq 240); do
  grep -Eq "$ready" "$work/part-$first.out" 2> /dev/null && break
  sleep 0.25
done
grep -Eq "$ready" "$work/part-$first.out" || fail "the program never started in job $first"
sleep 1
scancel --signal=USR1 --batch "$first"
say "sent USR1 to the batch script of job $first"
wait_state "$first" 120 COMPLETED
log1=$work/part-$first.out
grep -q 'USR1: asking tessera-heat to checkpoint' "$log1" || fail "the script did not trap USR1: $(cat "$log1")"
if ! grep -q 'exited with code 0 after USR1' "$log1"; then
  grep -q 'USR1' "$log1" || fail "the signal never reached the script: $(cat "$log1")"
  grep -Eq '"completed"[[:space:]]*:[[:space:]]*true' "$work/run/summary.json" 2> /dev/null \
    && fail "the run finished before the signal arrived: make it longer ($(cat "$log1"))"
  fail "the program did not exit 0 after USR1: $(cat "$log1")"
fi
next=$(sed -n 's/.*continuation job \([0-9]*\) submitted.*/\1/p' "$log1")
[ -n "$next" ] || fail "no continuation job was submitted: $(cat "$log1")"
jobs_started+=("$next")
grep -Eq '"completed"[[:space:]]*:[[:space:]]*false' "$work/run/summary.json" \
  || fail "after the signal, summary.json does not say \"completed\": false"
# Files only (tessera-heat keeps them in OUTPUT/checkpoints/; the stub writes checkpoint.json).
ckpts=$(find "$work/run" -type f \( -path '*checkpoint*' -o -path '*ckpt*' \) | head -n 5)
[ -n "$ckpts" ] || fail "no checkpoint file in $work/run: $(ls "$work/run")"
say "checkpoint written: $(echo "$ckpts" | tr '\n' ' '); continuation job $next (held) submitted"

# Follow the chain of continuations (each held by TESSERA_CONTINUATION_HOLD) to the end.
for _ in $(seq 1 10); do
  scontrol release "$next"
  wait_state "$next" 300 COMPLETED
  log=$work/part-$next.out
  grep -q 'restart\|Restart\|resum' "$log" || say "note: job $next's log does not mention a restart"
  more=$(sed -n 's/.*continuation job \([0-9]*\) submitted.*/\1/p' "$log")
  [ -z "$more" ] && break
  jobs_started+=("$more"); next=$more
done
grep -Eq '"completed"[[:space:]]*:[[:space:]]*true' "$work/run/summary.json" \
  || fail "the continued run did not complete: $(cat "$work/run/summary.json")"

if [ "$mode" = heat ]; then
  $py - "$work/ref/heat.h5" "$work/run/heat.h5" <<'PY' || fail "final fields differ"
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")["u"][...]
b = h5py.File(sys.argv[2], "r")["u"][...]
same = a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))
print(f"final field {a.shape}: bitwise {'identical' if same else 'DIFFERENT'}")
sys.exit(0 if same else 1)
PY
else
  cmp "$work/ref/result.json" "$work/run/result.json" || fail "final values differ"
  say "final value identical: $(cat "$work/run/result.json")"
fi
say "interrupted + continued run equals the uninterrupted one"

if [ "$mode" = stub ]; then
  say "array.sbatch: two tasks from a parameter file"
  printf '%s\n' "--steps 20 --step-seconds 0.01" "--steps 30 --step-seconds 0.01" > "$work/params.txt"
  arr=$(cd "$work" && SWEEP_DIR="$work/sweep" sbatch --parsable --array=1-2 \
          --output="$work/array-%A_%a.out" "$repo/scripts/slurm/array.sbatch" "$work/params.txt" tessera-heat)
  jobs_started+=("$arr")
  for _ in $(seq 240); do
    [ -z "$(squeue -h -j "$arr" 2> /dev/null)" ] && break
    sleep 0.25
  done
  for t in 1 2; do
    want=$((t * 10 + 10))
    grep -Eq "\"completed\": true, \"step\": $want}" "$work/sweep/task-$t/summary.json" 2> /dev/null \
      || fail "array task $t: $(cat "$work/sweep/task-$t/summary.json" "$work"/array-*_"$t".out 2>&1)"
  done
  say "array tasks 1 and 2 ran their own lines ($work/sweep/task-{1,2})"

  say "TERM through mpirun (TESSERA_LAUNCHER=mpirun): the job script forwards it as USR1, the part checkpoints and continues"
  j=$(cd "$work" && TESSERA_LAUNCHER=mpirun sbatch --parsable --job-name=term --output="$work/%x-%j.out" \
        "$repo/scripts/slurm/heat.sbatch" "${app_args[@]}" --output "$work/term")
  jobs_started+=("$j")
  wait_state "$j" 120 RUNNING
  for _ in $(seq 240); do grep -Eq "$ready" "$work/term-$j.out" 2> /dev/null && break; sleep 0.25; done
  sleep 1
  scancel --signal=TERM --batch "$j"
  wait_state "$j" 120 COMPLETED
  grep -q 'TERM: asking tessera-heat to checkpoint' "$work/term-$j.out" || fail "TERM not trapped: $(cat "$work/term-$j.out")"
  cont=$(sed -n 's/.*continuation job \([0-9]*\) submitted.*/\1/p' "$work/term-$j.out")
  [ -n "$cont" ] || fail "no continuation after TERM via mpirun: $(cat "$work/term-$j.out")"
  jobs_started+=("$cont")
  say "TERM via mpirun: $(grep -o 'exited with code [0-9]* after TERM' "$work/term-$j.out"), continuation $cont submitted"
fi
say "PASSED"
