"""tessera-mc ising temperature sweeps (--temperature START:STOP:COUNT) under real conditions.

usage: mc_sweep.py MC MPIEXEC CASE
  same_bytes CSV...  every ising_sweep.csv given is byte-identical to the first (layout runs)
  onsager            L = 32, T = 1.0 ... 2.0: |M| within 5 batch-means errors plus a finite-size
                     allowance of Onsager's exact curve, computed here independently
  resume_failed      a temperature fails (test hook) under --on-error stop; --resume on another
                     rank count re-runs only the unfinished ones and writes the reference bytes
  resume_killed      SIGKILL of one rank half-way; --resume re-runs only what the journal lacks
  on_error_continue  a failed temperature under --on-error continue: the others finish, exit 1,
                     summary.json lists the failure; a resume with other options is refused
"""
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time

mc, mpiexec, case = sys.argv[1], sys.argv[2], sys.argv[3]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="PASSIVE")
work = tempfile.mkdtemp(prefix=f"tessera_mc_sweep_{case}_")
SWEEP = ["ising", "--cells", "16", "16", "--temperature", "1.5:3.5:8", "--sweeps", "200", "--thermalize", "50",
         "--seed", "9"]


def expect(cond, what):
    if not cond:
        sys.exit(f"FAILED: {what}")
    print(f"ok: {what}")


def command(np_, args, out, threads=1):
    return [mpiexec, "-np", str(np_), "--bind-to", "none", "-x", f"OMP_NUM_THREADS={threads}", mc] + args + [
        "--output", os.path.join(work, out)]


def run(np_, args, out, expect_exit=0, extra_env=None):
    cmd = command(np_, args, out)
    t0 = time.monotonic()
    r = subprocess.run(cmd, env=dict(env, **(extra_env or {})), capture_output=True, text=True, timeout=120)
    print(f"$ {' '.join(cmd)}  -> exit {r.returncode} ({time.monotonic() - t0:.2f} s)")
    if r.returncode != expect_exit:
        sys.exit(f"FAILED: expected exit {expect_exit}, got {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def summary(out):
    with open(os.path.join(work, out, "summary.json")) as f:
        return json.load(f)


def csv_bytes(out):
    with open(os.path.join(work, out, "ising_sweep.csv"), "rb") as f:
        return f.read()


def journal_done(out):
    """The indices the journal lists as finished (`done 0-3,5` or `done none`)."""
    try:
        with open(os.path.join(work, out, "ising_sweep.journal")) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return set()
    done = set()
    for line in lines:
        if line.startswith("done ") and line != "done none":
            for part in line[5:].split(","):
                lo, _, hi = part.partition("-")
                done.update(range(int(lo), int(hi or lo) + 1))
    return done


def children(pid):
    r = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]


if case == "same_bytes":
    files = sys.argv[4:]
    blobs = [open(f, "rb").read() for f in files]
    for f, b in zip(files, blobs):
        rows = b.count(b"\n") - 1
        print(f"{f}: {len(b)} bytes, {rows} temperatures")
    expect(len(blobs) >= 2 and blobs[0].startswith(b"temperature,abs_magnetization,"), "CSV files with the header")
    expect(all(b == blobs[0] for b in blobs), "every layout wrote the same ising_sweep.csv bytes")

elif case == "onsager":
    L = 32
    run(2, ["ising", "--cells", str(L), str(L), "--temperature", "1.0:2.0:5", "--sweeps", "4000", "--thermalize", "200"],
        "onsager")
    rows = csv_bytes("onsager").decode().splitlines()
    header = rows[0].split(",")
    expect(len(rows) == 6, "five temperatures")
    for line in rows[1:]:
        r = dict(zip(header, map(float, line.split(","))))
        T = r["temperature"]
        K = 1.0 / T
        exact = (1.0 - math.sinh(2.0 * K) ** -4) ** 0.125
        # Below Tc the exact correlation length is 1 / xi = 2 (2K - ln coth K): 1.1 sites at
        # T = 1.5, 2.2 at T = 2.0. On a periodic L x L lattice <|M|> differs from the
        # spontaneous magnetization by terms of order exp(-L / xi) (5e-7 at T = 2.0, L = 32),
        # far below the statistical error (about 1e-3), so the allowance 10 exp(-L / xi) is
        # generous and still negligible.
        xi = 1.0 / (2.0 * (2.0 * K - math.log(1.0 / math.tanh(K))))
        allowance = 10.0 * math.exp(-L / xi)
        dist = abs(r["abs_magnetization"] - exact)
        err = r["abs_magnetization_error"]
        expect(abs(r["onsager_magnetization"] - exact) < 1e-12, f"T = {T}: the CSV's Onsager |M| {exact:.12f}")
        expect(0 < err < 0.01 and dist <= 5 * err + allowance,
               f"T = {T}: |M| = {r['abs_magnetization']:.6f} +- {err:.2g}, Onsager {exact:.6f}, "
               f"{dist / err:.2f} errors apart (xi = {xi:.2f}, allowance {allowance:.1g})")

elif case == "resume_failed":
    ref = run(2, SWEEP, "ref")
    # Temperature 3 fails on 1 rank under --on-error stop: 0-2 are done, 4-7 never start.
    r = run(1, SWEEP + ["--on-error", "stop"], "run", expect_exit=1, extra_env={"TESSERA_TEST_FAIL_TASK": "3"})
    s = summary("run")
    t = s["tasks"]
    expect(t["completed"] == 3 and t["not_run"] == 4 and t["stopped"] and s["passed"] is False and
           [f["index"] for f in t["failed"]] == [3] and "test hook" in t["failed"][0]["message"],
           f"stopped at the failure: {t['completed']} completed, failed {t['failed']}, {t['not_run']} not run")
    expect(journal_done("run") == {0, 1, 2}, f"the journal lists 0-2 ({sorted(journal_done('run'))})")
    expect(csv_bytes("run").count(b"\n") == 4, "the partial CSV holds the three finished rows")
    r = run(4, SWEEP + ["--resume"], "run")
    t = summary("run")["tasks"]
    expect(t["skipped"] == 3 and t["completed"] == 5 and not t["failed"],
           f"--resume on 4 ranks skipped {t['skipped']} and re-ran only the {t['completed']} unfinished")
    expect(csv_bytes("run") == csv_bytes("ref"), "resumed CSV bytes == uninterrupted CSV bytes")
    r = run(2, SWEEP + ["--resume"], "run")
    t = summary("run")["tasks"]
    expect(t["skipped"] == 8 and t["completed"] == 0 and csv_bytes("run") == csv_bytes("ref"),
           "a second --resume runs nothing and writes the same bytes")

elif case == "resume_killed":
    run(1, SWEEP, "ref")
    # Each temperature pauses 0.6 s (test hook), so the sweep lasts 2.4 s on 2 ranks and the
    # journal (rewritten at most once a second) first lists a few: kill one rank then.
    proc = subprocess.Popen(command(2, SWEEP, "run"), env=dict(env, TESSERA_TEST_SLEEP_IN_TASK="0.6"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while not journal_done("run"):
        if proc.poll() is not None or time.monotonic() - t0 > 60:
            proc.kill()
            sys.exit("FAILED: the sweep ended or stalled before the journal listed a temperature")
        time.sleep(0.02)
    ranks = children(proc.pid)
    expect(len(ranks) == 2, "2 ranks running")
    os.kill(ranks[-1], signal.SIGKILL)  # one rank dies; Open MPI ends the other
    proc.wait(timeout=60)
    done = journal_done("run")
    expect(proc.returncode != 0 and not os.path.exists(os.path.join(work, "run", "summary.json")) and len(done) < 8,
           f"SIGKILL ended the sweep (exit {proc.returncode}) with {sorted(done)} in the journal")
    run(1, SWEEP + ["--resume"], "run")
    t = summary("run")["tasks"]
    expect(t["skipped"] == len(done) and t["completed"] == 8 - len(done),
           f"--resume skipped the {len(done)} journaled temperatures and re-ran {t['completed']}")
    expect(csv_bytes("run") == csv_bytes("ref"), "killed + resumed CSV bytes == uninterrupted CSV bytes")

elif case == "on_error_continue":
    r = run(2, SWEEP + ["--on-error", "continue"], "run", expect_exit=1, extra_env={"TESSERA_TEST_FAIL_TASK": "5"})
    s = summary("run")
    t = s["tasks"]
    expect(t["completed"] == 7 and not t["stopped"] and t["not_run"] == 0 and
           [(f["index"], f["temperature"]) for f in t["failed"]] == [(5, s["sweep"]["temperatures"][5])],
           f"the others ran: {t['completed']} completed, failed {t['failed']}")
    expect(sum("warning: temperature 5" in line for line in r.stderr.splitlines()) == 1,
           "one warning names the failed temperature")
    expect(csv_bytes("run").count(b"\n") == 8, "the CSV holds the seven finished rows")
    r = run(2, [a if a != "200" else "300" for a in SWEEP] + ["--resume"], "run", expect_exit=2)
    lines = [line for line in r.stderr.splitlines() if "error:" in line]
    expect(len(lines) == 1 and "ising_sweep.journal" in lines[0] and "another run" in lines[0],
           f"a resume with another --sweeps is refused naming the journal: {lines}")
    run(1, SWEEP + ["--resume"], "run")
    t = summary("run")["tasks"]
    expect(t["skipped"] == 7 and t["completed"] == 1, "--resume re-ran only the failed temperature")

else:
    sys.exit(f"unknown case {case}")
subprocess.run(["rm", "-rf", work])
print(f"{case}: PASSED")
