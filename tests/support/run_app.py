#!/usr/bin/python3
"""Run a tessera app under mpirun in a fresh work directory and check what it did.

Checks: exit code, regexes that stdout/stderr must match, exact counts of lines matching a
regex (stdout and stderr together), files that must exist, a path that must not exist, the
wall time, and an optional Python check script run afterwards in the work directory.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--np", type=int, default=1, help="ranks; 0 runs the command without mpirun")
    p.add_argument("--mpiexec", default="mpiexec")
    p.add_argument("--exit", default="0", help="expected exit code, or 'nonzero'")
    p.add_argument("--workdir", required=True)
    p.add_argument("--stdout", action="append", default=[])
    p.add_argument("--stderr", action="append", default=[])
    p.add_argument("--stderr-count", action="append", default=[],
                   help="REGEX=N: exactly N lines of stdout+stderr match REGEX")
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--no-output", default=None)
    p.add_argument("--max-seconds", type=float, default=None)
    p.add_argument("--check-script", action="append", default=[],
                   help="a Python script run after the run (repeatable, in order)")
    p.add_argument("--setup-file", action="append", default=[],
                   help="create this (empty) file in the work directory before the run")
    p.add_argument("--attempts", type=int, default=1,
                   help="runs allowed for a timing check on a shared machine: the first that passes wins")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.command[1:] if a.command and a.command[0] == "--" else a.command
    for attempt in range(1, a.attempts + 1):
        errors = run_and_check(a, cmd)
        for e in errors:
            print("CHECK FAILED:", e)
        if not errors:
            return 0
        if attempt < a.attempts:
            print(f"--- attempt {attempt} of {a.attempts} failed; running again ---", flush=True)
    return 1


def run_and_check(a, cmd):
    shutil.rmtree(a.workdir, ignore_errors=True)
    os.makedirs(a.workdir)
    for f in a.setup_file:
        path = os.path.join(a.workdir, f)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()
    full = cmd if a.np == 0 else [a.mpiexec, "-np", str(a.np)] + cmd
    print("run:", " ".join(full), flush=True)
    t0 = time.monotonic()
    r = subprocess.run(full, cwd=a.workdir, capture_output=True, text=True)
    elapsed = time.monotonic() - t0
    sys.stdout.write("--- stdout ---\n" + r.stdout + "--- stderr ---\n" + r.stderr)
    print(f"--- exit {r.returncode} after {elapsed:.2f} s ---")

    errors = []
    if a.exit == "nonzero":
        if r.returncode == 0:
            errors.append("expected a non-zero exit code, got 0")
    elif r.returncode != int(a.exit):
        errors.append(f"expected exit code {a.exit}, got {r.returncode}")
    for rx in a.stdout:
        if not re.search(rx, r.stdout, re.M):
            errors.append(f"stdout does not match /{rx}/")
    for rx in a.stderr:
        if not re.search(rx, r.stderr, re.M):
            errors.append(f"stderr does not match /{rx}/")
    lines = (r.stdout + "\n" + r.stderr).splitlines()
    for spec in a.stderr_count:
        rx, n = spec.rsplit("=", 1)
        got = sum(1 for line in lines if re.search(rx, line))
        if got != int(n):
            errors.append(f"{got} lines match /{rx}/, expected {n}")
    for f in a.file:
        if not os.path.exists(os.path.join(a.workdir, f)):
            errors.append(f"missing output file {f}")
    if a.no_output and os.path.exists(os.path.join(a.workdir, a.no_output)):
        errors.append(f"{a.no_output} exists but the run must not write it")
    if a.max_seconds is not None and elapsed > a.max_seconds:
        errors.append(f"took {elapsed:.1f} s, limit {a.max_seconds} s")
    for script in a.check_script:
        if errors:
            break
        c = subprocess.run([sys.executable, script], cwd=a.workdir)
        if c.returncode != 0:
            errors.append(f"check script {script} failed ({c.returncode})")
    return errors


if __name__ == "__main__":
    sys.exit(main())
