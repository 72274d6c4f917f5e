"""tessera-heat checkpoint/restart under real failures: kill -9 between and during checkpoint
writes, restarts on other rank and thread counts, a flipped byte and a truncated file, SIGUSR1
to mpirun and SIGTERM to the ranks, snapshots and checkpoints read with h5py and XDMF, an
unwritable output directory, and bad restart input. Each restart case compares the final
field bitwise with an uninterrupted run.

usage: heat_checkpoint.py HEAT MPIEXEC CASE   (CASE: kill9, kill9_mid_write, ranks, corrupt,
truncated, sigusr1, sigterm_ranks, bad_input, series, unwritable)
"""
import glob
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

heat, mpiexec, case = sys.argv[1], sys.argv[2], sys.argv[3]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="PASSIVE")
work = tempfile.mkdtemp(prefix=f"tessera_heat_{case}_")
# A small 2D problem: 64 x 48 cells, 500 steps, a checkpoint every 100.
PROBLEM = ["--cells", "64", "48", "--init", "gaussian", "--steps", "500"]


def command(np_, threads, args, out):
    return [mpiexec, "-np", str(np_), "--bind-to", "none", "-x", f"OMP_NUM_THREADS={threads}", heat,
            "--output", os.path.join(work, out)] + args


def run(np_, threads, args, out, expect=0, extra_env=None):
    cmd = command(np_, threads, args, out)
    r = subprocess.run(cmd, env=dict(env, **(extra_env or {})), capture_output=True, text=True, timeout=120)
    print(f"$ {' '.join(cmd)}  -> exit {r.returncode}")
    if r.returncode != expect:
        sys.exit(f"FAILED: expected exit {expect}, got {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def field(out):
    with h5py.File(os.path.join(work, out, "heat.h5"), "r") as f:
        return f["u"][...]


def summary(out):
    with open(os.path.join(work, out, "summary.json")) as f:
        return json.load(f)


def chk(out, step, suffix=""):
    return os.path.join(work, out, "checkpoints", f"chk_{step:09d}.h5{suffix}")


def expect(cond, what):
    if not cond:
        sys.exit(f"FAILED: {what}")
    print(f"ok: {what}")


def same_bits(out, ref, what):
    a, b = field(out), field(ref)
    expect(a.shape == b.shape and a.tobytes() == b.tobytes(), f"{what}: final field bitwise identical")


def children(pid):
    r = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]


def kill9_when(proc, ready, what, limit=60):
    """Waits until ready() holds, then SIGKILLs every rank and mpirun (a node crash)."""
    t0 = time.monotonic()
    while not ready():
        if proc.poll() is not None:
            sys.exit(f"FAILED: the run ended ({proc.returncode}) before {what}")
        if time.monotonic() - t0 > limit:
            proc.kill()
            sys.exit(f"FAILED: timed out waiting for {what}")
        time.sleep(0.01)
    ranks = children(proc.pid)
    for pid in ranks:
        os.kill(pid, signal.SIGKILL)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    print(f"killed {len(ranks)} ranks and mpirun with SIGKILL after {what}")
    return len(ranks)


def snapshots_consistent(out, steps):
    """Every snapshot step appears once in the XDMF and its dataset exists."""
    import xml.etree.ElementTree as ET
    root = ET.parse(os.path.join(work, out, "snapshots.xdmf")).getroot()
    items = [d.text.strip() for d in root.iter("DataItem") if d.get("Format") == "HDF"]
    with h5py.File(os.path.join(work, out, "snapshots.h5"), "r") as f:
        stored = sorted(int(k) for k in f["snapshots"].keys())
        for item in items:
            assert item.split(":")[1] in f, item
    expect(stored == steps and len(items) == len(steps),
           f"snapshots after the restart: steps {stored}, {len(items)} XDMF entries")


if case in ("kill9", "kill9_mid_write"):
    args = PROBLEM + ["--checkpoint-every", "100", "--snapshot-every", "100"]
    run(4, 1, args, "ref")
    mid = case == "kill9_mid_write"
    # The hook sleeps inside every write (after the data, before close) or after each one, so
    # that the kill lands there deterministically.
    hook = {"TESSERA_TEST_SLEEP_IN_CHECKPOINT" if mid else "TESSERA_TEST_SLEEP_AFTER_CHECKPOINT": "1.5"}
    proc = subprocess.Popen(command(4, 1, args, "run"), env=dict(env, **hook),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if mid:
        # The writer's temporary has a unique name beside the checkpoint: chk_000000400.h5.<pid>-<n>.tmp
        half_written = lambda: glob.glob(chk("run", 400, ".*.tmp"))
        ready = lambda: os.path.exists(chk("run", 300)) and half_written()
        n = kill9_when(proc, ready, "checkpoint 3 and during the write of checkpoint 4")
        expect(half_written(), "a half-written checkpoint 4 is left on disk")
    else:
        n = kill9_when(proc, lambda: os.path.exists(chk("run", 300)), "checkpoint 3 of 5")
    expect(n == 4, "4 ranks were running")
    expect(not os.path.exists(chk("run", 400)) and not os.path.exists(os.path.join(work, "run", "summary.json")),
           "the run died before checkpoint 4 was complete")
    r = run(4, 1, args + ["--restart", "auto"], "run")
    expect(re.search(r"restarting from \S*chk_000000300\.h5 at step 300", r.stdout), "restarted from checkpoint 3")
    if mid:
        expect(re.search(r"removing \S*chk_000000400\.h5\.[0-9]+-[0-9]+\.tmp", r.stderr) and not half_written(),
               "the half-written file was removed")
    s = summary("run")
    expect(s["completed"] is True and s["step"] == 500 and s["restarted_from"]["step"] == 300,
           "summary: completed at step 500, restarted from 300")
    same_bits("run", "ref", "kill -9 then --restart auto")
    snapshots_consistent("run", [0, 100, 200, 300, 400, 500])

elif case == "ranks":
    args = PROBLEM + ["--checkpoint-every", "250"]
    run(4, 1, args, "ref")
    for np_, threads in [(1, 1), (2, 2), (3, 1), (1, 2)]:
        out = f"np{np_}t{threads}"
        r = run(np_, threads, PROBLEM + ["--restart", chk("ref", 250)], out)
        expect("at step 250" in r.stdout, f"{out}: restarted at step 250 from the 4-rank checkpoint")
        same_bits(out, "ref", f"4 ranks -> {np_} ranks x {threads} threads")

elif case in ("corrupt", "truncated"):
    args = PROBLEM + ["--checkpoint-every", "100", "--keep-checkpoints", "3"]
    run(2, 1, args, "ref")
    shutil.copytree(os.path.join(work, "ref", "checkpoints"), os.path.join(work, "run", "checkpoints"))
    newest = chk("run", 500)
    if case == "corrupt":
        with h5py.File(newest, "r") as f:
            info = f["fields/u"].id.get_chunk_info(0)
        with open(newest, "r+b") as f:  # one byte in the middle of the first chunk's data
            f.seek(info.byte_offset + info.size // 2)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 0x01]))
    else:
        os.truncate(newest, os.path.getsize(newest) // 2)
    # Named explicitly, the damaged file is an input error.
    r = run(2, 1, PROBLEM + ["--restart", newest], "explicit", expect=2)
    expect(r.stderr.count("error:") == 1 and "chk_000000500.h5" in r.stderr, "--restart PATH: one error line naming the file")
    expect(not os.path.exists(os.path.join(work, "explicit")), "--restart PATH: nothing written")
    r = run(2, 1, args + ["--restart", "auto"], "run")
    expect(re.search(r"warning: checkpoint \S*chk_000000500\.h5 is unusable .*falling back", r.stderr),
           "the damaged newest checkpoint is reported")
    if case == "corrupt":
        expect(re.search(r"[Ff]letcher32|checksum|data error", r.stderr), "the reason names the checksum")
    expect(re.search(r"restarting from \S*chk_000000400\.h5 at step 400", r.stdout), "fell back to checkpoint 400")
    expect(os.path.exists(chk("run", 500, ".corrupt")), "the damaged file was moved aside")
    same_bits("run", "ref", f"{case} newest checkpoint, fallback")

elif case in ("sigusr1", "sigterm_ranks"):
    # SIGUSR1 to mpirun (forwarded to every rank), or SIGTERM straight to every rank as Slurm
    # does at a time limit.
    args = ["--cells", "64", "48", "--init", "gaussian", "--steps", "3000", "--checkpoint-every", "500"]
    run(2, 1, args, "ref")
    proc = subprocess.Popen(command(4, 1, args, "run"), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while not os.path.exists(chk("run", 500)):
        if proc.poll() is not None or time.monotonic() - t0 > 60:
            sys.exit(f"FAILED: no first checkpoint\n{proc.communicate()}")
        time.sleep(0.01)
    name = "SIGUSR1" if case == "sigusr1" else "SIGTERM"
    if case == "sigusr1":
        proc.send_signal(signal.SIGUSR1)
    else:
        ranks = children(proc.pid)
        expect(len(ranks) == 4, "4 ranks running")
        for pid in ranks:
            os.kill(pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    print(out, err)
    expect(proc.returncode == 0, f"exit code 0 after {name} (got {proc.returncode})")
    s = summary("run")
    step = s["step"]
    expect(s["completed"] is False and 500 <= step < 3000 and s["stop_reason"] == name,
           f"summary: completed false at step {step}, stop_reason {name}")
    with h5py.File(chk("run", step), "r") as f:
        expect(int(f.attrs["step"]) == step and f["fields/u"].shape == (48, 64),
               f"checkpoint at step {step} holds the field of all 4 ranks")
    expect(not os.path.exists(os.path.join(work, "run", "heat.h5")), "no final output for an unfinished run")
    r = run(2, 2, args + ["--restart", "auto"], "run")
    expect(f"at step {step}" in r.stdout and summary("run")["completed"] is True, "--restart auto completes")
    same_bits("run", "ref", f"{name} then --restart auto")

elif case == "bad_input":
    args = PROBLEM + ["--checkpoint-every", "250"]
    run(2, 1, args, "ref")
    before = {p: os.stat(os.path.join(work, "ref", p)).st_mtime_ns
              for p in ["heat.h5", "summary.json", "checkpoints/chk_000000250.h5", "checkpoints/chk_000000500.h5"]}

    def bad(args_, pattern, what):
        r = run(2, 1, args_, "ref", expect=2)
        lines = [l for l in r.stderr.splitlines() if "error:" in l]
        expect(len(lines) == 1 and re.search(pattern, lines[0]), f"{what}: exit 2, one line: {lines}")
        for p, t in before.items():
            assert os.stat(os.path.join(work, "ref", p)).st_mtime_ns == t, f"{p} was touched"

    bad(["--cells", "32", "48", "--init", "gaussian", "--steps", "500", "--restart", "auto"],
        r"cells differs: the checkpoint has \[64,48\], this run \[32,48\]", "grid mismatch")
    bad(PROBLEM[:-2] + ["--steps", "500", "--alpha", "0.5", "--restart", "auto"], r"alpha differs", "physics mismatch")
    bad(PROBLEM + ["--restart", os.path.join(work, "ref", "heat.h5")], r"not a tessera checkpoint", "unrelated HDF5 file")
    open(os.path.join(work, "junk.h5"), "w").write("not HDF5 at all\n")
    bad(PROBLEM + ["--restart", os.path.join(work, "junk.h5")], r"junk\.h5: cannot open as HDF5", "not an HDF5 file")
    bad(PROBLEM + ["--restart", os.path.join(work, "nowhere.h5")], r"nowhere\.h5: no such file", "missing file")
    bad(PROBLEM[:-1] + ["400", "--restart", chk("ref", 500)], r"beyond this run's 400 steps", "checkpoint beyond --steps")
    # Everything fine, but the output directory holds a previous run: only --restart (or
    # --overwrite) may write there.
    r = run(2, 1, PROBLEM, "ref", expect=2)
    expect("directory exists and is not empty" in r.stderr, "a plain run refuses the used directory")
    print("every bad restart: exit 2, one line, nothing touched")

elif case == "series":
    # As a user with umask 000 would run it: still nothing may be writable by others.
    os.umask(0)
    check = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_heat_series.py")
    for np_, args, out in [(4, ["--cells", "40", "24", "--steps", "60"], "2d"),
                           (2, ["--dim", "3", "--cells", "12", "10", "8", "--extent", "1.2", "1", "0.8",
                                "--steps", "30"], "3d")]:
        run(np_, 1, args + ["--snapshot-every", "10", "--snapshot-png", "--checkpoint-every", "15"], out)
        r = subprocess.run([sys.executable, check, os.path.join(work, out)])
        expect(r.returncode == 0, f"{out}: h5py and XDMF read every snapshot and checkpoint")
    # By simulated time: dt 1e-4, T 3.5e-4 -> the first steps on or after 3.5, 7, 10.5, 14, 17.5.
    run(2, 1, ["--cells", "20", "12", "--dt", "1e-4", "--steps", "20", "--snapshot-time", "3.5e-4"], "bytime")
    with h5py.File(os.path.join(work, "bytime", "snapshots.h5"), "r") as f:
        steps = sorted(int(k) for k in f["snapshots"])
        times = [float(f[f"snapshots/{k:09d}"].attrs["time"]) for k in steps]
    xdmf = open(os.path.join(work, "bytime", "snapshots.xdmf")).read()
    expect(steps == [0, 4, 7, 11, 14, 18] and all(abs(t - k * 1e-4) < 1e-15 for t, k in zip(times, steps))
           and xdmf.count("<Time ") == 6, f"--snapshot-time: snapshots at steps {steps}")
    # A period shorter than a step: every step is the first on or after some multiple (this
    # used to spin in a loop of about 1e-9 / (T / dt) iterations).
    run(2, 1, ["--cells", "20", "12", "--dt", "1e-4", "--steps", "5", "--snapshot-time", "1e-26"], "tiny")
    with h5py.File(os.path.join(work, "tiny", "snapshots.h5"), "r") as f:
        steps = sorted(int(k) for k in f["snapshots"])
    expect(steps == [0, 1, 2, 3, 4, 5], f"--snapshot-time below dt: snapshots at steps {steps}")

elif case == "unwritable":
    # An output directory the user may not write to: exit 2 before any computing, one line.
    # Root may write anywhere, so as root the run drops to user nobody (setpriv).
    target = os.path.join(work, "readonly")
    os.makedirs(target)
    os.chmod(work, 0o755)
    os.chmod(target, 0o555)
    prefix = []
    exe = heat
    if os.geteuid() == 0:
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        # nobody must reach the binary and the working directory, and the build tree may sit
        # where only root can enter (a CI clone under `mktemp -d`): run a copy from `work`.
        exe = os.path.join(work, "tessera-heat")
        shutil.copy2(heat, exe)
        os.chmod(exe, 0o755)
    cmd = prefix + [mpiexec, "-np", "2", "--bind-to", "none", "-x", "OMP_NUM_THREADS=1", exe,
                    "--output", target, "--cells", "16", "16", "--steps", "5", "--checkpoint-every", "2"]
    run_env = dict(env, HOME="/tmp")
    suppressions = re.search(r"suppressions=([^:]+)", run_env.get("LSAN_OPTIONS", ""))
    if prefix and suppressions:  # sanitizer builds: nobody must read LeakSanitizer's file too
        copy = os.path.join(work, "lsan.supp")
        shutil.copy2(suppressions.group(1), copy)
        os.chmod(copy, 0o644)
        run_env["LSAN_OPTIONS"] = run_env["LSAN_OPTIONS"].replace(suppressions.group(0), "suppressions=" + copy)
    r = subprocess.run(cmd, cwd=work, env=run_env, capture_output=True, text=True, timeout=60)
    print(f"$ {' '.join(cmd)}  -> exit {r.returncode}\n{r.stderr}")
    lines = [l for l in r.stderr.splitlines() if "error:" in l]
    expect(r.returncode == 2 and len(lines) == 1 and re.search(r"readonly.*Permission denied", lines[0]),
           f"unwritable output directory: exit 2, one line: {lines}")
    expect(os.listdir(target) == [], "nothing written")

else:
    sys.exit(f"unknown case {case}")
shutil.rmtree(work, ignore_errors=True)
print(f"{case}: PASSED")
