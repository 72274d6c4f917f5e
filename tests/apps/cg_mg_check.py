"""Checks the summary.json of a tessera-cg run with multigrid (--precond mg or --solver mg)."""
import json
import sys

s = json.load(open("out/cg/summary.json"))
h = s["residual_history"]
mg = s.get("multigrid", {})
errors = []
if not s["check"]["passed"] or not s["converged"]:
    errors.append(f"run did not pass: {s['check']}")
if len(h) != s["iterations"] + 1 or not h[-1] <= s["config"]["tol"]:
    errors.append(f"history of {len(h)} entries for {s['iterations']} iterations, last {h[-1]}")
if not s["iterations"] < 15:
    errors.append(f"{s['iterations']} iterations: not what multigrid should need")
if mg.get("levels", 0) < 2 or len(mg.get("level_cells", [])) != mg.get("levels"):
    errors.append(f"multigrid section: {mg}")
if not 1.0 < mg.get("operator_complexity", 0) < 2.0:
    errors.append(f"operator complexity {mg.get('operator_complexity')}")
cond = s.get("condition")
if mg.get("role") == "preconditioner":
    # A V-cycle preconditioner leaves M^-1 A with eigenvalues in (0, 1]: a condition near 1.
    if not cond or cond["iterations"] != s["iterations"] or not (
            0 < cond["lambda_min"] <= cond["lambda_max"] <= 1.0 + 1e-9 and 1.0 <= cond["condition_number"] < 2.0):
        errors.append(f"condition estimate {cond}")
elif cond is not None:
    errors.append(f"a condition estimate for multigrid cycles: {cond}")
if not mg.get("setup_seconds", 0) > 0:
    errors.append(f"no setup time: {mg.get('setup_seconds')}")
if s["config"].get("benchmark"):
    bw = mg.get("cycle_bandwidth", {})
    ok = bw and all(bw.get(k, 0) > 0 for k in ("seconds_per_cycle", "bytes_per_cycle", "triad_bytes_per_second",
                                                 "fraction_of_bound"))
    if not ok or abs(bw["bound_seconds_per_cycle"] * bw["triad_bytes_per_second"] / bw["bytes_per_cycle"] - 1) > 1e-9:
        errors.append(f"cycle_bandwidth: {bw}")
for t in ("multigrid.level0.smooth", "multigrid.level0.restrict", "multigrid.level0.prolong",
          "multigrid.coarse_solve"):
    if t not in s["timers"]:
        errors.append(f"no {t} timer")
for e in errors:
    print("cg_mg_check:", e)
sys.exit(1 if errors else 0)
