"""An HDF5 image larger than one rank's memory budget (--rank-memory) is filtered with each rank
reading only its own tile: summary.json's bytes_read must be each rank's tile, nothing more, and
the result must be the bits of an unconstrained single-rank run. A PNG input or output (decoded
or gathered whole on one rank) under the same budget is refused with exit 2 before any output.

Usage: filter_tiles.py TESSERA_FILTER MPIEXEC"""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

exe, mpiexec = sys.argv[1:3]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="PASSIVE")
work = tempfile.mkdtemp(prefix="tessera_filter_tiles_")
h, w = 192, 256  # 48 KiB of 8-bit pixels; each of 2 x 2 tiles is 96 x 128 = 12 KiB
img = np.random.default_rng(3).integers(0, 256, size=(h, w), dtype=np.uint8)
src = os.path.join(work, "big.h5")
with h5py.File(src, "w") as f:
    f["image"] = img
budget_mib = 40 / 1024  # 40 KiB: less than the image, more than a tile's two fields with ghosts


def run(np_, args, expect=0):
    cmd = [mpiexec, "-np", str(np_), "--bind-to", "none", "-x", "OMP_NUM_THREADS=1", exe, "--quiet"] + args
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != expect:
        sys.exit(f"FAILED (exit {r.returncode}, expected {expect}): {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return r


chain = ["--filter", "gaussian:sigma=1", "--filter", "median:radius=1"]
run(4, ["--input", src, "--output", os.path.join(work, "tiled.h5"), "--procs", "2", "2",
        "--rank-memory", str(budget_mib)] + chain)
summary = json.load(open(os.path.join(work, "tiled.h5.summary.json")))
tile = (h // 2) * (w // 2)
print("bytes read per rank:", summary["bytes_read"], "(tile:", tile, "bytes; image:", h * w, "bytes)")
assert summary["bytes_read"] == [tile] * 4, summary["bytes_read"]
assert summary["bytes_written"] == [tile] * 4, summary["bytes_written"]

run(1, ["--input", src, "--output", os.path.join(work, "whole.h5")] + chain)
with h5py.File(os.path.join(work, "tiled.h5")) as a, h5py.File(os.path.join(work, "whole.h5")) as b:
    assert a["image"][...].tobytes() == b["image"][...].tobytes(), "tiled run differs from the single-rank run"

# The same budget cannot decode a PNG or gather one: refused, nothing written.
import cv2  # noqa: E402  (only here: the HDF5 part needs no OpenCV)
png = os.path.join(work, "big.png")
cv2.imwrite(png, img)
r = run(4, ["--input", png, "--output", os.path.join(work, "no.h5"), "--rank-memory", str(budget_mib)] + chain, 2)
assert "--rank-memory" in r.stderr and "HDF5" in r.stderr, r.stderr
r = run(4, ["--input", src, "--output", os.path.join(work, "no.png"), "--rank-memory", str(budget_mib)] + chain, 2)
assert "--rank-memory" in r.stderr, r.stderr
left = sorted(f for f in os.listdir(work) if f.startswith("no."))
assert not left, f"a refused run left {left}"
print("each rank read only its tile; refused runs wrote nothing")
