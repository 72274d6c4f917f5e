"""Checks a --trace run: summary.json lists trace.json; the trace is Chrome trace-event JSON with
one track (pid) per rank named "rank N" and one (tid) per OpenMP thread; on each (pid, tid) track the complete events nest
properly; and each rank's per-label total duration agrees with summary.json's timers (within
the min..max over ranks, and their mean with "avg") to 1%."""
import collections
import json
import sys

from trace_totals import check_totals

summary = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "out/heat/summary.json"))
info = summary["trace"]
assert info["format"] == "chrome-trace-event-json", info
assert info["dropped_events"] == 0, info
trace = json.load(open(info["path"]))
events = trace["traceEvents"]
ranks = summary["ranks"]

names = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
assert names == {r: f"rank {r}" for r in range(ranks)}, names
complete = [e for e in events if e["ph"] == "X"]
assert {e["pid"] for e in complete} == set(range(ranks)), "one track per rank"
# One track per OpenMP thread of every rank: the stencil sweeps record each thread's share.
threads = summary["threads"]
for r in range(ranks):
    tids = {e["tid"] for e in complete if e["pid"] == r}
    assert tids == set(range(threads)), f"rank {r}: tracks {sorted(tids)}, {threads} threads"
    sweeps = [e for e in complete if e["pid"] == r and e["cat"] == "thread"]
    per_thread = collections.Counter(e["tid"] for e in sweeps)
    assert len(set(per_thread.values())) == 1 and len(per_thread) == threads, per_thread
assert {e["cat"] for e in complete} <= {"region", "wait", "thread"}
assert all(e["ph"] in ("X", "M") for e in events), "only complete and metadata events"

eps = 0.002  # microseconds: ts and dur are rounded to the nanosecond
tracks = collections.defaultdict(list)
for e in complete:
    assert e["dur"] >= 0, e
    tracks[(e["pid"], e["tid"])].append(e)
for key, evs in tracks.items():
    # Parents first: earlier start, and the longer one when two start together.
    evs.sort(key=lambda e: (e["ts"], -e["dur"]))
    stack = []
    for e in evs:
        while stack and e["ts"] >= stack[-1]["ts"] + stack[-1]["dur"] - eps:
            stack.pop()
        if stack:
            p = stack[-1]
            assert e["ts"] + e["dur"] <= p["ts"] + p["dur"] + eps, f"track {key}: {e} overlaps {p}"
        stack.append(e)

totals = collections.defaultdict(lambda: [0.0] * ranks)
counts = collections.defaultdict(lambda: [0] * ranks)
for e in complete:
    if e["cat"] == "thread":  # thread shares are not timers
        continue
    totals[e["name"]][e["pid"]] += e["dur"] * 1e-6
    counts[e["name"]][e["pid"]] += 1
timers = summary["timers"]
check_totals(totals, counts, timers, ranks, "trace")

# The library's MPI waits are wait regions under their callers: with two checkpoints, every rank
# but 0 waits for its turn to write (the token) twice, and every rank for the agreements.
waits = {(e["name"], e["pid"]) for e in complete if e["cat"] == "wait"}
if ranks > 1:
    for r in range(ranks):
        assert (("io.checkpoint.write/token.wait", r) in waits) == (r > 0), (r, sorted(waits))
        assert ("io.checkpoint.write/agree.wait", r) in waits, (r, sorted(waits))
        assert ("grid.halo.wait", r) in waits, (r, sorted(waits))
    assert timers["io.checkpoint.write/token.wait"]["calls"] == 2, timers["io.checkpoint.write/token.wait"]
assert all(e["name"].endswith(".wait") == (e["cat"] == "wait") for e in complete)
print(f"trace ok: {len(complete)} regions on {len(tracks)} tracks, {len(timers)} labels")

# Thread idle fraction: summary.json's figure is the trace's own (k-th share on each thread =
# one parallel region; 1 - busy / (threads x span)), averaged over ranks.
idle = summary["thread_idle"]["stencil.sweep"]
fractions = []
for r in range(ranks):
    per_thread = [sorted((e["ts"], e["ts"] + e["dur"]) for e in complete
                         if e["pid"] == r and e["tid"] == t and e["name"] == "stencil.sweep") for t in range(threads)]
    n = min(len(v) for v in per_thread)
    busy = sum(v[k][1] - v[k][0] for v in per_thread for k in range(n))
    span = sum(max(v[k][1] for v in per_thread) - min(v[k][0] for v in per_thread) for k in range(n))
    fractions.append(min(1.0, max(0.0, 1.0 - busy / (threads * span))))
assert abs(idle["avg"] - sum(fractions) / ranks) < 1e-3, (idle, fractions)
assert abs(idle["max"] - max(fractions)) < 1e-3, (idle, fractions)
assert threads > 1 or idle["max"] < 1e-9, idle
print(f"thread idle ok: stencil.sweep avg {idle['avg']:.3f}, max {idle['max']:.3f}")
