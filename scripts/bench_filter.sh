#!/usr/bin/env bash
# tessera-filter against OpenCV on an 8192 x 8192 8-bit image, for docs/performance.md: Gaussian
# (sigma 2), box 5 x 5, Sobel gradient magnitude and median 3 x 3, each at 1 rank x 2 threads and
# 2 ranks x 1 thread, interleaved with cv2 (its default threading) on the same image in the same
# run. Each round runs every configuration once; tessera-filter times --repetitions passes
# (REPETITIONS, default 5) and reports the median, with a triad after each pass (the bandwidth
# bound); cv2 is timed the same number of times. The script prints every round, then medians.
#   ./scripts/bench_filter.sh [ROUNDS]   (build first: ./scripts/test.sh or ./scripts/demo.sh)
# FILTER=path/to/tessera-filter benchmarks another build; SIZE=N another image size.
set -euo pipefail
source "$(dirname "$0")/common.sh"
mpi_environment
rounds=${1:-5}
exe="${FILTER:-$TESSERA_ROOT/build/bin/tessera-filter}"
size=${SIZE:-8192}
reps=${REPETITIONS:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

/usr/bin/python3 - "$TESSERA_ROOT/data/images/camera.png" "$out/image.h5" "$size" <<'PY'
import sys
import cv2, h5py, numpy as np
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
img = cv2.resize(cv2.imread(src, cv2.IMREAD_GRAYSCALE), (n, n), interpolation=cv2.INTER_CUBIC)
noise = np.random.default_rng(1).integers(-8, 9, size=img.shape)  # texture, so no filter sees flat areas
img = np.clip(img.astype(np.int32) + noise, 0, 255).astype(np.uint8)
with h5py.File(dst, "w") as f:
    f["image"] = img
PY

declare -A stage=([gaussian]="gaussian:sigma=2" [box5]="box:radius=2" [sobel]="sobel:output=magnitude" [median3]="median:radius=1")
names=(gaussian box5 sobel median3)
results="$out/results.txt"
for round in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    for layout in 1x2 2x1; do
      np=${layout%x*}; nt=${layout#*x}
      if [ "$np" -eq 1 ]; then bind=(--bind-to none -x OMP_PROC_BIND=close -x OMP_PLACES=cores)
      else bind=(--map-by "slot:PE=$nt" --bind-to core -x OMP_PROC_BIND=close -x OMP_PLACES=cores); fi
      mpirun -np "$np" "${bind[@]}" -x OMP_NUM_THREADS="$nt" "$exe" --input "$out/image.h5" \
        --filter "${stage[$name]}" --benchmark --repetitions "$reps" --quiet --overwrite --output "$out/o.h5" >/dev/null
      /usr/bin/python3 -c "
import json; s = json.load(open('$out/o.h5.summary.json'))
print('$name', 'tessera-$layout', s['rate']['value'] / 1e6, s['bound']['pixels_per_second'] / 1e6, s['bound']['bytes_per_pixel'])" | tee -a "$results"
    done
    /usr/bin/python3 - "$out/image.h5" "$name" "$reps" <<'PY' | tee -a "$results"
import sys, time
import cv2, h5py, numpy as np
img = h5py.File(sys.argv[1])["image"][...]
name, reps = sys.argv[2], int(sys.argv[3])
def sobel(a):
    gx = cv2.Sobel(a, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(a, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.convertScaleAbs(cv2.magnitude(gx, gy))
ops = {"gaussian": lambda a: cv2.GaussianBlur(a, (0, 0), 2.0), "box5": lambda a: cv2.blur(a, (5, 5)),
       "sobel": sobel, "median3": lambda a: cv2.medianBlur(a, 3)}
f = ops[name]
f(img)  # warm up: first-touch of cv2's buffers
times = []
for _ in range(reps):
    t0 = time.perf_counter(); f(img); times.append(time.perf_counter() - t0)
print(name, f"opencv-{cv2.getNumThreads()}threads", img.size / float(np.median(times)) / 1e6, 0, 0)
PY
  done
done

/usr/bin/python3 - "$results" "$rounds" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
names = ["gaussian", "box5", "sobel", "median3"]
print(f"\nmedians of {sys.argv[2]} rounds, megapixels/s (8-bit gray); bound = triad bandwidth / bytes per pixel")
print(f"{'filter':10s} {'1x2':>7s} {'2x1':>7s} {'OpenCV':>7s} {'1x2/CV':>7s} {'2x1/CV':>7s} {'B/px':>5s} {'bound':>7s} {'best/bound':>10s}")
for n in names:
    def med(prefix, col=2):
        v = [float(r[col]) for r in rows if r[0] == n and r[1].startswith(prefix)]
        return st.median(v) if v else float("nan")
    a, b, cv = med("tessera-1x2"), med("tessera-2x1"), med("opencv")
    bound = st.median([float(r[3]) for r in rows if r[0] == n and r[1].startswith("tessera")])
    bpp = st.median([float(r[4]) for r in rows if r[0] == n and r[1].startswith("tessera")])
    print(f"{n:10s} {a:7.0f} {b:7.0f} {cv:7.0f} {a / cv:7.2f} {b / cv:7.2f} {bpp:5.1f} {bound:7.0f} {max(a, b) / bound:10.2f}")
PY
