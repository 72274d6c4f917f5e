"""tessera-filter gives the same bits on every layout: np 1, 2, 4, threads 1, 2, process grids
forced to 4 x 1 and 1 x 4 (tiles narrower than the kernel radius on some ranks) and 2 x 2, on
images whose size divides by no process grid, for every filter and one border mode per run.

Usage: filter_layouts.py TESSERA_FILTER MPIEXEC BORDER [--quick]
Each run writes HDF5 (read with h5py); the first layout is the reference."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

exe, mpiexec, border = sys.argv[1:4]
quick = "--quick" in sys.argv[4:]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="PASSIVE")
work = tempfile.mkdtemp(prefix=f"tessera_filter_layouts_{border}_")
rng = np.random.default_rng(7)


def image(h, w, c, dtype):
    shape = (h, w) if c == 1 else (h, w, c)
    if dtype == np.float32:
        return rng.standard_normal(shape).astype(np.float32)
    top = np.iinfo(dtype).max
    smooth = np.fromfunction(lambda y, x, *rest: (x * 7 + y * 3) % 97 / 96.0 * top, shape)
    noise = rng.integers(0, top + 1, size=shape)
    return np.where(rng.random(shape) < 0.5, smooth, noise).astype(dtype)


def write_h5(path, img):
    with h5py.File(path, "w") as f:
        f["image"] = img


# 11 columns: on 4 x 1 the tiles are 3, 3, 3, 2 columns wide, narrower than gaussian sigma=2's
# radius (6 for 8-bit, 8 otherwise) and median radius 2's neighbours' reach across two ranks.
inputs = {
    "u8-rgb": image(23, 11, 3, np.uint8),
    "u16-gray": image(10, 37, 1, np.uint16),
    "f32-gray": image(19, 13, 1, np.float32),
}
chains = [
    ["gaussian:sigma=2", "unsharp:sigma=1,amount=0.5", "laplacian:ksize=1"],
    ["box:radius=3", "median:radius=2", "sobel:output=dx,ksize=5"],
    ["kernel:values=0.1 0.2 -0.1 0 0;0 0.1 0 0.3 0.1;-0.2 0 0.15 0 0.1", "median:radius=1", "sobel:output=magnitude"],
    ["laplacian:ksize=3", "sobel:output=dy"],
]
# Threads 1 and 2, np 1, 2 and 4, and process grids that split either axis.
layouts = [(1, 1, []), (2, 2, ["--procs", "1", "2"]), (4, 1, ["--procs", "4", "1"]), (4, 1, ["--procs", "1", "4"])]
if quick:  # sanitizer builds, where every run is several times slower: one pixel type per border
    layouts = layouts[:3]
    pick = {"reflect101": "u8-rgb", "reflect": "u16-gray", "replicate": "f32-gray", "constant": "u8-rgb",
            "wrap": "u16-gray"}[border]
    inputs = {pick: inputs[pick]}


def run(np_, threads, args, out):
    cmd = [mpiexec, "-np", str(np_), "--bind-to", "none", "-x", f"OMP_NUM_THREADS={threads}", exe, "--border", border,
           "--border-value", "3", "--output", out, "--quiet"] + args
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED ({r.returncode}): {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    with h5py.File(out, "r") as f:
        data = f["image"][...]
    os.remove(out)
    return data


failures = 0
runs = 0
for name, img in inputs.items():
    src = os.path.join(work, f"{name}.h5")
    write_h5(src, img)
    for chain in chains:
        args = ["--input", src]
        for stage in chain:
            args += ["--filter", stage]
        ref = None
        for np_, threads, procs in layouts:
            out = run(np_, threads, args + procs, os.path.join(work, "out.h5"))
            runs += 1
            if ref is None:
                ref = out
                assert out.shape == img.shape and out.dtype == img.dtype, (out.shape, out.dtype)
                # A chain that leaves the image constant would prove nothing.
                assert len(np.unique(out)) > 4, f"{name} {chain}: output nearly constant"
            elif out.tobytes() != ref.tobytes():
                failures += 1
                print(f"DIFFERENT: {name} {chain} border {border}: np {np_} threads {threads} {procs}: "
                      f"{np.count_nonzero(out != ref)} pixels differ")
print(f"border {border}: {runs} runs, {len(inputs)} images x {len(chains)} chains x {len(layouts)} layouts")
if failures:
    sys.exit(f"{failures} layouts gave other bits")
print("same bits on every layout")
