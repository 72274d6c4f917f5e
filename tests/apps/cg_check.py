"""Checks the summary.json of a tessera-cg run (run in the app test's work directory)."""
import json
import sys

s = json.load(open("out/cg/summary.json"))
h = s["residual_history"]
errors = []
if s["app"] != "cg" or not s["check"]["passed"] or not s["converged"]:
    errors.append(f"run did not pass: {s['check']}")
if len(h) != s["iterations"] + 1 or h[0] != 1.0:
    errors.append(f"history has {len(h)} entries for {s['iterations']} iterations, h[0] = {h[0]}")
if not h[-1] <= s["config"]["tol"]:
    errors.append(f"final relative residual {h[-1]} above tol")
if not s["rate"]["value"] > 0 or not s["seconds_per_iteration"] > 0:
    errors.append("no rate")
if "linalg.cg" not in s["timers"]:
    errors.append("no linalg.cg timer")
for e in errors:
    print("cg_check:", e)
sys.exit(1 if errors else 0)
