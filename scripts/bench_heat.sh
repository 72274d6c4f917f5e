#!/usr/bin/env bash
# Heat benchmarks for docs/performance.md: each configuration runs REPS times; each run times
# --repetitions passes (REPETITIONS, default 5), runs a triad right after each pass and reports
# the median rate and the median of the per-pass ratios 24 B x rate / triad. The script prints
# every run's rate, triad and ratio, then the medians per configuration.
#   ./scripts/bench_heat.sh [REPS]      (build first: ./scripts/test.sh or ./scripts/demo.sh)
# HEAT=path/to/tessera-heat benchmarks another build (e.g. an older one, side by side);
# ONLY=regex runs only the configurations whose name matches.
set -euo pipefail
source "$(dirname "$0")/common.sh"
mpi_environment
tessera_blas_env
reps=${1:-5}
heat="${HEAT:-$TESSERA_ROOT/build/bin/tessera-heat}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() {  # name, ranks, threads, heat options...
  local name=$1 np=$2 nt=$3; shift 3
  local rates=() line
  [[ "$name" =~ ${ONLY:-.} ]] || return 0
  for r in $(seq "$reps"); do
    if [ "$np" -eq 1 ]; then
      bind=(--bind-to none -x OMP_PROC_BIND=close -x OMP_PLACES=cores)
    else
      bind=(--map-by "slot:PE=$nt" --bind-to core -x OMP_PROC_BIND=close -x OMP_PLACES=cores)
    fi
    mpirun -np "$np" "${bind[@]}" -x OMP_NUM_THREADS="$nt" "$heat" --benchmark --quiet \
      --repetitions "${REPETITIONS:-5}" --output "$out/$name-$r" "$@" >/dev/null
    line=$(/usr/bin/python3 -c "import json,sys; r=json.load(open('$out/$name-$r/summary.json'))['rate']; print(f\"{r['value']/1e9:.3f} {r['triad_bytes_per_s']/1e9:.1f} {r['ratio_to_plain_store_bound']:.3f}\")")
    echo "  $name run $r: Gcell/s triad-GB/s ratio = $line"
    rates+=("$line")
  done
  printf '%s\n' "${rates[@]}" | /usr/bin/python3 -c "
import sys, statistics as st
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
m = [st.median(c) for c in zip(*rows)]
print(f'$name: median {m[0]:.3f} Gcell/s, triad {m[1]:.1f} GB/s, ratio to the plain-store bound {m[2]:.3f}')"
}

steps2d=${STEPS2D:-40}
steps3d=${STEPS3D:-10}
steps3dtb=${STEPS3DTB:-12}  # whole blocks of 4 steps
run 2d-1x2-cached 1 2 --cells 8192 8192 --steps "$steps2d" --stores cached
run 2d-2x1-cached 2 1 --cells 8192 8192 --steps "$steps2d" --stores cached
run 2d-1x2 1 2 --cells 8192 8192 --steps "$steps2d"
run 2d-2x1 2 1 --cells 8192 8192 --steps "$steps2d"
run 2d-1x2-tb4 1 2 --cells 8192 8192 --steps "$steps2d" --time-block 4
run 2d-2x1-tb4 2 1 --cells 8192 8192 --steps "$steps2d" --time-block 4
run 3d-1x2-cached 1 2 --dim 3 --cells 512 512 512 --steps "$steps3d" --stores cached
run 3d-2x1-cached 2 1 --dim 3 --cells 512 512 512 --steps "$steps3d" --stores cached
run 3d-1x2 1 2 --dim 3 --cells 512 512 512 --steps "$steps3d"
run 3d-2x1 2 1 --dim 3 --cells 512 512 512 --steps "$steps3d"
run 3d-1x2-cached-tb4 1 2 --dim 3 --cells 512 512 512 --steps "$steps3dtb" --stores cached --time-block 4
run 3d-2x1-cached-tb4 2 1 --dim 3 --cells 512 512 512 --steps "$steps3dtb" --stores cached --time-block 4
run 3d-1x2-tb4 1 2 --dim 3 --cells 512 512 512 --steps "$steps3dtb" --time-block 4
run 3d-2x1-tb4 2 1 --dim 3 --cells 512 512 512 --steps "$steps3dtb" --time-block 4
