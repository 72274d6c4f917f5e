"""Checks the OTF2 archive of a --trace run: summary.json lists it; otf2-print reads it (exit 0,
ENTER and LEAVE lines); read with python3-otf2, it has one location group per rank named
"rank N", one location per (rank, OpenMP thread) named "rank N thread T" with events; on each
location every Enter has its Leave of the same region, properly nested and in time order; and
each rank's per-label total (kinds region and wait: thread-kind regions are not timers)
agrees with summary.json's timers (within the min..max over ranks, and their mean with "avg")
to 1%."""
import collections
import json
import subprocess
import sys

import otf2

from trace_totals import check_totals

summary = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "out/heat/summary.json"))
path = summary["trace"]["otf2"]
ranks, threads = summary["ranks"], summary["threads"]

printed = subprocess.run(["otf2-print", path], capture_output=True, text=True)
assert printed.returncode == 0, printed.stderr
lines = printed.stdout.splitlines()
assert any(l.startswith("ENTER") for l in lines) and any(l.startswith("LEAVE") for l in lines), "no ENTER/LEAVE"

with otf2.reader.open(path) as r:
    resolution = r.timer_resolution
    groups = {g.name for g in r.definitions.location_groups}
    assert groups == {f"rank {k}" for k in range(ranks)}, groups
    names = [l.name for l in r.definitions.locations]
    want = {f"rank {k} thread {t}" for k in range(ranks) for t in range(threads)}
    assert sorted(names) == sorted(want), names
    for l in r.definitions.locations:
        assert l.group.name == l.name.rsplit(" thread", 1)[0], (l.name, l.group.name)
    stacks = collections.defaultdict(list)
    last = {}
    seen = collections.Counter()
    totals = collections.defaultdict(lambda: [0.0] * ranks)
    counts = collections.defaultdict(lambda: [0] * ranks)
    kinds = {}
    for location, event in r.events:
        key = location.name
        if not isinstance(event, (otf2.events.Enter, otf2.events.Leave)):
            continue
        seen[key] += 1
        assert event.time >= last.get(key, 0), f"{key}: events out of time order"
        last[key] = event.time
        stack = stacks[key]
        if isinstance(event, otf2.events.Enter):
            stack.append(event)
            continue
        assert stack, f"{key}: Leave {event.region.name} without Enter"
        begin = stack.pop()
        assert begin.region == event.region, f"{key}: Leave {event.region.name} closes {begin.region.name}"
        region = event.region
        kinds[region.name] = (region.region_role, region.paradigm)
        if region.paradigm == otf2.Paradigm.OPENMP:  # thread shares are not timers
            continue
        rank = int(key.split()[1])
        totals[region.name][rank] += (event.time - begin.time) / resolution
        counts[region.name][rank] += 1
    for key, stack in stacks.items():
        assert not stack, f"{key}: {len(stack)} regions never left"
    assert set(seen) == want, f"locations with events: {sorted(seen)}"

for name, (role, paradigm) in kinds.items():
    if name.endswith(".wait"):
        assert paradigm == otf2.Paradigm.MPI, (name, paradigm)
timers = summary["timers"]
check_totals(totals, counts, timers, ranks, "archive")
print(f"otf2 ok: {sum(seen.values())} events on {len(seen)} locations, {len(timers)} labels")
