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

--video: the same frames as an H.264 video (a key frame every 50 frames) in place of the
stack: tessera-filter decoding by key-frame segments (--decode segments) and with one decoder
on rank 0 (--decode one), against OpenCV's VideoCapture in a Python loop.

Usage: bench_frames.py TESSERA_FILTER [--frames 1000] [--repeat 5] [--video]"""
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
    if kind == "video":
        cap = cv2.VideoCapture(src)
        with h5py.File(out, "w") as g:
            d = g.create_dataset("frames", (frames, 360, 640), np.uint8, chunks=(1, 360, 640))
            for i in range(frames):
                ok, frame = cap.read()
                d[i] = blur(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        print(json.dumps({"seconds": time.perf_counter() - t0, "threads": cv2.getNumThreads(), "version": cv2.__version__}))
        return
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
    ap.add_argument("--video", action="store_true", help="an H.264 video in place of the HDF5 stack")
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
    if args.video:
        video = os.path.join(work, "frames.mp4")
        enc = subprocess.Popen(["ffmpeg", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s", "640x360",
                                "-r", "25", "-i", "-", "-c:v", "libx264", "-g", "50", "-pix_fmt", "yuv420p", video],
                               stdin=subprocess.PIPE)
        with h5py.File(src) as f:
            for i in range(args.frames):
                enc.stdin.write(f["frames"][i].tobytes())
        enc.stdin.close()
        if enc.wait() != 0:
            sys.exit("bench_frames: ffmpeg could not make the video")
        src = video
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_WAIT_POLICY="PASSIVE")

    def tessera(np_, threads, decode=None):
        def run(out):
            # Each rank gets its own cores: bound one core per rank, or unbound with its threads
            # placed on cores (a plain `mpirun -np 1` would bind both threads to one core).
            bind = (["--map-by", "slot:PE=1", "--bind-to", "core"] if threads == 1 else
                    ["--bind-to", "none", "-x", "OMP_PROC_BIND=close", "-x", "OMP_PLACES=cores"])
            cmd = ["mpirun", "-np", str(np_), *bind, "-x", f"OMP_NUM_THREADS={threads}", args.exe,
                   "--quiet", "--input", src, "--output", out, "--overwrite", "--filter", f"gaussian:sigma={SIGMA:g}"]
            if decode:
                cmd += ["--decode", decode]
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
        "tessera-filter 2 x 1, --decode segments": tessera(2, 1, "segments"),
        "tessera-filter 2 x 1, --decode one": tessera(2, 1, "one"),
        "tessera-filter 1 x 2, --decode segments": tessera(1, 2, "segments"),
        "tessera-filter 1 x 2, --decode one": tessera(1, 2, "one"),
        "OpenCV Python loop": python("video"),
    } if args.video else {
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
    # Videos: OpenCV decodes to BGR and converts to gray, tessera takes the decoder's luma, so
    # the frames may differ by a gray level; every tessera decoding must give the same bits.
    same = True
    tolerance = 1 if args.video else 0
    first = outs[next(iter(contenders))]
    with h5py.File(outs["OpenCV Python loop"]) as ref, h5py.File(first) as one:
        for name in contenders:
            with h5py.File(outs[name]) as o:
                got = o["frames"][:].astype(int)
                same = same and np.abs(got - ref["frames"][:].astype(int)).max() <= tolerance
                if name.startswith("tessera"):
                    same = same and np.array_equal(got, one["frames"][:])
    print(f"bench_frames: {args.frames} frames 640 x 360 gray8, gaussian sigma {SIGMA:g}, "
          f"{'an H.264 video (key frame every 50)' if args.video else 'HDF5 stack'} in, HDF5 stack out, "
          f"medians of {args.repeat} interleaved runs; OpenCV {python.info['version']} "
          f"(the loop's cv2 uses {python.info['threads']} threads, the Pool's 1 each); "
          f"every output equals the OpenCV loop's{' within 1 gray level' if args.video else ''}: {same}")
    med_c = {k: statistics.median(v) for k, v in command.items()}
    med_f = {k: statistics.median(v) for k, v in frames.items()}
    loop, pool = "OpenCV Python loop", "OpenCV multiprocessing.Pool(2)"
    peers = [loop] if args.video else [loop, pool]
    heads = "".join(f" {'/' + p.split()[-1].split('.')[-1].lower()[:4]:>6s}" for p in peers)
    print(f"  {'':40s} {'command [s]':>11s} {'frames/s':>9s}{heads}   {'frames [s]':>10s} {'frames/s':>9s}{heads}")
    for name in contenders:
        c, f = med_c[name], med_f[name]
        print(f"  {name:40s} {c:11.3f} {args.frames / c:9.1f}" + "".join(f" {med_c[p] / c:6.2f}" for p in peers) +
              f"   {f:10.3f} {args.frames / f:9.1f}" + "".join(f" {med_f[p] / f:6.2f}" for p in peers))
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--contender":
        contender(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
