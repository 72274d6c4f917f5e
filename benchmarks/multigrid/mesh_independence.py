#!/usr/bin/env python3
"""mesh_independence.py: iterations of tessera-cg --precond mg to ||r|| / ||b|| <= --tol
(1e-8) on the Poisson problem, 3D from 32^3 to 256^3 and 2D from 64^2 to 4096^2, plus an odd
3D size; the sizes too large for the tests. Prints one table per dimension with iterations,
the time per iteration and the error against the manufactured solution, and exits 1 when
the iterations of one dimension differ by more than 3 or reach 15.

Usage: mesh_independence.py BIN_DIR [--np 2] [--sizes3 32 64 128 256]
                            [--sizes2 64 256 1024 4096] [--tol 1e-8]"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_WAIT_POLICY="PASSIVE",
           OMPI_MCA_pml="ob1", OMPI_MCA_rmaps_base_oversubscribe="1")


def run(bindir, np, cells, tol, work):
    out = os.path.join(work, "cg")
    cmd = ["mpirun", "-np", str(np), "--map-by", "slot:PE=1", "--bind-to", "core", "-x", "OMP_NUM_THREADS=1",
           os.path.join(bindir, "tessera-cg"), "--dim", str(len(cells)), "--cells", *map(str, cells),
           "--precond", "mg", "--tol", str(tol), "--quiet", "--output", out, "--overwrite"]
    r = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED ({r.returncode}): {' '.join(cmd)}\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    s = json.load(open(os.path.join(out, "summary.json")))
    return s["iterations"], s["seconds"], s["check"]["max_error"], s["converged"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bindir")
    ap.add_argument("--np", type=int, default=2)
    ap.add_argument("--sizes3", type=int, nargs="+", default=[32, 64, 128, 256])
    ap.add_argument("--sizes2", type=int, nargs="+", default=[64, 256, 1024, 4096])
    ap.add_argument("--tol", type=float, default=1e-8)
    a = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as work:
        for dim, grids in ((3, [[n] * 3 for n in a.sizes3] + [[97, 65, 129]]), (2, [[n] * 2 for n in a.sizes2])):
            print(f"\n{dim}D, np {a.np}, --precond mg, tol {a.tol:g}")
            print(f"{'grid':>16} {'iters':>6} {'ms/iter':>9} {'max error':>10}")
            its = []
            for cells in grids:
                it, sec, err, conv = run(a.bindir, a.np, cells, a.tol, work)
                its.append(it)
                ok = ok and conv
                print(f"{' x '.join(map(str, cells)):>16} {it:6d} {1e3 * sec / max(it, 1):9.1f} {err:10.3e}")
            spread = max(its) - min(its)
            print(f"iterations {min(its)} .. {max(its)} (spread {spread}: at most 3 and under 15 asked)")
            ok = ok and spread <= 3 and max(its) < 15
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
