#!/usr/bin/env python3
"""compare_solvers.py: time to solution of the 3D Poisson problem (tessera-cg's system: the
7-point Laplacian on n^3 interior unknowns, zero Dirichlet walls, the manufactured right-hand
side, x0 = 0, ||r|| / ||b|| <= --tol) for

  - tessera:  tessera-cg --precond mg (CG with one V-cycle, Chebyshev x 2, as preconditioner);
  - hypre:    tessera-bench-hypre-pfmg-pcg (hypre's PCG with one PFMG V-cycle);
  - petsc:    tessera-bench-petsc-mg-cg (PETSc's KSPCG with PCMG on a DMDA), when built,

interleaved round by round (tessera, hypre, petsc, tessera, ...) at each size and layout, so
that the machine's drift hits every contender alike. Each run is a fresh process; the figures
are the medians over --rounds of each one's own set-up and solve timers (MPI start-up and
matrix assembly excluded): time to solution = set-up + solve. Layouts: 2x1 is 2 ranks x 1
thread, 1x2 is 1 rank x 2 threads (hypre and PETSc as Debian builds them use one thread per
rank, so at 1x2 they run on one core: that is what a user of those packages gets).
tessera's runs are --benchmark runs, which also time V-cycles alone against a triad: their
fraction of the memory-bandwidth bound is printed with the table.

Usage: compare_solvers.py BIN_DIR [--sizes 128 256] [--layouts 2x1 1x2] [--rounds 3]
                          [--tol 1e-8] [--json FILE]"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

LAYOUTS = {
    "2x1": ["-np", "2", "--map-by", "slot:PE=1", "--bind-to", "core", "-x", "OMP_NUM_THREADS=1"],
    "1x2": ["-np", "1", "--bind-to", "none", "-x", "OMP_NUM_THREADS=2", "-x", "OMP_PROC_BIND=close",
            "-x", "OMP_PLACES=cores"],
}
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_WAIT_POLICY="PASSIVE",
           OMPI_MCA_pml="ob1", OMPI_MCA_rmaps_base_oversubscribe="1")


def run(cmd):
    r = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED ({r.returncode}): {' '.join(cmd)}\n{r.stdout[-3000:]}{r.stderr[-3000:]}")
    return r.stdout


def tessera(bindir, layout, n, tol, work):
    out = os.path.join(work, "tessera")
    run(["mpirun", *LAYOUTS[layout], os.path.join(bindir, "tessera-cg"), "--dim", "3", "--cells", str(n), str(n),
         str(n), "--precond", "mg", "--tol", str(tol), "--benchmark", "--repetitions", "1", "--quiet",
         "--output", out, "--overwrite"])
    s = json.load(open(os.path.join(out, "summary.json")))
    mg = s["multigrid"]
    return {"iterations": s["iterations"], "setup": mg["setup_seconds"], "solve": s["seconds"],
            "error": s["check"]["max_error"], "fraction": mg["cycle_bandwidth"]["fraction_of_bound"],
            "cycle_ms": 1e3 * mg["cycle_bandwidth"]["seconds_per_cycle"]}


def peer(exe, layout, n, tol):
    text = run(["mpirun", *LAYOUTS[layout], exe, "--dim", "3", "--cells", str(n), str(n), str(n), "--tol", str(tol),
                "--reps", "1"])
    m = re.search(r"^RESULT (.*)$", text, re.M)
    if not m:
        sys.exit(f"{exe}: no RESULT line in\n{text[-2000:]}")
    f = dict(kv.split("=", 1) for kv in m.group(1).split())
    return {"iterations": int(f["iterations"]), "setup": float(f["setup"]), "solve": float(f["solve"]),
            "error": float(f["error"])}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bindir")
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--layouts", nargs="+", default=["2x1", "1x2"], choices=sorted(LAYOUTS))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tol", type=float, default=1e-8)
    ap.add_argument("--json")
    args = ap.parse_args()
    peers = {name: os.path.join(args.bindir, exe) for name, exe in
             [("hypre", "tessera-bench-hypre-pfmg-pcg"), ("petsc", "tessera-bench-petsc-mg-cg")]
             if os.path.exists(os.path.join(args.bindir, exe))}
    missing = {"hypre", "petsc"} - set(peers)
    if missing:
        print(f"not built (their -dev packages are missing): {', '.join(sorted(missing))}")
    results = []
    work = tempfile.mkdtemp(prefix="tessera_mg_compare_")
    for n in args.sizes:
        for layout in args.layouts:
            runs = {name: [] for name in ["tessera", *peers]}
            for _ in range(args.rounds):
                runs["tessera"].append(tessera(args.bindir, layout, n, args.tol, work))
                for name, exe in peers.items():
                    runs[name].append(peer(exe, layout, n, args.tol))
            print(f"\n{n}^3, {layout} (ranks x threads), tol {args.tol:g}, medians of {args.rounds} interleaved rounds")
            print(f"{'solver':8} {'iters':>5} {'setup s':>8} {'solve s':>8} {'total s':>8} {'ms/iter':>8} {'max error':>10}")
            row = {"cells": n, "layout": layout, "rounds": args.rounds}
            for name, rs in runs.items():
                med = {k: statistics.median(r[k] for r in rs) for k in ("setup", "solve", "error")}
                med["total"] = statistics.median(r["setup"] + r["solve"] for r in rs)
                med["iterations"] = statistics.median(r["iterations"] for r in rs)
                med["ms_per_iteration"] = 1e3 * statistics.median(r["solve"] / max(r["iterations"], 1) for r in rs)
                if name == "tessera":
                    med["fraction"] = statistics.median(r["fraction"] for r in rs)
                    med["cycle_ms"] = statistics.median(r["cycle_ms"] for r in rs)
                row[name] = med
                print(f"{name:8} {med['iterations']:5.0f} {med['setup']:8.3f} {med['solve']:8.3f} {med['total']:8.3f} "
                      f"{med['ms_per_iteration']:8.1f} {med['error']:10.3e}")
            t = row["tessera"]
            print(f"tessera V-cycle alone: {t['cycle_ms']:.1f} ms, {100 * t['fraction']:.0f}% of the bandwidth bound")
            if peers:
                best = min(peers, key=lambda p: row[p]["total"])
                row["fastest_peer"] = best
                row["speedup_vs_fastest_peer"] = row[best]["total"] / t["total"]
                print(f"time to solution: {best} (the faster peer) / tessera = {row['speedup_vs_fastest_peer']:.2f}")
            results.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
