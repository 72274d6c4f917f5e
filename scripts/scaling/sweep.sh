#!/usr/bin/env bash
# Scaling sweep over ranks x threads for any tessera app (or any program that writes
# summary.json into its --output folder), collected into one CSV.
#
# Usage: scripts/scaling/sweep.sh [options] -- PROGRAM [program arguments...]
#   --layouts "RxT ..."   ranks x threads per run (default "1x1 1x2 2x1")
#   --mode strong|weak    recorded in the CSV and used by plot.py (default strong); for weak
#                         scaling, grow the problem in the arguments with {expressions}
#   --repeat N            runs per layout (default 3; plot.py takes the median)
#   --out DIR             where runs and sweep.csv go (default out/scaling/<program>-<mode>)
#   --launcher CMD        mpirun (default) or srun (inside a Slurm allocation)
# Arguments may hold {expressions} in R (ranks), T (threads) and P = R*T, evaluated by bash
# arithmetic for each layout, e.g. weak scaling of heat with 512x512 cells per core:
#   scripts/scaling/sweep.sh --mode weak -- build/bin/tessera-heat --benchmark --cells 512 {512*P}
# Strong scaling of heat (the run recorded in docs/performance.md):
#   scripts/scaling/sweep.sh -- build/bin/tessera-heat --benchmark --cells 2048 2048 --steps 200
# Then: /usr/bin/python3 scripts/scaling/plot.py out/scaling/tessera-heat-strong/sweep.csv
# Binding: one rank gets its T threads unbound-to-rank (OMP_PLACES=cores OMP_PROC_BIND=close);
# several ranks get --map-by slot:PE=T --bind-to core; more workers than cores runs
# oversubscribed without binding (and the CSV says so: its times mean little).
set -euo pipefail
source "$(dirname "$0")/../blas_env.sh"
tessera_blas_env  # OPENBLAS_CORETYPE where OpenBLAS would pick generic kernels (blas_env.sh)
here=$(cd "$(dirname "$0")" && pwd)
layouts="1x1 1x2 2x1"; mode=strong; repeat=3; out=""; launcher=mpirun
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --layouts) layouts=$2; shift ;;
    --mode) mode=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --out) out=$2; shift ;;
    --launcher) launcher=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) echo "sweep.sh: unknown option $1 (program and its arguments go after --)" >&2; exit 2 ;;
  esac
  shift
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$mode" in strong|weak) ;; *) echo "sweep.sh: --mode strong or weak" >&2; exit 2 ;; esac
prog=$1; shift
command -v "$prog" > /dev/null || [ -x "$prog" ] || { echo "sweep.sh: $prog: not found" >&2; exit 2; }
name=$(basename "$prog")
out=${out:-out/scaling/$name-$mode}
mkdir -p "$out/runs"
cores=$(nproc --all)
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# expand R T ARGS...: prints ARGS, one per line, with {expr} evaluated.
# shellcheck disable=SC2034  # R, T and P are read by the arithmetic in $((expr))
expand() {
  local R=$1 T=$2 P=$(($1 * $2)) a expr; shift 2
  for a in "$@"; do
    while [[ $a =~ \{([^{}]*)\} ]]; do
      expr=${BASH_REMATCH[1]}
      a=${a/"{$expr}"/$((expr))}
    done
    printf '%s\n' "$a"
  done
}

for layout in $layouts; do
  [[ $layout =~ ^([0-9]+)x([0-9]+)$ ]] || { echo "sweep.sh: layout '$layout' is not RxT" >&2; exit 2; }
  r=${BASH_REMATCH[1]}; t=${BASH_REMATCH[2]}
  mapfile -t args < <(expand "$r" "$t" "$@")
  if [ "$launcher" = srun ]; then
    launch=(srun --mpi=pmix --ntasks="$r" --cpus-per-task="$t")
  elif [ $((r * t)) -gt "$cores" ]; then
    launch=(mpirun -np "$r" --oversubscribe --bind-to none)
  elif [ "$r" -eq 1 ]; then
    launch=(mpirun -np 1 --bind-to none)
  else
    launch=(mpirun -np "$r" --map-by "slot:PE=$t" --bind-to core)
  fi
  for rep in $(seq "$repeat"); do
    dir=$out/runs/${r}x${t}-$rep
    rm -rf "$dir"
    echo "== $layout run $rep: ${launch[*]} $prog ${args[*]}"
    OMP_NUM_THREADS=$t OMP_PLACES=cores OMP_PROC_BIND=close \
      "${launch[@]}" "$prog" "${args[@]}" --output "$dir" > "$out/runs/${r}x${t}-$rep.log" 2>&1 \
      || { echo "sweep.sh: run failed, see $out/runs/${r}x${t}-$rep.log" >&2; tail -n 5 "$out/runs/${r}x${t}-$rep.log" >&2; exit 1; }
  done
done
/usr/bin/python3 "$here/collect.py" --mode "$mode" --cores "$cores" "$out/runs" > "$out/sweep.csv"
echo "wrote $out/sweep.csv ($(($(wc -l < "$out/sweep.csv") - 1)) runs)"
