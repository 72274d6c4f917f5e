#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: a 2D heat simulation on 2 MPI ranks
# that writes HDF5, an XDMF sidecar for ParaView, a PNG picture and summary.json.
#   ./scripts/demo.sh [extra tessera-heat options...]
set -euo pipefail
source "$(dirname "$0")/common.sh"

install_packages
configure_and_build "$TESSERA_ROOT/build"
mpi_environment
tessera_blas_env
out="$TESSERA_ROOT/out/demo"
log "running: mpirun -np 2 tessera-heat --output $out --overwrite $*"
mpirun -np 2 "$TESSERA_ROOT/build/bin/tessera-heat" --output "$out" --overwrite --progress "$@"
log "outputs in $out:"
ls -l "$out"
cat <<MSG
Open $out/heat.xdmf in ParaView, look at $out/heat.png, or read the field with h5py:
  /usr/bin/python3 -c "import h5py; print(h5py.File('$out/heat.h5')['u'].shape)"
MSG
