"""Checks the summary.json of a tessera-gemm run (run in the app test's work directory)."""
import json
import sys

s = json.load(open("out/gemm/summary.json"))
errors = []
if s["app"] != "gemm":
    errors.append("app is not gemm")
if not s["check"]["passed"] or not s["check"]["scaled_residual"] < 16:
    errors.append(f"check failed: {s['check']}")
if not s["rate"]["value"] > 0 or s["rate"]["unit"] != "flop/s":
    errors.append(f"bad rate {s['rate']}")
if not 0 < s["reference"]["fraction"]:
    errors.append(f"bad reference {s['reference']}")
if "linalg.gemm" not in s["timers"]:
    errors.append("no linalg.gemm timer")
if len(s["seconds"]) != s["config"]["repetitions"]:
    errors.append("one time per repetition expected")
for e in errors:
    print("gemm_check:", e)
sys.exit(1 if errors else 0)
