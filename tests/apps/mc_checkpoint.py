"""tessera-mc checkpoint/restart under real failures: kill -9 of one rank in the middle of
`ising` and `pi`, SIGUSR1 and --max-wall-time stops of every subcommand, each then continued with
--restart auto on another rank count (and SIGTERM to the ranks for ising); the final estimates, standard errors, convergence tables
and (ising) lattice fingerprint must be bitwise those of an uninterrupted run. A restart with a
changed compatibility key is refused naming it.

usage: mc_checkpoint.py MC MPIEXEC CASE   (CASE: kill9_ising, kill9_pi, stop_ising, stop_pi,
stop_option, stop_ep, sigterm_ranks, changed_key)
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

mc, mpiexec, case = sys.argv[1], sys.argv[2], sys.argv[3]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="PASSIVE")
work = tempfile.mkdtemp(prefix=f"tessera_mc_{case}_")
# Small problems; a test hook sleeps after every checkpoint so that a run lasts a few seconds.
# A step is a sweep (ising) or a wave of 64 blocks (pi, option) or batches (ep).
PROBLEMS = {
    "ising": (["ising", "--cells", "32", "32", "--temperature", "2.4", "--thermalize", "20", "--sweeps", "200",
               "--seed", "5"], 20,
              ["estimate", "stderr", "ci95", "abs_magnetization", "specific_heat", "susceptibility", "fingerprint"]),
    "pi": (["pi", "--samples", str(20 * 64 * 4096 - 123), "--seed", "11"], 2, ["estimate", "stderr", "ci95", "convergence"]),
    "option": (["option", "--style", "asian", "--monitoring", "4", "--antithetic", "--samples", str(8 * 64 * 4096)], 1,
               ["estimate", "stderr", "ci95", "geometric", "variance_reduction", "convergence"]),
    "ep": (["ep", "--class", "W"], 1, ["sx", "sy", "q"]),
}
SLEEP = {"TESSERA_TEST_SLEEP_AFTER_CHECKPOINT": "0.4"}


def command(np_, args, out):
    return [mpiexec, "-np", str(np_), "--bind-to", "none", "-x", "OMP_NUM_THREADS=1", mc] + args + [
        "--output", os.path.join(work, out)]


def run(np_, args, out, expect=0, extra_env=None):
    cmd = command(np_, args, out)
    r = subprocess.run(cmd, env=dict(env, **(extra_env or {})), capture_output=True, text=True, timeout=120)
    print(f"$ {' '.join(cmd)}  -> exit {r.returncode}")
    if r.returncode != expect:
        sys.exit(f"FAILED: expected exit {expect}, got {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def summary(out):
    with open(os.path.join(work, out, "summary.json")) as f:
        return json.load(f)


def chk(out, step):
    return os.path.join(work, out, "checkpoints", f"chk_{step:09d}.h5")


def expect(cond, what):
    if not cond:
        sys.exit(f"FAILED: {what}")
    print(f"ok: {what}")


def same_bits(out, ref, keys, what):
    a, b = summary(out), summary(ref)
    diff = [k for k in keys if a.get(k) != b.get(k)]
    expect(not diff and a["completed"] is True, f"{what}: {', '.join(keys)} bitwise identical (differ: {diff})")


def wait_for(proc, ready, what, limit=60):
    t0 = time.monotonic()
    while not ready():
        if proc.poll() is not None:
            sys.exit(f"FAILED: the run ended ({proc.returncode}) before {what}")
        if time.monotonic() - t0 > limit:
            proc.kill()
            sys.exit(f"FAILED: timed out waiting for {what}")
        time.sleep(0.01)


def children(pid):
    r = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]


if case.startswith("kill9_"):
    sub = case.split("_")[1]
    args, every, keys = PROBLEMS[sub]
    args = args + ["--checkpoint-every", str(every)]
    np_ref, np_run, np_restart = (4, 2, 1) if sub == "ising" else (1, 4, 2)
    run(np_ref, args, "ref")
    proc = subprocess.Popen(command(np_run, args, "run"), env=dict(env, **SLEEP),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(proc, lambda: os.path.exists(chk("run", 2 * every)), "checkpoint 2")
    ranks = children(proc.pid)
    expect(len(ranks) == np_run, f"{np_run} ranks running")
    os.kill(ranks[-1], signal.SIGKILL)  # one rank dies; Open MPI ends the others
    proc.wait(timeout=60)
    expect(proc.returncode != 0 and not os.path.exists(os.path.join(work, "run", "summary.json")),
           f"killing one rank with SIGKILL ended the run (exit {proc.returncode}), no summary")
    r = run(np_restart, args + ["--restart", "auto"], "run")
    s = summary("run")
    expect(s["restarted_from"]["step"] >= 2 * every and s["ranks"] == np_restart,
           f"restarted at step {s['restarted_from']['step']} on {np_restart} ranks")
    same_bits("run", "ref", keys, f"{np_ref} ranks vs {np_run} killed -> {np_restart} ranks")

elif case.startswith("stop_"):
    sub = case.split("_")[1]
    args, every, keys = PROBLEMS[sub]
    args = args + ["--checkpoint-every", str(every)]
    run(2, args, "ref")
    # SIGUSR1 to mpirun (forwarded to every rank) after the first checkpoint.
    proc = subprocess.Popen(command(1, args, "usr1"), env=dict(env, **SLEEP), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for(proc, lambda: os.path.exists(chk("usr1", every)), "the first checkpoint")
    proc.send_signal(signal.SIGUSR1)
    out, err = proc.communicate(timeout=60)
    expect(proc.returncode == 0, f"exit 0 after SIGUSR1 (got {proc.returncode}) {err[-400:]}")
    s = summary("usr1")
    expect(s["completed"] is False and s["stop_reason"] == "SIGUSR1" and os.path.exists(chk("usr1", s["step"])),
           f"SIGUSR1: completed false at step {s['step']} of {s['steps']}, checkpoint written")
    run(4, args + ["--restart", "auto"], "usr1")
    expect(summary("usr1")["restarted_from"]["step"] == s["step"], "SIGUSR1 run continued on 4 ranks")
    same_bits("usr1", "ref", keys, "SIGUSR1 on 1 rank, --restart auto on 4")
    # --max-wall-time: checkpoint and stop before the limit.
    r = run(2, args + ["--max-wall-time", "2.5"], "wall", extra_env=SLEEP)
    s = summary("wall")
    expect(s["completed"] is False and s["stop_reason"] == "--max-wall-time" and s["wall_seconds"] < 2.5,
           f"--max-wall-time: completed false at step {s['step']} of {s['steps']} after {s['wall_seconds']:.2f} s")
    run(1, args + ["--restart", "auto"], "wall")
    same_bits("wall", "ref", keys, "--max-wall-time on 2 ranks, --restart auto on 1")

elif case == "sigterm_ranks":
    # SIGTERM straight to every rank, as Slurm does at a time limit.
    args, every, keys = PROBLEMS["ising"]
    args = args + ["--checkpoint-every", str(every)]
    run(1, args, "ref")
    proc = subprocess.Popen(command(2, args, "run"), env=dict(env, **SLEEP), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for(proc, lambda: os.path.exists(chk("run", every)), "the first checkpoint")
    ranks = children(proc.pid)
    expect(len(ranks) == 2, "2 ranks running")
    for pid in ranks:
        os.kill(pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    expect(proc.returncode == 0, f"exit 0 after SIGTERM (got {proc.returncode}) {err[-400:]}")
    s = summary("run")
    expect(s["completed"] is False and s["stop_reason"] == "SIGTERM" and s["step"] < s["steps"],
           f"SIGTERM: completed false at step {s['step']} of {s['steps']}")
    run(4, args + ["--restart", "auto"], "run")
    same_bits("run", "ref", keys, "SIGTERM on 2 ranks, --restart auto on 4")

elif case == "changed_key":
    for sub, flag, value, key in [("ising", "--temperature", "2.5", "temperature"), ("pi", "--samples", "5000000", "samples"),
                                  ("ising", "--seed", "6", "seed")]:
        args, every, _ = PROBLEMS[sub]
        out = f"{sub}_{key}"
        run(2, args + ["--checkpoint-every", str(every)], out)
        changed = list(args)
        changed[changed.index(flag) + 1] = value
        r = run(2, changed + ["--restart", "auto"], out, expect=2)
        lines = [l for l in r.stderr.splitlines() if "error:" in l]
        expect(len(lines) == 1 and f"--restart " in lines[0] and f"{key} differs" in lines[0],
               f"{sub} {flag} changed: exit 2, one line naming {key}: {lines}")
    r = run(1, PROBLEMS["pi"][0] + ["--benchmark", "--checkpoint-every", "2"], "bench", expect=2)
    expect("--benchmark runs without --restart" in r.stderr, "--benchmark refuses the checkpoint options")

else:
    sys.exit(f"unknown case {case}")
subprocess.run(["rm", "-rf", work])
print(f"{case}: PASSED")
