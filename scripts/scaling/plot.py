#!/usr/bin/python3
"""Speed-up and parallel efficiency against the ideal, from a sweep CSV (sweep.sh/collect.py).

  /usr/bin/python3 scripts/scaling/plot.py SWEEP.csv [--output PNG] [--title TEXT] [--table]

Per layout (ranks x threads) it takes the median over repeated runs of the rate (work per
second, from summary.json; 1 / wall_seconds when a run reports no rate). Speed-up is the rate
over the rate of the smallest layout, scaled by its worker count; for weak scaling the work
grows with the workers, so the same ratio is the scaled speed-up. Efficiency = speed-up /
workers. --table prints the Markdown table docs/performance.md uses.
"""
import argparse
import csv
import os
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    runs = defaultdict(list)
    bound = defaultdict(list)
    meta = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            key = (int(r["ranks"]), int(r["threads"]))
            rate = float(r["rate"]) if r["rate"] else 1.0 / float(r["wall_seconds"])
            runs[key].append(rate)
            if r.get("bound_ratio"):
                bound[key].append(float(r["bound_ratio"]))
            meta = {"app": r["app"], "mode": r["mode"], "unit": r["rate_unit"] or "runs/s"}
            meta.setdefault("over", set())
            if r.get("oversubscribed") == "1":
                meta["over"].add(key)
    if not runs:
        sys.exit(f"plot.py: {path} has no runs")
    meta["bound"] = bound
    return runs, meta


def summarize(runs):
    layouts = sorted(runs, key=lambda k: (k[0] * k[1], k[0]))
    base = layouts[0]
    base_rate = statistics.median(runs[base]) / (base[0] * base[1])
    out = []
    for k in layouts:
        med = statistics.median(runs[k])
        w = k[0] * k[1]
        speedup = med / base_rate
        out.append({"layout": f"{k[0]}x{k[1]}", "ranks": k[0], "threads": k[1], "workers": w,
                    "rate": med, "min": min(runs[k]), "max": max(runs[k]), "n": len(runs[k]),
                    "speedup": speedup, "efficiency": speedup / w})
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("csv")
    p.add_argument("--output", help="PNG path (default: next to the CSV, scaling.png)")
    p.add_argument("--title")
    p.add_argument("--table", action="store_true", help="print a Markdown table")
    a = p.parse_args()
    runs, meta = load(a.csv)
    rows = summarize(runs)
    output = a.output or os.path.join(os.path.dirname(a.csv), "scaling.png")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    wmax = max(r["workers"] for r in rows)
    ideal = range(1, wmax + 1)
    ax1.plot(ideal, ideal, "k--", label="ideal")
    ax2.axhline(1.0, color="k", ls="--", label="ideal")
    styles = {"serial": ("D", "k", "1 rank x 1 thread"), "threads": ("s", "tab:orange", "1 rank x T threads"),
              "ranks": ("o", "tab:blue", "R ranks x 1 thread"), "hybrid": ("^", "tab:green", "R ranks x T threads")}
    seen = []
    for r in rows:
        kind = ("serial" if r["workers"] == 1 else "threads" if r["ranks"] == 1
                else "ranks" if r["threads"] == 1 else "hybrid")
        marker, color, _ = styles[kind]
        if kind not in seen:
            seen.append(kind)
        err = [[r["speedup"] * (1 - r["min"] / r["rate"])], [r["speedup"] * (r["max"] / r["rate"] - 1)]]
        ax1.errorbar(r["workers"], r["speedup"], yerr=err, fmt=marker, color=color, capsize=3)
        ax2.plot(r["workers"], r["efficiency"], marker, color=color)
        for ax, y in ((ax1, r["speedup"]), (ax2, r["efficiency"])):
            ax.annotate(r["layout"], (r["workers"], y), textcoords="offset points", xytext=(6, -3), fontsize=8)
    for kind in seen:
        marker, color, label = styles[kind]
        ax1.plot([], [], marker, color=color, label=label)
    ax1.set_xlabel("workers (ranks x threads)")
    ax1.set_ylabel("speed-up" if meta["mode"] == "strong" else "scaled speed-up")
    ax1.set_xticks(list(ideal))
    ax1.legend(fontsize=8)
    ax2.set_xlabel("workers (ranks x threads)")
    ax2.set_ylabel("parallel efficiency")
    ax2.set_xticks(list(ideal))
    ax2.set_ylim(0, max(1.2, max(r["efficiency"] for r in rows) * 1.1))
    fig.suptitle(a.title or f"{meta['app']}: {meta['mode']} scaling (median rate, bars: min-max)")
    fig.savefig(output, dpi=110)
    print(f"wrote {output}")

    if a.table:
        bound = meta["bound"]
        extra = " rate / memory bound |" if bound else ""
        print(f"\n| layout (ranks x threads) | runs | median rate ({meta['unit']}) | min | max | speed-up | efficiency |{extra}")
        print("|---|---|---|---|---|---|---|" + ("---|" if bound else ""))
        for r in rows:
            key = (r["ranks"], r["threads"])
            flag = " (oversubscribed)" if key in meta["over"] else ""
            cell = f" {statistics.median(bound[key]):.2f} |" if bound.get(key) else (" |" if bound else "")
            print(f"| {r['layout']}{flag} | {r['n']} | {r['rate']:.4g} | {r['min']:.4g} | {r['max']:.4g} "
                  f"| {r['speedup']:.2f} | {r['efficiency']:.2f} |{cell}")


if __name__ == "__main__":
    main()
