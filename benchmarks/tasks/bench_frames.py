#!/usr/bin/env python3
"""bench_frames.py: frames/s of tessera-filter on a batch of 640 x 360 gray frames (Gaussian
sigma 2), at 2 ranks x 1 thread and 1 rank x 2 threads, against OpenCV in a Python loop over
the same frames and against a multiprocessing.Pool of 2 workers making the same OpenCV calls.
Every contender reads its frames from the same HDF5 stack and writes them to an HDF5 stack;
wall time of the whole command (start-up included), median of --repeat runs.

Usage: bench_frames.py TESSERA_FILTER [--frames 1000] [--repeat 3]"""
import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import h5py
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("exe")
ap.add_argument("--frames", type=int, default=1000)
ap.add_argument("--repeat", type=int, default=3)
args = ap.parse_args()
work = tempfile.mkdtemp(prefix="tessera_bench_frames_")
src = os.path.join(work, "frames.h5")
rng = np.random.default_rng(7)
base = cv2.resize(rng.integers(0, 256, (36, 64), dtype=np.uint8), (640, 360), interpolation=cv2.INTER_CUBIC)
with h5py.File(src, "w") as f:
    d = f.create_dataset("frames", (args.frames, 360, 640), np.uint8, chunks=(1, 360, 640))
    for i in range(args.frames):
        d[i] = np.roll(base, i, axis=1)
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_WAIT_POLICY="PASSIVE")


def blur(frame):
    return cv2.GaussianBlur(frame, (0, 0), 2.0, borderType=cv2.BORDER_REFLECT_101)


def opencv_loop(out):
    with h5py.File(src, "r") as f, h5py.File(out, "w") as g:
        d = g.create_dataset("frames", (args.frames, 360, 640), np.uint8, chunks=(1, 360, 640))
        for i in range(args.frames):
            d[i] = blur(f["frames"][i])


def pool_worker(i):
    with h5py.File(src, "r") as f:
        return blur(f["frames"][i])


def opencv_pool(out):
    with multiprocessing.Pool(2, initializer=cv2.setNumThreads, initargs=(1,)) as pool, h5py.File(out, "w") as g:
        d = g.create_dataset("frames", (args.frames, 360, 640), np.uint8, chunks=(1, 360, 640))
        for i, fr in enumerate(pool.imap(pool_worker, range(args.frames), chunksize=8)):
            d[i] = fr


def tessera(np_, threads, out):
    cmd = ["mpirun", "-np", str(np_), "--bind-to", "none", "-x", f"OMP_NUM_THREADS={threads}", args.exe, "--quiet",
           "--input", src, "--output", out, "--overwrite", "--filter", "gaussian:sigma=2"]
    subprocess.run(cmd, env=env, check=True)


def timed(fn, *a):
    times = []
    for r in range(args.repeat):
        out = os.path.join(work, f"out_{r}.h5")
        if os.path.exists(out):
            os.remove(out)
        t0 = time.perf_counter()
        fn(*a, out)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


results = {
    "tessera-filter 2 ranks x 1 thread": timed(tessera, 2, 1),
    "tessera-filter 1 rank x 2 threads": timed(tessera, 1, 2),
    f"OpenCV {cv2.__version__} Python loop ({cv2.getNumThreads()} threads)": timed(opencv_loop),
    "OpenCV multiprocessing.Pool(2)": timed(opencv_pool),
}
with h5py.File(os.path.join(work, "out_0.h5")) as a:
    ours = a["frames"][5]
with h5py.File(src) as f:
    same = np.array_equal(ours, blur(f["frames"][5]))
print(f"bench_frames: {args.frames} frames 640 x 360 gray8, gaussian sigma 2, HDF5 stack in and out, "
      f"median of {args.repeat}; last output equals OpenCV: {same}")
loop = results[[k for k in results if "loop" in k][0]]
pool = results["OpenCV multiprocessing.Pool(2)"]
for name, t in results.items():
    print(f"  {name:45s} {t:7.3f} s  {args.frames / t:8.1f} frames/s   x{loop / t:5.2f} of the loop, x{pool / t:5.2f} of the pool")
