"""tessera-cg checkpoint/restart under real failures: kill -9 of one rank in the middle of a
solve, then --restart auto on other rank counts; SIGUSR1 and --max-wall-time (checkpoint,
exit 0, completed false, then --restart auto); restarts of another problem or of another app
refused. Each completed restart is compared with an uninterrupted run: the residual history
(summary.json) and the solution (OUTPUT/solution.h5) must be bitwise identical.

usage: cg_checkpoint.py CG MPIEXEC CASE [HEAT]   (CASE: kill9_from4, kill9_from1, sigusr1,
max_wall_time, bad_input, mg_resume, heat_checkpoint; HEAT: tessera-heat, for heat_checkpoint)
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py

cg, mpiexec, case = sys.argv[1], sys.argv[2], sys.argv[3]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="PASSIVE")
work = tempfile.mkdtemp(prefix=f"tessera_cg_{case}_")
# 64^3 unknowns without a preconditioner: 264 iterations to 1e-10, a few seconds on 1 to 4
# ranks of these machines; a checkpoint (x, r, p: 6 MB) every 50 iterations.
PROBLEM = ["--dim", "3", "--cells", "64", "64", "64", "--tol", "1e-10"]
ITERATIONS = 264
SHAPE = (64, 64, 64)
EVERY = ["--checkpoint-every", "50"]


def command(np_, args, out, exe=None, threads=1):
    return [mpiexec, "-np", str(np_), "--bind-to", "none", "-x", f"OMP_NUM_THREADS={threads}", exe or cg,
            "--output", os.path.join(work, out)] + args


def run(np_, args, out, expect=0, threads=1):
    cmd = command(np_, args, out, threads=threads)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    print(f"$ {' '.join(cmd)}  -> exit {r.returncode}")
    if r.returncode != expect:
        sys.exit(f"FAILED: expected exit {expect}, got {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def summary(out):
    with open(os.path.join(work, out, "summary.json")) as f:
        return json.load(f)


def solution(out):
    with h5py.File(os.path.join(work, out, "solution.h5"), "r") as f:
        return f["x"][...]


def chk(out, step):
    return os.path.join(work, out, "checkpoints", f"chk_{step:09d}.h5")


def expect(cond, what):
    if not cond:
        sys.exit(f"FAILED: {what}")
    print(f"ok: {what}")


def same_answer(out, ref, what):
    s, r = summary(out), summary(ref)
    expect(s["completed"] is True and s["converged"] is True and s["check"]["passed"] is True,
           f"{what}: completed, converged, self-check passed")
    expect(s["iterations"] == r["iterations"] and s["residual_history"] == r["residual_history"],
           f"{what}: residual history bitwise identical ({s['iterations']} iterations)")
    expect(s["condition"] == r["condition"] and s["condition"]["iterations"] == r["iterations"],
           f"{what}: the condition estimate covers the whole solve, bitwise ({s['condition']})")
    a, b = solution(out), solution(ref)
    expect(a.shape == b.shape and a.tobytes() == b.tobytes(), f"{what}: solution bitwise identical")


def children(pid):
    r = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]


def wait_for(proc, ready, what, limit=60):
    t0 = time.monotonic()
    while not ready():
        if proc.poll() is not None:
            sys.exit(f"FAILED: the run ended ({proc.returncode}) before {what}")
        if time.monotonic() - t0 > limit:
            proc.kill()
            sys.exit(f"FAILED: timed out waiting for {what}")
        time.sleep(0.01)


def kill9_one_rank(np_, out):
    """Starts the solve on np_ ranks, SIGKILLs the last rank once checkpoint 100 exists (a
    node crash in the middle of the solve); mpirun then ends the others."""
    proc = subprocess.Popen(command(np_, PROBLEM + EVERY, out), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(proc, lambda: os.path.exists(chk(out, 100)), "checkpoint 100")
    ranks = children(proc.pid)
    expect(len(ranks) == np_, f"{np_} ranks running")
    os.kill(max(ranks), signal.SIGKILL)
    proc.wait(timeout=60)
    expect(proc.returncode != 0, f"mpirun failed after kill -9 of one rank (exit {proc.returncode})")
    expect(not os.path.exists(os.path.join(work, out, "summary.json"))
           and not os.path.exists(os.path.join(work, out, "solution.h5")),
           "the killed run wrote no summary and no solution")
    done = sorted(int(m.group(1)) for f in os.listdir(os.path.join(work, out, "checkpoints"))
                  if (m := re.fullmatch(r"chk_(\d{9})\.h5", f)))
    expect(done and 100 <= done[-1] < ITERATIONS, f"killed mid-solve: checkpoints at iterations {done}")
    return done[-1]


def resume(np_, killed, out, step, threads=1):
    shutil.copytree(os.path.join(work, killed), os.path.join(work, out))
    r = run(np_, PROBLEM + EVERY + ["--restart", "auto"], out, threads=threads)
    expect(re.search(rf"restarting from \S*chk_{step:09d}\.h5 at step {step}\b", r.stdout),
           f"{out}: restarted on {np_} ranks x {threads} threads at iteration {step}")
    expect(summary(out)["restarted_from"]["step"] == step, f"{out}: summary names the restart")


if case == "kill9_from4":
    run(2, PROBLEM, "ref")
    expect(summary("ref")["iterations"] == ITERATIONS, f"reference: {ITERATIONS} iterations on 2 ranks")
    step = kill9_one_rank(4, "killed")
    for np_, threads in ((1, 1), (2, 2)):
        resume(np_, "killed", f"np{np_}", step, threads)
        same_answer(f"np{np_}", "ref", f"kill -9 on 4 ranks, --restart auto on {np_} x {threads} threads")

elif case == "kill9_from1":
    run(2, PROBLEM, "ref")
    step = kill9_one_rank(1, "killed")
    resume(4, "killed", "np4", step)
    same_answer("np4", "ref", "kill -9 on 1 rank, --restart auto on 4")

elif case == "sigusr1":
    run(1, PROBLEM, "ref")
    proc = subprocess.Popen(command(2, PROBLEM + EVERY, "run"), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for(proc, lambda: os.path.exists(chk("run", 50)), "checkpoint 50")
    proc.send_signal(signal.SIGUSR1)  # mpirun forwards it to every rank
    out, err = proc.communicate(timeout=60)
    print(out, err)
    expect(proc.returncode == 0, f"exit code 0 after SIGUSR1 (got {proc.returncode})")
    s = summary("run")
    step = s["step"]
    expect(s["completed"] is False and s["stop_reason"] == "SIGUSR1" and 50 <= step < ITERATIONS
           and s["iterations"] == step and len(s["residual_history"]) == step + 1,
           f"summary: completed false at iteration {step}, stop_reason SIGUSR1")
    with h5py.File(chk("run", step), "r") as f:
        expect(int(f.attrs["step"]) == step and f["fields/x"].shape == SHAPE
               and f["fields/r"].shape == SHAPE and f["fields/p"].shape == SHAPE,
               f"checkpoint at iteration {step} holds x, r and p of both ranks")
    expect(not os.path.exists(os.path.join(work, "run", "solution.h5")), "no solution for an unfinished solve")
    r = run(4, PROBLEM + ["--restart", "auto"], "run")
    expect(f"at step {step}" in r.stdout, "--restart auto continues on 4 ranks")
    same_answer("run", "ref", "SIGUSR1 on 2 ranks, then --restart auto on 4")

elif case == "max_wall_time":
    # 1024^2 to 1e-13: thousands of iterations, far more than 3 s allow.
    big = ["--cells", "1024", "1024", "--tol", "1e-13", "--max-wall-time", "3", "--checkpoint-interval", "0.5"]
    r = run(2, big, "run")
    s = summary("run")
    step = s["step"]
    expect(re.search(rf"--max-wall-time: checkpointing at step {step} of 10000 and stopping", r.stdout),
           "the stop is announced")
    expect(s["completed"] is False and s["stop_reason"] == "--max-wall-time" and 0 < step < 10000
           and s["wall_seconds"] < 3.0 and s["checkpoints"]["count"] >= 2,
           f"stopped at iteration {step} after {s['wall_seconds']:.2f} s, {s['checkpoints']['count']} checkpoints")
    expect(os.path.exists(chk("run", step)), "a checkpoint at the stop")
    r = run(2, big + ["--restart", "auto"], "run")
    s2 = summary("run")
    expect(s2["restarted_from"]["step"] == step and s2["iterations"] > step
           and s2["residual_history"][:step + 1] == s["residual_history"],
           f"--restart auto went on from iteration {step} to {s2['iterations']} with the same history")

elif case == "bad_input":
    small = ["--cells", "48", "40", "--tol", "1e-10", "--checkpoint-every", "20"]
    run(2, small, "ref")
    n = summary("ref")["iterations"]
    last = max(int(f[4:13]) for f in os.listdir(os.path.join(work, "ref", "checkpoints")) if f.endswith(".h5"))
    before = {p: os.stat(os.path.join(work, "ref", p)).st_mtime_ns
              for p in ["solution.h5", "summary.json", f"checkpoints/chk_{last:09d}.h5"]}

    def bad(args_, pattern, what):
        r = run(2, args_, "ref", expect=2)
        lines = [l for l in r.stderr.splitlines() if "error:" in l]
        expect(len(lines) == 1 and re.search(pattern, lines[0]), f"{what}: exit 2, one line: {lines}")
        for p, t in before.items():
            assert os.stat(os.path.join(work, "ref", p)).st_mtime_ns == t, f"{p} was touched"

    bad(["--cells", "40", "40", "--checkpoint-every", "20", "--restart", "auto"],
        r"cells differs: the checkpoint has \[48,40\], this run \[40,40\]", "--cells differs")
    bad(small + ["--precond", "jacobi", "--restart", "auto"], r"precond differs", "--precond differs")
    bad(["--cells", "48", "40", "--tol", "1e-8", "--restart", "auto"], r"tol differs", "--tol differs")
    bad(small + ["--max-iter", "10", "--restart", "auto"], r"beyond this run's 10 steps", "checkpoint beyond --max-iter")
    bad(small + ["--benchmark", "--restart", "auto"], r"--benchmark runs without --restart", "--benchmark with --restart")
    # --max-iter may change: a larger limit continues the same solve.
    r = run(1, small + ["--max-iter", "20000", "--restart", chk("ref", last)], "more")
    expect(summary("more")["residual_history"] == summary("ref")["residual_history"],
           f"--max-iter changed: the same {n} iterations")

elif case == "mg_resume":
    # MG-preconditioned CG resumed from a middle checkpoint on other rank and thread counts
    # (the hierarchy agglomerates at other levels there): the same bits as the uninterrupted solve.
    mg = ["--dim", "3", "--cells", "47", "40", "33", "--precond", "mg", "--tol", "1e-12", "--checkpoint-every", "3",
          "--keep-checkpoints", "10"]
    run(2, mg, "ref")
    n = summary("ref")["iterations"]
    expect(8 <= n < 20 and os.path.exists(chk("ref", 6)), f"reference: {n} iterations, checkpoint 6")
    for np_, threads in ((1, 2), (4, 1)):
        r = run(np_, mg + ["--restart", chk("ref", 6)], f"np{np_}", threads=threads)
        expect("at step 6" in r.stdout, f"np {np_}: restarted at iteration 6")
        same_answer(f"np{np_}", "ref", f"--precond mg from iteration 6 on {np_} x {threads} threads")

elif case == "heat_checkpoint":
    heat = sys.argv[4]
    cmd = command(2, ["--cells", "48", "40", "--steps", "20", "--checkpoint-every", "10"], "heat", exe=heat)
    h = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    expect(h.returncode == 0 and os.path.exists(chk("heat", 20)), "tessera-heat wrote a checkpoint")
    r = run(2, ["--cells", "48", "40", "--restart", chk("heat", 20)], "cg", expect=2)
    lines = [l for l in r.stderr.splitlines() if "error:" in l]
    expect(len(lines) == 1 and re.search(r"chk_000000020\.h5.*written by 'heat', not 'cg'", lines[0]),
           f"a heat checkpoint is refused: {lines}")
    expect(not os.path.exists(os.path.join(work, "cg")), "nothing written")

else:
    sys.exit(f"unknown case {case}")
shutil.rmtree(work, ignore_errors=True)
print(f"{case}: PASSED")
