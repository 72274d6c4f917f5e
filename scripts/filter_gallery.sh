#!/usr/bin/env bash
# Makes the pictures of docs/filter.md with tessera-filter itself: data/images/coffee.png (halved
# to 300 x 200 so the page stays light) through each filter, and the border modes drawn.
#   ./scripts/filter_gallery.sh [OUT_DIR]   (default docs/img/filter; build first)
set -euo pipefail
source "$(dirname "$0")/common.sh"
mpi_environment
exe="${FILTER:-$TESSERA_ROOT/build/bin/tessera-filter}"
dst=${1:-$TESSERA_ROOT/docs/img/filter}
mkdir -p "$dst"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$TESSERA_ROOT/data/images/coffee.png" "$tmp" <<'PY'
import sys
import cv2, numpy as np
img = cv2.imread(sys.argv[1], cv2.IMREAD_COLOR)
small = cv2.resize(img, (300, 200), interpolation=cv2.INTER_AREA)
cv2.imwrite(f"{sys.argv[2]}/coffee.png", small)
cv2.imwrite(f"{sys.argv[2]}/coffee-gray.png", cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
# A 48 x 32 corner of the photo for the border drawings: small enough to see the mirrored pixels.
cv2.imwrite(f"{sys.argv[2]}/corner.png", small[22:54, 160:208])
PY
cp "$tmp/coffee.png" "$dst/input.png"
run() {  # name, input, filter arguments...
  local name=$1 input=$2; shift 2
  mpirun -np 2 --bind-to none -x OMP_NUM_THREADS=1 "$exe" --input "$tmp/$input" "$@" \
    --output "$dst/$name.png" --overwrite --quiet
  rm -f "$dst/$name.png.summary.json"
}
run gaussian coffee.png --filter gaussian:sigma=3
run box coffee.png --filter box:radius=4
run median coffee.png --filter median:radius=2
run unsharp coffee.png --filter unsharp:sigma=2,amount=1.5
run sobel coffee-gray.png --filter sobel:output=magnitude
run sobel-dx coffee-gray.png --filter sobel:output=dx
run laplacian coffee-gray.png --filter gaussian:sigma=1 --filter laplacian:ksize=3,scale=4
run kernel coffee.png --filter "kernel:values=-2 -1 0;-1 1 1;0 1 2"
run chain coffee.png --filter gaussian:sigma=1.5 --filter sobel:output=magnitude

# Border modes: a corner of the photo shifted by a one-tap kernel 15 pixels right and down, so
# the top-left 15 pixels show what the border rule put beyond the top and left edges.
shift=""
for i in $(seq 31); do shift+=$([ "$i" -eq 1 ] && echo "1" || echo " 0"); done
zeros=$(for i in $(seq 31); do printf '0 '; done)
rows="$shift"
for i in $(seq 30); do rows+=";$zeros"; done
for mode in reflect101 reflect replicate constant wrap; do
  run "border-$mode" corner.png --filter "kernel:values=$rows" --border "$mode" --border-value 255
done
/usr/bin/python3 - "$dst" <<'PY'
import sys
import cv2, numpy as np
d = sys.argv[1]
modes = ["reflect101", "reflect", "replicate", "constant", "wrap"]
tiles = []
for m in modes:
    t = cv2.resize(cv2.imread(f"{d}/border-{m}.png"), None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
    cv2.line(t, (60, 0), (60, t.shape[0]), (0, 0, 255), 1)   # the image edges, 15 pixels in
    cv2.line(t, (0, 60), (t.shape[1], 60), (0, 0, 255), 1)
    label = np.full((24, t.shape[1], 3), 255, np.uint8)
    cv2.putText(label, m, (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    tiles.append(np.vstack([label, t]))
    tiles.append(np.full((tiles[-1].shape[0], 8, 3), 255, np.uint8))
cv2.imwrite(f"{d}/borders.png", np.hstack(tiles[:-1]))
for m in modes:
    import os; os.remove(f"{d}/border-{m}.png")
PY
echo "pictures in $dst"
