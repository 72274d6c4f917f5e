#!/usr/bin/env bash
# Makes the picture of docs/mc.md ("Temperature sweeps") with tessera-mc itself: a sweep of the
# 64 x 64 Ising model over 26 temperatures, |M|, E, chi and C with error bars against Onsager.
#   ./scripts/mc_gallery.sh [OUT_DIR]   (default docs/img/mc; build first; about 20 s on 2 cores)
set -euo pipefail
source "$(dirname "$0")/common.sh"
mpi_environment
exe="${MC:-$TESSERA_ROOT/build/bin/tessera-mc}"
dst=${1:-$TESSERA_ROOT/docs/img/mc}
mkdir -p "$dst"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mpirun -np 2 --bind-to none -x OMP_NUM_THREADS=1 "$exe" ising --cells 64 64 --temperature 1.0:3.5:26 \
  --sweeps 5000 --thermalize 1000 --seed 2024 --output "$tmp/sweep" --quiet
cp "$tmp/sweep/ising_sweep.png" "$tmp/sweep/ising_sweep.csv" "$dst/"
echo "wrote $dst/ising_sweep.png and $dst/ising_sweep.csv"
