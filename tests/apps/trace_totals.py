"""Shared by check_trace.py and check_otf2.py: a trace's per-rank totals and counts per label
against summary.json's timers."""


def check_totals(totals, counts, timers, ranks, source):
    """totals[label][rank]: seconds in the label's regions; counts[label][rank]: how many.
    Every timer label is in the trace and nothing else is; each rank's total lies within the
    timers' min..max and their mean matches "avg" (1%); the most regions on one rank is
    "calls"."""
    assert set(totals) == set(timers), (sorted(totals), sorted(timers))
    for label, t in timers.items():
        tol = 0.01 * t["max"] + 1e-6
        per_rank = totals[label]
        for rank, s in enumerate(per_rank):
            assert t["min"] - tol <= s <= t["max"] + tol, f"{label} rank {rank}: {source} {s} s, timers {t}"
        mean = sum(per_rank) / ranks
        assert abs(mean - t["avg"]) <= 0.01 * t["avg"] + 1e-6, f"{label}: {source} mean {mean} s, avg {t['avg']}"
        assert max(counts[label]) == t["calls"], f"{label}: {counts[label]} in the {source}, {t['calls']} calls"
