"""scripts/plot_trace.py on a tessera-heat --trace run (np 2 x 2 threads): the PNG exists, has
the size figure_size() gives, is not blank (several colours); the printed per-rank totals agree
with the trace's events; a missing file and a file that is not JSON exit 2 with one line."""
import collections
import json
import os
import subprocess
import sys

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
script = os.path.join(repo, "scripts", "plot_trace.py")
sys.path.insert(0, os.path.dirname(script))
import plot_trace  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402

trace = "traces/trace.json"
r = subprocess.run([sys.executable, script, trace], capture_output=True, text=True)
assert r.returncode == 0, r.stderr
png = "traces/timeline.png"
assert os.path.exists(png), "no timeline.png beside the trace"
events = [e for e in json.load(open(trace))["traceEvents"] if e["ph"] == "X"]
keys = {(e["pid"], e["tid"]) for e in events}
assert len(keys) == 4, keys
img = matplotlib.image.imread(png)
w, h = plot_trace.figure_size(len(keys), len({e["name"] for e in events}))
assert img.shape[1] == w and img.shape[0] == h, (img.shape, w, h)
colours = {tuple(c) for c in (img[..., :3].reshape(-1, 3) * 255).astype(int)[::7]}
assert len(colours) >= 8, f"{len(colours)} colours: blank picture?"

# The printed table: one line per label, per-rank ms totals equal the events' sums.
totals = collections.defaultdict(lambda: [0.0, 0.0])
for e in events:
    totals[e["name"]][e["pid"]] += e["dur"] / 1e3
rows = {l.split()[0]: l.split() for l in r.stdout.splitlines()[2:] if l and not l.startswith("wrote")}
assert set(rows) == set(totals), (sorted(rows), sorted(totals))
for label, per_rank in totals.items():
    printed = [float(v) for v in rows[label][3:5]]
    for p, t in zip(printed, per_rank):
        assert abs(p - t) <= 0.0005 + 1e-6 * t, (label, printed, per_rank)
s = plot_trace.summarize(plot_trace.load_trace(trace))
sweep = s["stencil.sweep"]
assert sweep["kind"] == "thread" and all(0.0 <= v < 1.0 for v in sweep["idle"]), sweep
assert s["stencil.heat"]["imbalance"] >= 1.0
# Idle fraction on a made-up instance: two threads, spans 10, busy 10 + 5 -> idle 0.25.
fake = {0: [{"ts": 0.0, "dur": 10.0}], 1: [{"ts": 0.0, "dur": 5.0}]}
assert abs(plot_trace.thread_idle(fake) - 0.25) < 1e-12

# Zoom by steps draws too.
r = subprocess.run([sys.executable, script, trace, "--steps", "3", "-o", "zoom.png", "--no-summary"],
                   capture_output=True, text=True)
assert r.returncode == 0 and os.path.exists("zoom.png"), r.stderr

open("bad.json", "w").write("{not json")
for path, why in (("missing.json", "no such file"), ("bad.json", "not JSON")):
    r = subprocess.run([sys.executable, script, path], capture_output=True, text=True)
    assert r.returncode == 2, (path, r.returncode)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and why in lines[0] and lines[0].startswith("plot_trace.py: error:"), r.stderr
r = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True)
assert r.returncode == 0 and "--steps" in r.stdout
print("plot_trace ok")
