#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest.
#   ./scripts/test.sh              Release build in build/
#   ./scripts/test.sh --sanitize   AddressSanitizer + UBSan build in build-sanitize/
# Extra arguments after -- go to ctest (e.g. -- -R grid -L mpi).
set -euo pipefail
source "$(dirname "$0")/common.sh"

sanitize=0
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

start=$(date +%s)
install_packages
if [ $sanitize -eq 1 ]; then
  build="$TESSERA_ROOT/build-sanitize"
  # -O1 -g1 (line tables): reports still name file and line, and the build takes about 2.5x
  # less time than -O2 -g (apps/heat/main.cpp: 44 s against 118 s here), which CI needs.
  configure_and_build "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DTESSERA_SANITIZE=address,undefined -DTESSERA_BUILD_BENCHMARKS=OFF
  # Open MPI's start-up allocations are never freed: suppress those, report everything else.
  export LSAN_OPTIONS="suppressions=$TESSERA_ROOT/tests/support/lsan.supp:fast_unwind_on_malloc=0:print_suppressions=0"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
else
  build="$TESSERA_ROOT/build"
  configure_and_build "$build"
fi
mpi_environment
log "running tests in $build"
rc=0
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "${ctest_args[@]}" || rc=$?
log "test.sh finished in $(( $(date +%s) - start )) s with exit code $rc"
exit $rc
