#!/usr/bin/env bash
# scripts/scaling/{sweep.sh,collect.py,plot.py} and scripts/view_field.py on tiny heat runs:
# the CSV has one row per run with the right layouts, {expressions} grow a weak-scaling
# problem, the plot and the field picture are PNG files, the table's baseline speed-up is 1.
#   scaling_test.sh REPO HEAT_EXE WORKDIR
set -euo pipefail
repo=${1:?repo}; heat=${2:?tessera-heat}; work=${3:?workdir}
py=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$1 is not a PNG"; }
rm -rf "$work"

"$repo/scripts/scaling/sweep.sh" --layouts "1x1 2x1" --repeat 2 --out "$work/strong" -- \
  "$heat" --cells 64 48 --steps 20 --quiet
csv=$work/strong/sweep.csv
[ "$(($(wc -l < "$csv") - 1))" -eq 4 ] || fail "expected 4 runs in $csv: $(cat "$csv")"
$py - "$csv" <<'PY' || fail "CSV content"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
layouts = sorted((int(r["ranks"]), int(r["threads"])) for r in rows)
assert layouts == [(1, 1), (1, 1), (2, 1), (2, 1)], layouts
assert all(r["app"] == "heat" and r["check_passed"] == "True" and float(r["rate"]) > 0 for r in rows), rows
assert all(r["rate_unit"] == "cell-updates/s" for r in rows)
PY
$py "$repo/scripts/scaling/plot.py" "$csv" --table --output "$work/plot.png" | tee "$work/table.md"
is_png "$work/plot.png"
grep -q '^| 1x1 | 2 | .* | 1.00 | 1.00 |' "$work/table.md" || fail "the baseline row is not speed-up 1.00"
grep -q '^| 2x1 | 2 |' "$work/table.md" || fail "no 2x1 row"

# Weak scaling: {64*P} cells along y.
"$repo/scripts/scaling/sweep.sh" --mode weak --layouts "1x1 2x1" --repeat 1 --out "$work/weak" -- \
  "$heat" --cells 64 "{64*P}" --steps 5 --quiet
$py - "$work/weak/runs" <<'PY' || fail "weak scaling did not grow the problem"
import json, sys
for layout, ny in (("1x1-1", 64), ("2x1-1", 128)):
    cells = json.load(open(f"{sys.argv[1]}/{layout}/summary.json"))["config"]["cells"]
    assert cells == [64, ny], (layout, cells)
PY
grep -q ',weak,' "$work/weak/sweep.csv" || fail "mode not recorded"

$py "$repo/scripts/view_field.py" "$work/strong/runs/2x1-1/heat.h5" --output "$work/u.png"
is_png "$work/u.png"
$py "$repo/scripts/view_field.py" "$work/strong/runs/2x1-1/heat.h5" --dataset /nope --output "$work/x.png" \
  2> "$work/err.txt" && fail "view_field.py accepted a missing dataset"
grep -q 'has no dataset /nope' "$work/err.txt" || fail "view_field.py error message: $(cat "$work/err.txt")"
echo "scaling scripts: PASSED"
