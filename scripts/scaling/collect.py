#!/usr/bin/env python3
"""Collects the summary.json of every run under the given folders into one CSV on stdout.

  collect.py [--mode strong|weak] [--cores N] DIR...

Each row: app, mode, ranks, threads, workers (= ranks x threads), oversubscribed, run (the
folder name), wall_seconds, rate, rate_unit, bound_ratio (the rate over the memory bound
measured in the same run, when the app reports it: comparable on a loaded machine), check_passed, completed, and the avg of the
slowest-on-average timer. Works for any tessera app (DESIGN.md section 7 fixes the summary
fields) and for job-array sweeps (scripts/slurm/array.sbatch): every folder holding a
summary.json is one run.
"""
import argparse
import csv
import json
import os
import sys

FIELDS = ["app", "mode", "ranks", "threads", "workers", "oversubscribed", "run", "wall_seconds",
          "rate", "rate_unit", "bound_ratio", "check_passed", "completed", "top_timer", "top_timer_avg"]


def rows(dirs, mode, cores):
    for top in dirs:
        for root, _, files in sorted(os.walk(top)):
            if "summary.json" not in files:
                continue
            with open(os.path.join(root, "summary.json")) as f:
                s = json.load(f)
            ranks, threads = int(s.get("ranks", 1)), int(s.get("threads", 1))
            rate = s.get("rate") or {}
            timers = s.get("timers") or {}
            top_name, top_avg = "", ""
            if timers:
                top_name = max(timers, key=lambda k: timers[k].get("avg", 0.0))
                top_avg = timers[top_name].get("avg", "")
            check = s.get("check") or {}
            yield {
                "app": s.get("app", ""), "mode": mode, "ranks": ranks, "threads": threads,
                "workers": ranks * threads,
                "oversubscribed": int(bool(cores) and ranks * threads > cores),
                "run": os.path.relpath(root, top), "wall_seconds": s.get("wall_seconds", ""),
                "rate": rate.get("value", ""), "rate_unit": rate.get("unit", ""),
                "bound_ratio": rate.get("ratio_to_plain_store_bound", ""),
                "check_passed": check.get("passed", ""), "completed": s.get("completed", ""),
                "top_timer": top_name, "top_timer_avg": top_avg,
            }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dirs", nargs="+")
    p.add_argument("--mode", default="strong", choices=["strong", "weak"])
    p.add_argument("--cores", type=int, default=0, help="cores per node (marks oversubscribed runs)")
    a = p.parse_args()
    w = csv.DictWriter(sys.stdout, fieldnames=FIELDS)
    w.writeheader()
    n = 0
    for r in rows(a.dirs, a.mode, a.cores):
        w.writerow(r)
        n += 1
    if n == 0:
        sys.exit(f"collect.py: no summary.json under {' '.join(a.dirs)}")


if __name__ == "__main__":
    main()
