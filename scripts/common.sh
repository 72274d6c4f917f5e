# Shared by demo.sh and test.sh: install missing Debian packages, then configure and build.
# Source it; do not run it.

TESSERA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages tessera needs to build, test and run (PLATFORM.md lists why each is here).
TESSERA_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
  libeigen3-dev libopenblas-dev libgtest-dev googletest libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev librandom123-dev libstb-dev libpng-dev libtiff-dev
  python3 python3-numpy python3-h5py python3-matplotlib
  munge slurmctld slurmd slurm-client   # the one-node Slurm of the slurm tests (docs/slurm.md)
  paraview python3-paraview xvfb        # pvbatch renders heat's XDMF in apps.paraview.render_heat
  python3-opencv python3-skimage python3-pil  # tessera-filter and io.image are checked against OpenCV and Pillow
  libopen-trace-format2-dev otf2-tools python3-otf2  # OTF2 trace archives (io/trace_writer); otf2-print and the Python reader check them
  likwid                                # likwid's marker API behind -DTESSERA_LIKWID=ON (core.likwid_hooks keeps it building)
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg  # video in tessera-filter (io/video); ffmpeg makes and checks test videos
)

# tessera_blas_env: sets OPENBLAS_CORETYPE where OpenBLAS would run its generic kernels.
source "$TESSERA_ROOT/scripts/blas_env.sh"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Installs whatever is missing, idempotently: nothing (not even apt-get update) when all present.
install_packages() {
  local missing=() p
  for p in "${TESSERA_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "all ${#TESSERA_PACKAGES[@]} Debian packages present"
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# configure_and_build BUILD_DIR [extra cmake args...]
configure_and_build() {
  local dir=$1; shift
  local gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    log "configuring $dir"
    cmake -S "$TESSERA_ROOT" -B "$dir" "${gen[@]}" -DPython3_EXECUTABLE=/usr/bin/python3 "$@"
  else
    cmake -S "$TESSERA_ROOT" -B "$dir" "$@" >/dev/null
  fi
  log "building $dir"
  cmake --build "$dir" --parallel "$(nproc)"
}

# Lets mpirun work as root and with more ranks than cores (what tests and the demo need here),
# and starts ranks with the ob1 messaging layer (shared memory on one node) instead of UCX,
# whose start-up dominates short runs (README.md, Troubleshooting).
mpi_environment() {
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1
  export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
}
