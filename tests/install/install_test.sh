#!/usr/bin/env bash
# Installs a tessera build into a fresh prefix and uses it the way a user would.
#   install_test.sh consumer  BUILD_DIR SOURCE_DIR WORK_DIR MPIEXEC CXX [EXTRA_CXX_FLAGS]
#       find_package(tessera) from the prefix, build tests/install_consumer, run it on 2 ranks
#   install_test.sh pkgconfig BUILD_DIR SOURCE_DIR WORK_DIR MPIEXEC MPICXX [EXTRA_CXX_FLAGS]
#       compile tests/install_consumer/pkgconfig_probe.cpp with mpicxx + pkg-config, run on 2 ranks
# The prefix is installed under a staging name and then moved: both the CMake package and
# tessera.pc must be relocatable. Exit 0 only when every step and the program's own checks pass.
set -euo pipefail

mode=${1:?mode}; build=${2:?build dir}; src=${3:?source dir}; work=${4:?work dir}
mpiexec=${5:?mpiexec}; cxx=${6:?compiler}; extra_flags=${7:-}

step() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
step "cmake --install $build --prefix $work/stage"
cmake --install "$build" --prefix "$work/stage" > "$work/install.log" || { cat "$work/install.log"; fail "install"; }
mv "$work/stage" "$work/prefix"
prefix=$work/prefix

# What the prefix must hold (libdir may be lib or lib64 or lib/<multiarch>).
pc=$(find "$prefix" -path '*/pkgconfig/tessera.pc' | head -n 1)
cfg=$(find "$prefix" -path '*/cmake/tessera/tesseraConfig.cmake' | head -n 1)
[ -n "$pc" ] || fail "no lib*/pkgconfig/tessera.pc in the prefix"
[ -n "$cfg" ] || fail "no lib*/cmake/tessera/tesseraConfig.cmake in the prefix"
cmake_dir=$(dirname "$cfg")
for f in "$cmake_dir/tesseraConfigVersion.cmake" "$cmake_dir/tesseraTargets.cmake" \
         "$prefix/include/tessera/tessera.hpp" "$prefix/include/tessera/grid/halo_exchange.hpp" \
         "$prefix/bin/tessera-heat"; do
  [ -e "$f" ] || fail "missing from the prefix: ${f#"$prefix"/}"
done
ls "$(dirname "$(dirname "$pc")")"/libtessera_core.* > /dev/null 2>&1 || fail "no libtessera_core in libdir"
grep -q 'add_library(tessera::grid ' "$cmake_dir/tesseraTargets.cmake" || fail "tessera::grid not exported"
if grep -q -- "$build" "$cmake_dir"/*.cmake "$pc"; then
  fail "the installed package refers to the build tree $build"
fi

export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}

case "$mode" in
consumer)
  step "configure the consumer against $prefix"
  # No package registry: the only way to find tessera is CMAKE_PREFIX_PATH.
  cmake -S "$src/tests/install_consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$extra_flags" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF > "$work/configure.log" 2>&1 \
    || { cat "$work/configure.log"; fail "configure"; }
  found=$(sed -n 's/^tessera_DIR:PATH=//p' "$work/build/CMakeCache.txt")
  [ "$found" = "$cmake_dir" ] || fail "find_package(tessera) found '$found', not $cmake_dir"
  step "build the consumer"
  cmake --build "$work/build" > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
  step "mpirun -np 2 reaction_diffusion"
  "$mpiexec" -np 2 "$work/build/reaction_diffusion" --cells 48 --steps 100 --output "$work/out" \
    | tee "$work/run.log"
  grep -q '^reaction_diffusion: PASSED' "$work/run.log" || fail "the consumer's self-check"
  [ -s "$work/out/reaction_diffusion.h5" ] && [ -s "$work/out/reaction_diffusion.xdmf" ] \
    || fail "the consumer wrote no HDF5/XDMF output"
  step "diffusion_loop (docs/library.md): 40 steps, and 20 on 1 rank + a restart to 40 on 2"
  "$mpiexec" -np 2 "$work/build/diffusion_loop" 40 "$work/loop_straight" > "$work/loop_a.log" 2>&1 \
    || { cat "$work/loop_a.log"; fail "diffusion_loop"; }
  "$mpiexec" -np 1 "$work/build/diffusion_loop" 20 "$work/loop_restarted" > "$work/loop_b.log" 2>&1 \
    || { cat "$work/loop_b.log"; fail "diffusion_loop, first half"; }
  "$mpiexec" -np 2 "$work/build/diffusion_loop" 40 "$work/loop_restarted" auto > "$work/loop_c.log" 2>&1 \
    || { cat "$work/loop_c.log"; fail "diffusion_loop, restarted"; }
  grep -q "restarting from .*chk_000000020.h5 at step 20" "$work/loop_c.log" \
    || { cat "$work/loop_c.log"; fail "diffusion_loop did not restart from step 20"; }
  /usr/bin/python3 -c "
import sys, h5py, numpy as np
a, b = (h5py.File(p, 'r')['u'][...] for p in sys.argv[1:3])
same = a.shape == (64, 64) and np.array_equal(a, b) and abs(a.sum() - 1.0) < 1e-12
print(f'diffusion_loop: straight and restarted fields {\"identical\" if same else \"DIFFER\"}, total {a.sum():.15f}')
sys.exit(0 if same else 1)" "$work/loop_straight/u.h5" "$work/loop_restarted/u.h5" || fail "the restarted loop"
  step "mpirun -np 2 smooth (the README example)"
  (cd "$work/out" && "$mpiexec" -np 2 "$work/build/smooth") || fail "the README example"
  /usr/bin/python3 -c "
import sys, h5py, numpy as np
u = h5py.File(sys.argv[1], 'r')['u'][...]
# Diffusion on a periodic grid keeps the mean (0.5 for the checkerboard) and shrinks the range.
ok = u.shape == (256, 256) and abs(u.mean() - 0.5) < 1e-12 and 0 < u.min() < u.max() < 1
print(f'smooth.h5: shape {u.shape}, mean {u.mean():.15f}, range {u.min():.3f}..{u.max():.3f}')
sys.exit(0 if ok else 1)" "$work/out/smooth.h5" || fail "the README example's output"
  ;;
pkgconfig)
  PKG_CONFIG_PATH=$(dirname "$pc")
  export PKG_CONFIG_PATH
  version=$(pkg-config --modversion tessera) || fail "pkg-config cannot read $pc"
  expected=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
  [ "$version" = "$expected" ] || fail "tessera.pc says version '$version', the build is '$expected'"
  flags=$(pkg-config --cflags --libs tessera)
  step "$cxx pkgconfig_probe.cpp $flags"
  # shellcheck disable=SC2086  # the flags must split into words
  "$cxx" $extra_flags "$src/tests/install_consumer/pkgconfig_probe.cpp" $flags -o "$work/probe" \
    || fail "compile with pkg-config flags"
  step "mpirun -np 2 probe"
  (cd "$work" && "$mpiexec" -np 2 ./probe probe.h5) | tee "$work/run.log"
  grep -q 'PASSED' "$work/run.log" || fail "the probe's self-check"
  ;;
*) fail "unknown mode $mode" ;;
esac
echo "install test ($mode): PASSED"
