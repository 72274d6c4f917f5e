#!/usr/bin/python3
"""Check that summary.json files from runs at different layouts agree exactly on given keys.

usage: compare_summaries.py KEY[,KEY...] SUMMARY.json SUMMARY.json [...]
Values are compared as parsed JSON (floats written with round-trip precision), so equality
here means the same bits. Also requires every run to have passed its self-check.
"""
import json
import sys


def main():
    keys = sys.argv[1].split(",")
    runs = []
    for path in sys.argv[2:]:
        with open(path) as f:
            runs.append((path, json.load(f)))
    if len(runs) < 2:
        print("need at least two summaries")
        return 1
    failed = False
    for path, s in runs:
        layout = f"{s['ranks']} ranks x {s['threads']} threads"
        print(f"{path}: {layout}: " + ", ".join(f"{k}={s.get(k)!r}" for k in keys))
        if not s.get("passed"):
            print(f"  FAILED: run did not pass its self-check")
            failed = True
    ref_path, ref = runs[0]
    for key in keys:
        if key not in ref:
            print(f"FAILED: {ref_path} has no key {key!r}")
            failed = True
            continue
        for path, s in runs[1:]:
            if s.get(key) != ref[key]:
                print(f"FAILED: {key} differs: {s.get(key)!r} ({path}) vs {ref[key]!r} ({ref_path})")
                failed = True
    layouts = {(s["ranks"], s["threads"]) for _, s in runs}
    if len(layouts) != len(runs):
        print(f"FAILED: runs do not cover distinct layouts: {sorted(layouts)}")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
