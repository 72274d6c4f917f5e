"""tessera-heat gives the same bits on every layout (np 1, 2, 4; threads 1, 2; several process
grids; with and without temporal blocking), in 2D and 3D, and a run restarted from its own HDF5 output (read on another rank count)
continues bit for bit."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

heat, mpiexec = sys.argv[1], sys.argv[2]
# --quick (sanitizer builds, where every run is several times slower): fewer layouts per case.
quick = "--quick" in sys.argv[3:]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="PASSIVE")
work = tempfile.mkdtemp(prefix="tessera_heat_layouts_")


def run(np_, threads, args, tag):
    out = os.path.join(work, tag)
    cmd = [mpiexec, "-np", str(np_), "--bind-to", "none", "-x", f"OMP_NUM_THREADS={threads}", heat,
           "--output", out, "--quiet"] + args
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED ({r.returncode}): {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    with h5py.File(os.path.join(out, "heat.h5"), "r") as f:
        return f["u"][...]


failures = 0
cases = {
    "2d-5pt-dirichlet": ["--cells", "37", "23", "--steps", "40"],
    "2d-9pt-neumann": ["--cells", "31", "31", "--steps", "40", "--stencil", "9pt", "--bc", "neumann",
                       "--init", "gaussian"],
    "2d-star3-periodic": ["--cells", "37", "23", "--steps", "30", "--stencil", "star3", "--bc", "periodic",
                          "--init", "hotspot"],
    "3d-7pt-mixed": ["--dim", "3", "--cells", "13", "11", "9", "--steps", "20", "--bc", "dirichlet",
                     "periodic", "neumann"],
    "3d-27pt": ["--dim", "3", "--cells", "12", "12", "12", "--steps", "15", "--stencil", "27pt"],
}
layouts = [(1, 1, []), (1, 2, []), (2, 1, []), (2, 2, []), (4, 1, []), (4, 2, [])]
if quick:
    layouts = [(1, 1, []), (2, 2, []), (4, 1, [])]
for name, args in cases.items():
    dim = 3 if "--dim" in args else 2
    extra = [(4, 1, ["--procs", "4"] + ["1"] * (dim - 1)), (2, 1, ["--procs"] + ["1"] * (dim - 1) + ["2"])]
    if quick:
        extra = extra[:1]
    if "9pt" not in args and "27pt" not in args:  # temporal blocking: k steps per pass, same bits
        extra += [(1, 2, ["--time-block", "4"]), (2, 1, ["--time-block", "3"]),
                  (4, 2, ["--time-block", "2", "--procs", "2", "2"] + ["1"] * (dim - 2))]
    ref = None
    for np_, threads, procs in layouts + extra:
        u = run(np_, threads, args + procs, f"{name}-np{np_}-t{threads}-{len(procs)}")
        if ref is None:
            ref = u
        elif u.tobytes() != ref.tobytes():
            failures += 1
            print(f"DIFFERENT: {name} np {np_} threads {threads} {procs}: max |diff| {np.abs(u - ref).max()}")
    if failures == 0:
        print(f"{name}: {len(layouts) + len(extra)} layouts bitwise identical")

# Restart from output: 20 steps on 4 ranks, then 20 more from that file on 2 ranks, equals 40.
first = os.path.join(work, "half", "heat.h5")
run(4, 1, ["--cells", "37", "23", "--steps", "20", "--init", "gaussian", "--dt", "1e-4"], "half")
cont = run(2, 2, ["--cells", "37", "23", "--steps", "20", "--init", "file", "--init-file", first,
                  "--dt", "1e-4"], "continued")
full = run(1, 1, ["--cells", "37", "23", "--steps", "40", "--init", "gaussian", "--dt", "1e-4"], "full")
if cont.tobytes() != full.tobytes():
    failures += 1
    print("DIFFERENT: continuing from an HDF5 file on another rank count")
else:
    print("continuing from HDF5 (4 ranks -> 2 ranks): bitwise identical")
sys.exit(1 if failures else 0)
