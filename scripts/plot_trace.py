#!/usr/bin/python3
"""Timeline picture and per-label summary of a Tessera --trace file (DIR/trace.json).

  /usr/bin/python3 scripts/plot_trace.py TRACE.json [-o timeline.png] [--from MS --to MS] [--steps N]

One row per rank and OpenMP thread ("rank 0", "rank 0 · thread 1", ...), time in ms since the
first event. Each region is a bar coloured by its label; nested regions are thinner bars inside
their parent; waits (labels ending in .wait) are hatched; "thread" events (each thread's share
of a parallel region) lie on their thread's row. --from/--to zoom to a window (ms); --steps N
shows N consecutive instances of the step region (the most frequent outermost region of rank 0,
or --step-label), starting at --from or in the middle of the run. Bars closer than a pixel
are merged, so long traces draw quickly. The output defaults to timeline.png beside the trace.

Prints per label: calls, total time per rank, max/avg imbalance over ranks, and for thread
events the idle fraction 1 - busy / (threads x span of each parallel region instance), the k-th
event of a label on each thread of a rank being the same instance. Bad input: exit 2, one line.
"""
import argparse
import collections
import json
import os
import sys

EPS = 0.002  # microseconds: ts and dur are rounded to the nanosecond
WIDTH_PX, DPI = 1400, 100


class TraceError(Exception):
    pass


def load_trace(path):
    """The complete events of a Chrome trace file, as dicts with name, cat, pid, tid, ts, dur."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise TraceError("no such file")
    except IsADirectoryError:
        raise TraceError("is a directory")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TraceError(f"not JSON ({str(e).splitlines()[0]})")
    except OSError as e:
        raise TraceError(e.strerror or str(e))
    events = doc.get("traceEvents") if isinstance(doc, dict) else doc
    if not isinstance(events, list):
        raise TraceError("not a Chrome trace (no traceEvents list)")
    out = []
    for i, e in enumerate(events):
        if not isinstance(e, dict) or e.get("ph") != "X":
            continue
        try:
            name = str(e["name"])
            ev = {"name": name, "pid": int(e["pid"]), "tid": int(e.get("tid", 0)),
                  "ts": float(e["ts"]), "dur": float(e["dur"]),
                  "cat": e.get("cat") or ("wait" if name.endswith(".wait") else "region")}
        except (KeyError, TypeError, ValueError):
            raise TraceError(f"event {i} is not a complete event with name, pid, ts and dur")
        out.append(ev)
    if not out:
        raise TraceError("no complete (\"ph\": \"X\") events")
    return out


def tracks(events):
    """{(pid, tid): events sorted parents first}, each event given its nesting depth."""
    t = collections.defaultdict(list)
    for e in events:
        t[(e["pid"], e["tid"])].append(e)
    for evs in t.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in evs:
            while stack and e["ts"] >= stack[-1]["ts"] + stack[-1]["dur"] - EPS:
                stack.pop()
            e["depth"] = len(stack)
            stack.append(e)
    return dict(sorted(t.items()))


def label_kinds(events):
    kinds = {}
    for e in events:
        kinds.setdefault(e["name"], e["cat"])
    return kinds


def summarize(events):
    """{label: {kind, calls, per_rank (s), max, avg, imbalance, idle (thread labels)}}."""
    ranks = sorted({e["pid"] for e in events})
    kinds = label_kinds(events)
    totals = collections.defaultdict(lambda: dict.fromkeys(ranks, 0.0))
    calls = collections.defaultdict(lambda: dict.fromkeys(ranks, 0))
    per_thread = collections.defaultdict(lambda: collections.defaultdict(list))  # (label, pid) -> tid -> events
    for e in events:
        totals[e["name"]][e["pid"]] += e["dur"] * 1e-6
        calls[e["name"]][e["pid"]] += 1
        if e["cat"] == "thread":
            per_thread[(e["name"], e["pid"])][e["tid"]].append(e)
    out = {}
    for label in sorted(totals):
        per_rank = [totals[label][r] for r in ranks]
        avg = sum(per_rank) / len(per_rank)
        s = {"kind": kinds[label], "calls": max(calls[label].values()), "per_rank": per_rank,
             "max": max(per_rank), "avg": avg, "imbalance": max(per_rank) / avg if avg > 0 else 1.0}
        if kinds[label] == "thread":
            s["idle"] = [thread_idle(per_thread[(label, r)]) for r in ranks]
        out[label] = s
    return out


def thread_idle(by_tid):
    """1 - busy / (threads x span) over the instances (k-th event on each thread) of one rank."""
    if not by_tid:
        return 0.0
    lists = [sorted(v, key=lambda e: e["ts"]) for v in by_tid.values()]
    busy = capacity = 0.0
    for k in range(max(len(v) for v in lists)):
        inst = [v[k] for v in lists if k < len(v)]
        start = min(e["ts"] for e in inst)
        end = max(e["ts"] + e["dur"] for e in inst)
        busy += sum(e["dur"] for e in inst)
        capacity += len(lists) * (end - start)
    return max(0.0, 1.0 - busy / capacity) if capacity > 0 else 0.0


def format_summary(summary, ranks):
    lines = []
    many = ranks > 8
    head = f"{'label':28s} {'kind':6s} {'calls':>6s} "
    head += f"{'min ms':>10s} {'avg ms':>10s} {'max ms':>10s}" if many else " ".join(f"{'rank ' + str(r) + ' ms':>10s}" for r in range(ranks))
    lines.append(head + f" {'max/avg':>8s}  thread idle")
    for label, s in summary.items():
        ms = [v * 1e3 for v in s["per_rank"]]
        row = f"{label:28s} {s['kind']:6s} {s['calls']:6d} "
        row += f"{min(ms):10.3f} {s['avg'] * 1e3:10.3f} {max(ms):10.3f}" if many else " ".join(f"{v:10.3f}" for v in ms)
        row += f" {s['imbalance']:8.3f}"
        if "idle" in s:
            row += "  " + " ".join(f"{v:.3f}" for v in s["idle"])
        lines.append(row)
    return "\n".join(lines)


def step_window(trk, t0, steps, label=None, start_ms=None):
    """(from_ms, to_ms) covering `steps` consecutive instances of the step region on rank 0."""
    key = min(trk)
    outer = [e for e in trk[key] if e["depth"] == 0]
    if label is None:
        label = collections.Counter(e["name"] for e in outer).most_common(1)[0][0]
    inst = [e for e in outer if e["name"] == label]
    if not inst:
        raise TraceError(f"no step region {label} on rank {key[0]}")
    if start_ms is None:
        first = max(0, (len(inst) - steps) // 2)
    else:
        first = next((i for i, e in enumerate(inst) if (e["ts"] - t0) / 1e3 >= start_ms - 1e-9), len(inst) - 1)
    sel = inst[first:first + steps]
    return (sel[0]["ts"] - t0) / 1e3, (sel[-1]["ts"] + sel[-1]["dur"] - t0) / 1e3


def figure_size(rows, labels):
    """(width, height) in pixels of the picture for this many rows and legend labels."""
    height_in = max(1.6 + 0.55 * rows, 1.0 + 0.24 * labels, 3.0)
    return WIDTH_PX, int(round(height_in * DPI))


def merged(intervals, gap):
    """Sorted (start, end) intervals with those closer than gap joined."""
    out = []
    for s, e in sorted(intervals):
        if out and s - out[-1][1] < gap:
            if e > out[-1][1]:
                out[-1][1] = e
        else:
            out.append([s, e])
    return out


def plot(trk, path_in, out, window, kinds):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    allev = [e for evs in trk.values() for e in evs]
    t0 = min(e["ts"] for e in allev)
    span = (max(e["ts"] + e["dur"] for e in allev) - t0) / 1e3
    lo, hi = window if window else (0.0, span)
    if hi <= lo:
        raise TraceError(f"empty window {lo:g}..{hi:g} ms")
    labels = sorted(kinds)
    cmap = plt.get_cmap("tab20")
    colour = {l: cmap(i % 20) for i, l in enumerate(labels)}
    keys = list(trk)
    w, h = figure_size(len(keys), len(labels))
    fig = plt.figure(figsize=(w / DPI, h / DPI), dpi=DPI)
    ax = fig.add_axes([0.115, 0.6 / (h / DPI), 0.685, 1 - 1.0 / (h / DPI)])
    gap = (hi - lo) / (0.685 * w)  # one pixel in ms
    names = []
    for row, key in enumerate(keys):
        names.append(f"rank {key[0]}" if key[1] == 0 else f"rank {key[0]} · thread {key[1]}")
        groups = collections.defaultdict(list)
        for e in trk[key]:
            s, x = (e["ts"] - t0) / 1e3, (e["ts"] + e["dur"] - t0) / 1e3
            if x < lo or s > hi:
                continue
            groups[(e["depth"], e["name"])].append((max(s, lo), min(x, hi)))
        for (depth, label), iv in sorted(groups.items()):
            height = 0.8 * 0.7 ** depth
            bars = [(s, max(e - s, gap * 0.5)) for s, e in merged(iv, gap)]
            wait = kinds[label] == "wait"
            ax.broken_barh(bars, (row - height / 2, height), facecolors=colour[label],
                           edgecolor="black" if wait else "none", linewidth=0,
                           hatch="//" if wait else None, zorder=2 + depth)
    ax.set_yticks(range(len(keys)), names)
    ax.set_ylim(len(keys) - 0.5, -0.5)
    ax.set_xlim(lo, hi)
    ax.ticklabel_format(axis="x", useOffset=False, style="plain")
    ax.set_xlabel("time since the first event (ms)")
    ax.grid(axis="x", alpha=0.3, zorder=0)
    ranks = len({k[0] for k in keys})
    threads = max(k[1] for k in keys) + 1
    title = f"{os.path.basename(path_in)}: {ranks} ranks x {threads} threads, span {span:.3f} ms"
    if window:
        title += f" (showing {lo:.3f}-{hi:.3f} ms)"
    ax.set_title(title, fontsize=10)
    handles = [Patch(facecolor=colour[l], hatch="//" if kinds[l] == "wait" else None,
                     edgecolor="black" if kinds[l] == "wait" else colour[l],
                     label=l + (" (thread share)" if kinds[l] == "thread" else "")) for l in labels]
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.81, 0.5), fontsize=8, frameon=False)
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(prog="plot_trace.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("trace", help="trace.json written by --trace DIR")
    p.add_argument("-o", "--output", help="PNG to write (default: timeline.png beside the trace)")
    p.add_argument("--from", dest="start", type=float, metavar="MS", help="window start (ms since the first event)")
    p.add_argument("--to", dest="end", type=float, metavar="MS", help="window end (ms)")
    p.add_argument("--steps", type=int, metavar="N", help="show N consecutive steps (instances of the step region)")
    p.add_argument("--step-label", metavar="LABEL", help="the step region (default: most frequent outermost region of rank 0)")
    p.add_argument("--no-summary", action="store_true", help="do not print the per-label summary")
    a = p.parse_args(argv)
    if a.steps is not None and a.steps < 1:
        p.error("--steps must be at least 1")
    try:
        events = load_trace(a.trace)
        trk = tracks(events)
        kinds = label_kinds(events)
        t0 = min(e["ts"] for e in events)
        span = (max(e["ts"] + e["dur"] for e in events) - t0) / 1e3
        window = None
        if a.steps:
            window = step_window(trk, t0, a.steps, a.step_label, a.start)
            if a.end is not None:
                window = (window[0], a.end)
        elif a.start is not None or a.end is not None:
            window = (a.start if a.start is not None else 0.0, a.end if a.end is not None else span)
        out = a.output or os.path.join(os.path.dirname(os.path.abspath(a.trace)), "timeline.png")
        if not a.no_summary:
            ranks = len({e["pid"] for e in events})
            print(f"{a.trace}: {ranks} ranks, {len(trk)} tracks, {len(events)} events, span {span:.3f} ms")
            print(format_summary(summarize(events), ranks))
        plot(trk, a.trace, out, window, kinds)
        print(f"wrote {out}")
    except TraceError as e:
        print(f"plot_trace.py: error: {a.trace}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"plot_trace.py: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
