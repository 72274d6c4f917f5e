#!/usr/bin/env python3
"""bench_frames.py: frames/s of tessera-filter on a batch of 640 x 360 gray frames (Gaussian
sigma 2), at 2 ranks x 1 thread and 1 rank x 2 threads, against OpenCV in a Python loop over
the same frames and against a multiprocessing.Pool of 2 workers making the same OpenCV calls.

Every contender is a fresh process that reads its frames from the same HDF5 stack and writes
them to an HDF5 stack. Two figures each, medians of --repeat runs, contenders interleaved:
  - command: wall time of the whole command, as a user waits for it (MPI start-up for
    tessera; the interpreter and `import cv2, h5py, numpy` for the Python contenders);
  - frames:  from opening the input to closing the output (tessera's own `rate.seconds` in
    its summary.json; the Python contenders time the same span themselves).

Usage: bench_frames.py TESSERA_FILTER [--frames 1000] [--repeat 5]"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SIGMA = 2.0


def contender(kind, src, out, frames):
    """Runs in a fresh interpreter (bench_frames.py --contender KIND SRC OUT FRAMES)."""
    import multiprocessing

    import cv2
    import h5py
    import numpy as np

    def blur(frame):
        return cv2.GaussianBlur(frame, (0, 0), SIGMA, borderType=cv2.BORDER_REFLECT_101)

    t0 = time.perf_counter()
    with h5py.File(src, "r") as f, h5py.File(out, "w") as g:
        d = g.create_dataset("frames", (frames, 360, 640), np.uint8, chunks=(1, 360, 640))
        if kind == "loop":
            for i in range(frames):
                d[i] = blur(f["frames"][i])
        else:
            with multiprocessing.Pool(2, initializer=_pool_init, initargs=(src,)) as pool:
                for i, fr in enumerate(pool.imap(_pool_blur, range(frames), chunksize=8)):
                    d[i] = fr
    print(json.dumps({"seconds": time.perf_counter() - t0, "threads": cv2.getNumThreads(), "version": cv2.__version__}))


_pool_stack = None


def _pool_init(src):
    global _pool_stack
    import cv2
    import h5py
    cv2.setNumThreads(1)
    _pool_stack = h5py.File(src, "r")["frames"]  # each worker keeps the stack open


def _pool_blur(i):
    import cv2
    return cv2.GaussianBlur(_pool_stack[i], (0, 0), SIGMA, borderType=cv2.BORDER_REFLECT_101)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import cv2
    import h5py
    import numpy as np

    work = tempfile.mkdtemp(prefix="tessera_bench_frames_")
    src = os.path.join(work, "frames.h5")
    rng = np.random.default_rng(7)
    base = cv2.resize(rng.integers(0, 256, (36, 64), dtype=np.uint8), (640, 360), interpolation=cv2.INTER_CUBIC)
    with h5py.File(src, "w") as f:
        d = f.create_dataset("frames", (args.frames, 360, 640), np.uint8, chunks=(1, 360, 640))
        for i in range(args.frames):
            d[i] = np.roll(base, i, axis=1)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_WAIT_POLICY="PASSIVE")

    def tessera(np_, threads):
        def run(out):
            # Each rank gets its own cores: bound one core per rank, or unbound with its threads
            # placed on cores (a plain `mpirun -np 1` would bind both threads to one core).
            bind = (["--map-by", "slot:PE=1", "--bind-to", "core"] if threads == 1 else
                    ["--bind-to", "none", "-x", "OMP_PROC_BIND=close", "-x", "OMP_PLACES=cores"])
            cmd = ["mpirun", "-np", str(np_), *bind, "-x", f"OMP_NUM_THREADS={threads}", args.exe,
                   "--quiet", "--input", src, "--output", out, "--overwrite", "--filter", f"gaussian:sigma={SIGMA:g}"]
            subprocess.run(cmd, env=env, check=True)
            with open(out + ".summary.json") as s:
                return json.load(s)["rate"]["seconds"]
        return run

    def python(kind):
        def run(out):
            cmd = [sys.executable, os.path.abspath(__file__), "--contender", kind, src, out, str(args.frames)]
            r = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
            info = json.loads(r.stdout.strip().splitlines()[-1])
            python.info = info
            return info["seconds"]
        return run

    contenders = {
        "tessera-filter 2 ranks x 1 thread": tessera(2, 1),
        "tessera-filter 1 rank x 2 threads": tessera(1, 2),
        "OpenCV Python loop": python("loop"),
        "OpenCV multiprocessing.Pool(2)": python("pool"),
    }
    command = {k: [] for k in contenders}
    frames = {k: [] for k in contenders}
    outs = {}
    for r in range(args.repeat):
        for i, (name, run) in enumerate(contenders.items()):
            out = os.path.join(work, f"out_{i}.h5")
            if os.path.exists(out):
                os.remove(out)
            t0 = time.perf_counter()
            inner = run(out)
            command[name].append(time.perf_counter() - t0)
            frames[name].append(inner)
            outs[name] = out
    same = True
    with h5py.File(outs["OpenCV Python loop"]) as ref:
        for name in contenders:
            with h5py.File(outs[name]) as o:
                same = same and np.array_equal(o["frames"][:], ref["frames"][:])
    print(f"bench_frames: {args.frames} frames 640 x 360 gray8, gaussian sigma {SIGMA:g}, HDF5 stack in and out, "
          f"medians of {args.repeat} interleaved runs; OpenCV {python.info['version']} "
          f"(the loop's cv2 uses {python.info['threads']} threads, the Pool's 1 each); "
          f"every output equals the OpenCV loop's: {same}")
    med_c = {k: statistics.median(v) for k, v in command.items()}
    med_f = {k: statistics.median(v) for k, v in frames.items()}
    loop, pool = "OpenCV Python loop", "OpenCV multiprocessing.Pool(2)"
    print(f"  {'':36s} {'command [s]':>11s} {'frames/s':>9s} {'/loop':>6s} {'/pool':>6s}   "
          f"{'frames [s]':>10s} {'frames/s':>9s} {'/loop':>6s} {'/pool':>6s}")
    for name in contenders:
        c, f = med_c[name], med_f[name]
        print(f"  {name:36s} {c:11.3f} {args.frames / c:9.1f} {med_c[loop] / c:6.2f} {med_c[pool] / c:6.2f}   "
              f"{f:10.3f} {args.frames / f:9.1f} {med_f[loop] / f:6.2f} {med_f[pool] / f:6.2f}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--contender":
        contender(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
