# shellcheck shell=bash
# Shared body of the Tessera job scripts (scripts/slurm/*.sbatch): source it from a batch
# script, then call `tessera_job PROGRAM [ARGS...]` (PROGRAM: a tessera-* name, or a path to
# any MPI program). Not a job script itself.
#
# What tessera_job does, in the batch shell (so the traps see --signal=B:USR1@...):
#  1. layout: OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK, OMP_PLACES=cores, OMP_PROC_BIND=close;
#     OPENBLAS_CORETYPE where OpenBLAS would run generic kernels on the node (unless set;
#     scripts/blas_env.sh);
#  2. launch: `srun --mpi=pmix` (TESSERA_LAUNCHER=srun, the default inside a job) or
#     `mpirun` (TESSERA_LAUNCHER=mpirun), as `prog & wait $!`;
#  3. USR1/TERM: forwarded to the launcher (srun and mpirun pass them to every rank; TERM goes
#     to mpirun as USR1, which it forwards at once instead of ending the ranks 1 s later), whose
#     ranks write a checkpoint at the next step boundary and exit 0; then it waits again;
#  4. continuation: when this part's summary.json says "completed": false, submits this same
#     job script again (same resources, same arguments, --dependency=afterany on this job),
#     up to TESSERA_MAX_CONTINUATIONS times (default 20). The app must get `--restart auto`
#     (the app scripts add it), so the next job resumes from the newest checkpoint.
# Environment it reads:
#   TESSERA_BIN            folder with the tessera-* programs (default: <repo>/build/bin if it
#                          exists, else PATH)
#   TESSERA_LAUNCHER       srun | mpirun (default srun when srun exists)
#   TESSERA_OUTPUT         the run's output folder when the arguments do not say it with
#                          --output (default out/<app> under the submission folder)
#   TESSERA_MAX_CONTINUATIONS  continuation jobs allowed (default 20)
#   TESSERA_CONTINUATION_HOLD  1: submit continuations held (`scontrol release JOBID` to go on)
#   TESSERA_CONTINUATION       set by the resubmission itself (0 for the first part)

# tessera_blas_env (OPENBLAS_CORETYPE): one function shared with demo and benchmark scripts.
source "$(dirname "${BASH_SOURCE[0]}")/../blas_env.sh"

# The job script as submitted (Slurm runs a copy from its spool folder, so $0 is not it).
tessera_job_script() {
  if [ -n "${TESSERA_JOB_SCRIPT:-}" ]; then
    printf '%s\n' "$TESSERA_JOB_SCRIPT"
  elif [ -n "${SLURM_JOB_ID:-}" ]; then
    # Command= holds the script's absolute path and then its arguments (so: no spaces in
    # the path, or set TESSERA_JOB_SCRIPT).
    scontrol show job -o "$SLURM_JOB_ID" | sed -n '1s/.* Command=\([^ ]*\).*/\1/p'
  else
    printf '%s\n' "$0"
  fi
}

tessera_log() { printf '[%s job %s] %s\n' "$(date +%H:%M:%S)" "${SLURM_JOB_ID:-local}" "$*"; }

# tessera_output_dir APP ARGS...: the --output folder the app will use.
tessera_output_dir() {
  local app=$1 out=""; shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --output) out=${2:-}; shift ;;
      --output=*) out=${1#--output=} ;;
    esac
    shift
  done
  printf '%s\n' "${out:-${TESSERA_OUTPUT:-out/${app#tessera-}}}"
}

# tessera_has_option OPTION ARGS...: true when ARGS give OPTION (as "--opt V" or "--opt=V").
tessera_has_option() {
  local opt=$1 a; shift
  for a in "$@"; do
    case "$a" in "$opt" | "$opt="*) return 0 ;; esac
  done
  return 1
}

tessera_job() {
  local prog=$1; shift
  local root exe
  root=$(cd "$(dirname "$(tessera_job_script)")/../.." 2> /dev/null && pwd || true)
  if [[ $prog == */* ]]; then  # a path: any MPI program, not only tessera's
    exe=$prog
  elif [ -n "${TESSERA_BIN:-}" ]; then
    exe=$TESSERA_BIN/$prog
  elif [ -n "$root" ] && [ -x "$root/build/bin/$prog" ]; then
    exe=$root/build/bin/$prog
  else
    exe=$(command -v "$prog" || true)
  fi
  if [ -z "$exe" ] || [ ! -x "$exe" ]; then
    tessera_log "error: $prog not found (set TESSERA_BIN to the folder holding it)" >&2
    return 2
  fi

  export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
  tessera_blas_env  # OPENBLAS_CORETYPE where OpenBLAS would pick generic kernels (blas_env.sh)
  export OMP_PLACES=${OMP_PLACES:-cores} OMP_PROC_BIND=${OMP_PROC_BIND:-close}
  local ntasks=${SLURM_NTASKS:-1} cpt=${SLURM_CPUS_PER_TASK:-1}
  local launcher=${TESSERA_LAUNCHER:-}
  if [ -z "$launcher" ]; then
    if command -v srun > /dev/null && [ -n "${SLURM_JOB_ID:-}" ]; then launcher=srun; else launcher=mpirun; fi
  fi
  local cmd=()
  case "$launcher" in
    # srun does not inherit --cpus-per-task from sbatch (Slurm >= 22.05): pass it on.
    # --cpu-bind=cores: each rank on its own cores, so that OMP_PLACES/OMP_PROC_BIND place
    # its threads inside them (unbound ranks would all pin their first thread to core 0).
    srun) cmd=(srun --mpi=pmix --ntasks="$ntasks" --cpus-per-task="$cpt" --cpu-bind=cores
               --kill-on-bad-exit=1) ;;
    mpirun)
      cmd=(mpirun -np "$ntasks" --map-by "slot:PE=$cpt" --bind-to core
           -x OMP_NUM_THREADS -x OMP_PLACES -x OMP_PROC_BIND)
      [ -n "${OPENBLAS_CORETYPE:-}" ] && cmd+=(-x OPENBLAS_CORETYPE)
      if [ "$(id -u)" -eq 0 ]; then  # test machines only; Open MPI refuses root otherwise
        export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
      fi ;;
    *) tessera_log "error: TESSERA_LAUNCHER=$launcher (srun or mpirun)" >&2; return 2 ;;
  esac

  local out
  out=$(tessera_output_dir "$prog" "$@")
  local n=${TESSERA_CONTINUATION:-0}
  tessera_log "$prog: $ntasks ranks x $OMP_NUM_THREADS threads via $launcher, part $n, output $out"
  tessera_log "command: ${cmd[*]} $exe $*"

  # 2-3. Run in the background so that the shell can take signals, and forward them.
  local pid="" rc=0 signalled="" stamp
  stamp=$(mktemp)  # summary.json newer than this was written by this part
  trap 'signalled=USR1; tessera_log "USR1: asking $prog to checkpoint and stop"; [ -z "$pid" ] || kill -USR1 "$pid" 2> /dev/null || true' USR1
  # mpirun forwards TERM to the ranks only about 1 s later and then ends them, which can kill
  # them before they checkpoint; it forwards USR1 at once and waits. The apps treat both alike.
  local term_as=TERM
  [ "$launcher" = mpirun ] && term_as=USR1
  trap 'signalled=TERM; tessera_log "TERM: asking $prog to checkpoint and stop (as $term_as to $launcher)"; [ -z "$pid" ] || kill -$term_as "$pid" 2> /dev/null || true' TERM
  "${cmd[@]}" "$exe" "$@" &
  pid=$!
  while :; do
    rc=0
    wait "$pid" || rc=$?
    kill -0 "$pid" 2> /dev/null || break  # still running: wait was only interrupted by a signal
  done
  trap - USR1 TERM
  tessera_log "$prog exited with code $rc${signalled:+ after $signalled}"

  # 4. Continue if this part's summary says the run has not finished. After TERM, mpirun
  # exits 1 even when every rank checkpointed and exited 0, so a signalled part counts on
  # its fresh summary alone.
  local summary=$out/summary.json fresh=0
  [ -f "$summary" ] && [ "$summary" -nt "$stamp" ] && fresh=1
  rm -f "$stamp"
  if [ $fresh -eq 1 ] && { [ "$rc" -eq 0 ] || [ -n "$signalled" ]; } &&
     grep -Eq '"completed"[[:space:]]*:[[:space:]]*false' "$summary"; then
    local max=${TESSERA_MAX_CONTINUATIONS:-20}
    if [ "$n" -ge "$max" ]; then
      tessera_log "error: not finished after $max continuations; giving up" >&2
      return 1
    fi
    local script
    script=$(tessera_job_script)
    local sub=(sbatch --parsable --dependency="afterany:$SLURM_JOB_ID"
               --export="ALL,TESSERA_CONTINUATION=$((n + 1))"
               --job-name="${SLURM_JOB_NAME:-$prog}" --ntasks="$ntasks" --cpus-per-task="$cpt")
    [ -n "${SLURM_JOB_NUM_NODES:-}" ] && sub+=(--nodes="$SLURM_JOB_NUM_NODES")
    [ -n "${SLURM_JOB_PARTITION:-}" ] && sub+=(--partition="$SLURM_JOB_PARTITION")
    [ -n "${SLURM_JOB_ACCOUNT:-}" ] && sub+=(--account="$SLURM_JOB_ACCOUNT")
    [ -n "${SLURM_ARRAY_TASK_ID:-}" ] && sub+=(--array="$SLURM_ARRAY_TASK_ID")  # same task
    [ "${TESSERA_CONTINUATION_HOLD:-0}" = 1 ] && sub+=(--hold)
    local next
    next=$(cd "${SLURM_SUBMIT_DIR:-.}" && "${sub[@]}" "$script" "$@") || {
      tessera_log "error: resubmission failed: ${sub[*]} $script" >&2; return 1; }
    tessera_log "checkpointed, not finished: continuation job $next submitted (part $((n + 1)))"
    return 0
  fi
  if [ "$rc" -eq 0 ] && [ $fresh -eq 1 ]; then
    tessera_log "$prog finished: $summary"
  fi
  return "$rc"
}
