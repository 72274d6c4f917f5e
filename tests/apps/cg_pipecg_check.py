"""Checks the summary.json of a tessera-cg --solver pipecg --precond mg run."""
import json
import sys

s = json.load(open("out/cg/summary.json"))
h = s["residual_history"]
errors = []
if s["config"]["solver"] != "pipecg" or not s["check"]["passed"] or not s["converged"]:
    errors.append(f"run did not pass: solver {s['config']['solver']}, {s['check']}")
if len(h) != s["iterations"] + 1 or h[0] != 1.0 or not h[-1] <= s["config"]["tol"]:
    errors.append(f"history of {len(h)} entries for {s['iterations']} iterations, first {h[0]}, last {h[-1]}")
if not s["iterations"] < 15:
    errors.append(f"{s['iterations']} iterations: not what multigrid-preconditioned CG should need")
if s.get("multigrid", {}).get("role") != "preconditioner":
    errors.append(f"multigrid section: {s.get('multigrid')}")
for t in ("linalg.pipecg", "linalg.pipecg.wait", "linalg.pipecg.update", "linalg.pipecg.precondition",
          "multigrid.level0.smooth"):
    if t not in s["timers"]:
        errors.append(f"no {t} timer")
if "linalg.cg" in s["timers"]:
    errors.append("linalg.cg timer: the run used cg, not pipecg")
cond = s.get("condition", {})
if cond.get("iterations") != s["iterations"] or not 0 < cond["lambda_min"] <= cond["lambda_max"] <= 1.0 + 1e-9:
    errors.append(f"condition estimate {cond}")
if not s["rate"]["value"] > 0 or s["rate"]["unit"] != "unknowns/s":
    errors.append(f"rate {s['rate']}")
for e in errors:
    print("cg_pipecg_check:", e)
sys.exit(1 if errors else 0)
