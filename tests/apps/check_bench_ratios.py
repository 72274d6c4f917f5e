"""Checks the benchmark block of a tessera-heat or tessera-cg summary.json (run in the app test's
work directory): one triad per timed repetition, and the reported ratio is the median of the
per-repetition ratios recomputed from the per-repetition times and triads."""
import json
import os
import statistics
import sys

app = "heat" if os.path.exists("out/heat/summary.json") else "cg"
s = json.load(open(f"out/{app}/summary.json"))
reps = s["config"]["repetitions"]
errors = []
if app == "heat":
    r = s["rate"]
    times, triads = r["seconds_per_repetition"], r["triad_per_repetition"]
    cells = 1
    for c in s["config"]["cells"]:
        cells *= c
    ratios = [24.0 * cells * s["steps"] / t / b for t, b in zip(times, triads)]
    reported = r["ratio_to_plain_store_bound"]
    if abs(r["value"] - cells * s["steps"] / statistics.median(times)) > 1e-9 * r["value"]:
        errors.append(f"rate {r['value']} is not cells x steps / median time")
else:
    b = s["bandwidth"]
    times, triads = b["seconds_per_solve"], b["triad_per_solve"]
    iters = max(s["iterations"], 1)
    ratios = [b["bytes_per_iteration"] / tb / (t / iters) for t, tb in zip(times, triads)]
    reported = b["fraction_of_bound"]
if len(times) != reps or len(triads) != reps:
    errors.append(f"{len(times)} times and {len(triads)} triads for {reps} repetitions")
if not all(x > 1e8 for x in triads):
    errors.append(f"implausible triads {triads}")
if abs(statistics.median(ratios) - reported) > 1e-9 * reported:
    errors.append(f"ratio {reported} is not the median of the per-repetition ratios {ratios}")
for e in errors:
    print(f"check_bench_ratios ({app}):", e)
sys.exit(1 if errors else 0)
