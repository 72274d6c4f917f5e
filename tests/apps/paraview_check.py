"""Real-client test: ParaView (pvbatch) renders tessera-heat's XDMF output, and the pictures are
not blank: a 2D field, a 3D field, and two time steps of a 2D snapshot series.

Usage: paraview_check.py TESSERA_HEAT MPIEXEC      (runs the three cases in the current directory)
       paraview_check.py --existing DIR            (renders DIR/d2, DIR/d3, DIR/s2 made earlier)

A 2D field whose attribute DataItem says "NY NX" under a "1 NY NX" mesh renders as one flat
colour in ParaView 5.11 (it reads NY tuples of NX components): that is what this catches.
"""
import os
import subprocess
import sys

import h5py
import numpy as np
from matplotlib import image

here = os.path.dirname(os.path.abspath(__file__))


def run_heat(heat, mpiexec):
    cases = {
        "d2": ["--cells", "64", "48", "--steps", "50"],
        "d3": ["--dim", "3", "--cells", "24", "20", "16", "--steps", "20"],
        "s2": ["--cells", "48", "40", "--init", "gaussian", "--steps", "300", "--snapshot-every", "100"],
    }
    for out, args in cases.items():
        subprocess.run([mpiexec, "-np", "2", heat, "--quiet", "--output", out, *args], check=True)


def field_stats(png):
    """(share of the picture that is field, colours each covering at least 0.1% of the field)."""
    rgb = (image.imread(png)[..., :3] * 255).round().astype(np.uint8).reshape(-1, 3)
    field = rgb[np.any(rgb < 250, axis=1)]  # not the white background
    if len(field) == 0:
        return 0.0, 0, rgb
    _, counts = np.unique(field, axis=0, return_counts=True)
    return len(field) / len(rgb), int((counts >= 0.001 * len(field)).sum()), rgb


def main():
    if sys.argv[1:2] == ["--existing"]:
        os.chdir(sys.argv[2])
    else:
        run_heat(sys.argv[1], sys.argv[2])
    jobs = [("d2/heat.xdmf", "d2", "last"), ("d3/heat.xdmf", "d3", "last"), ("s2/snapshots.xdmf", "s2", "0,3")]
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1024x768x24", "pvbatch", os.path.join(here, "paraview_render.py")]
    for job in jobs:
        cmd += job
    r = subprocess.run(cmd, capture_output=True, text=True)
    print(r.stdout + r.stderr)
    if r.returncode != 0:
        sys.exit(f"pvbatch failed ({r.returncode})")
    errors = []
    # What ParaView read must be the field: its range equals the HDF5 dataset's.
    read = {w[1]: (float(w[2]), float(w[3])) for w in (l.split() for l in r.stdout.splitlines()) if w[:1] == ["range"]}
    with h5py.File("s2/snapshots.h5", "r") as f:
        snaps = sorted(f["snapshots"])
    datasets = {"d2_0": ("d2/heat.h5", "/u"), "d3_0": ("d3/heat.h5", "/u"),
                "s2_0": ("s2/snapshots.h5", f"/snapshots/{snaps[0]}/u"),
                "s2_3": ("s2/snapshots.h5", f"/snapshots/{snaps[3]}/u")}
    for name, (fname, dset) in datasets.items():
        with h5py.File(fname, "r") as f:
            u = f[dset][...]
        want = (float(u.min()), float(u.max()))
        got = read.get(name, (float("nan"), float("nan")))
        if not all(abs(g - w) <= 1e-12 * max(1.0, abs(w)) for g, w in zip(got, want)):
            errors.append(f"{name}: ParaView read u in {got}, the file {fname}:{dset} holds {want}")
    pictures = {"2D field": "d2_0.png", "3D field": "d3_0.png", "2D series, step 0": "s2_0.png",
                "2D series, step 3": "s2_3.png"}
    pixels = {}
    for what, png in pictures.items():
        if not os.path.exists(png):
            errors.append(f"{what}: pvbatch wrote no {png}")
            continue
        fraction, colours, pixels[png] = field_stats(png)
        print(f"{what} ({png}): field covers {100 * fraction:.0f}% of the picture, "
              f"{colours} colours cover 0.1% of it or more")
        # A rendered sine or Gaussian spans the colour map: 58 to 256 such colours here. The
        # blank 2D picture is a flat rectangle of one colour (its edge pixels cover less), or
        # a few blobs of what lay beyond the array ParaView read.
        if fraction < 0.1 or colours < 32:
            errors.append(f"{what}: blank picture ({png})")
    if "s2_0.png" in pixels and "s2_3.png" in pixels:
        change = np.abs(pixels["s2_0.png"].astype(int) - pixels["s2_3.png"].astype(int)).mean()
        print(f"series: mean pixel change from step 0 to step 3: {change:.1f}")
        if change < 1.0:
            errors.append("series: step 3 looks like step 0 (time steps not read)")
    if "Source array too small" in r.stdout + r.stderr:
        errors.append("ParaView logged 'Source array too small'")
    for e in errors:
        print("paraview_check:", e)
    sys.exit(1 if errors else 0)


main()
