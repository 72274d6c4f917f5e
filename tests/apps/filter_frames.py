"""tessera-filter on many frames, through the task queue and the ordered stream.

- a 200-frame batch (a folder of PNGs and an HDF5 stack) on 4 ranks equals the single-rank
  result bit for bit, and OpenCV's filter of the same frames;
- a video made with the ffmpeg tool, filtered frame by frame, equals OpenCV's filter of the
  frames OpenCV decodes within 1 gray level; frame count and order preserved (HDF5 stack and
  ffv1 video outputs);
- the pipeline ffmpeg | mpirun tessera-filter --input - ... --output - | ffmpeg keeps a few
  hundred frames in order and reports latency;
- kill -9 of a rank mid-batch, then --resume on another rank count: the outputs equal an
  uninterrupted run and only the unfinished frames run again;
- bad input: an undecodable video, frames of different sizes, a stream that ends mid-frame:
  exit 2, one line naming the input, no output left behind.

Usage: filter_frames.py TESSERA_FILTER MPIEXEC [--quick]"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import cv2
import h5py
import numpy as np

exe, mpiexec = sys.argv[1:3]
quick = "--quick" in sys.argv[3:]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="PASSIVE")
work = tempfile.mkdtemp(prefix="tessera_filter_frames_")
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def mpi(np_, args, threads=1):
    return [mpiexec, "-np", str(np_), "--bind-to", "none", "-x", f"OMP_NUM_THREADS={threads}", exe] + args


def run(np_, args, expect=0, threads=1, **kw):
    r = subprocess.run(mpi(np_, args, threads), env=env, capture_output=True, text=True, **kw)
    if r.returncode != expect:
        sys.exit(f"FAILED (exit {r.returncode}, expected {expect}): {' '.join(mpi(np_, args))}\n{r.stdout}\n{r.stderr}")
    return r


def p(*parts):
    return os.path.join(work, *parts)


# 1. A 200-frame batch: smooth random frames (so filters have something to do).
n_frames = 60 if quick else 200
rng = np.random.default_rng(16)
frames = np.empty((max(n_frames, 120), 72, 96), np.uint8)
for i in range(frames.shape[0]):
    frames[i] = cv2.resize(rng.integers(0, 256, (9, 12), dtype=np.uint8), (96, 72), interpolation=cv2.INTER_CUBIC)
os.makedirs(p("pngs"))
for i in range(n_frames):
    cv2.imwrite(p("pngs", f"shot_{i:04d}.png"), frames[i])
with h5py.File(p("stack.h5"), "w") as f:
    f["frames"] = frames[:n_frames]
expected = np.stack([cv2.GaussianBlur(fr, (0, 0), 2.0, borderType=cv2.BORDER_REFLECT_101) for fr in frames[:n_frames]])

chain = ["--filter", "gaussian:sigma=2"]
run(1, ["--quiet", "--input", p("pngs"), "--output", p("pngs_np1")] + chain)
run(4, ["--quiet", "--input", p("pngs"), "--output", p("pngs_np4")] + chain, threads=1)
run(2, ["--quiet", "--input", p("pngs"), "--output", p("pngs_np2t2")] + chain, threads=2)
names = sorted(n for n in os.listdir(p("pngs")))
check(sorted(n for n in os.listdir(p("pngs_np4")) if n.endswith(".png")) == names, "folder output keeps the input names")
same = all(open(p("pngs_np1", n), "rb").read() == open(p("pngs_np4", n), "rb").read() ==
           open(p("pngs_np2t2", n), "rb").read() for n in names)
check(same, f"{n_frames} PNG frames: np 4 x 1 and np 2 x 2 equal np 1 bit for bit")
ours = np.stack([cv2.imread(p("pngs_np1", n), cv2.IMREAD_UNCHANGED) for n in names])
check(np.array_equal(ours, expected), "PNG frames equal OpenCV's GaussianBlur exactly")
summary = json.load(open(p("pngs_np4", "summary.json")))
check(summary["tasks"]["completed"] == n_frames and summary["tasks"]["failed"] == [], "summary: every frame completed")

run(1, ["--quiet", "--input", p("stack.h5"), "--output", p("stack_np1.h5")] + chain)
run(4, ["--quiet", "--input", p("stack.h5"), "--output", p("stack_np4.h5")] + chain)
with h5py.File(p("stack_np1.h5")) as a, h5py.File(p("stack_np4.h5")) as b:
    check(np.array_equal(a["frames"][...], b["frames"][...]), "HDF5 stack: np 4 equals np 1 bit for bit")
    check(np.array_equal(a["frames"][...], expected), "HDF5 stack equals OpenCV's GaussianBlur, in frame order")

# 2. A video made by the ffmpeg tool, against OpenCV's decode and filter of the same frames.
# A key frame every 15 frames: on 2 ranks each worker decodes the key-frame segments it filters.
clip = p("clip.mp4")
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                "testsrc2=size=320x240:rate=25:duration=3", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "15",
                clip], check=True)
cap = cv2.VideoCapture(clip)
decoded = []
while True:
    ok, fr = cap.read()
    if not ok:
        break
    decoded.append(cv2.cvtColor(fr, cv2.COLOR_BGR2GRAY))
cv_filtered = np.stack([cv2.GaussianBlur(fr, (0, 0), 2.0, borderType=cv2.BORDER_REFLECT_101) for fr in decoded])
r = run(2, ["--input", clip, "--output", p("clip.h5")] + chain)
check("video decoding: 5 key-frame segments of 15 frames" in r.stdout, "2 ranks decode the video by its 5 key-frame segments")
r = run(2, ["--input", clip, "--output", p("clip_one.h5"), "--decode", "one"] + chain)
check("video decoding: one decoder on rank 0" in r.stdout, "--decode one: rank 0's decoder feeds the ranks")
with h5py.File(p("clip.h5")) as f, h5py.File(p("clip_one.h5")) as g:
    got = f["frames"][...]
    check(np.array_equal(got, g["frames"][...]), "decoding by segments gives the frames of one decoder, bit for bit")
check(got.shape[0] == len(decoded) == 75, f"video: {got.shape[0]} frames out, {len(decoded)} decoded by OpenCV (75 made)")
diff = np.abs(got.astype(int) - cv_filtered.astype(int)).max() if got.shape == cv_filtered.shape else 999
check(diff <= 1, f"video frames within 1 gray level of OpenCV's filter of its own decode (max {diff})")
run(2, ["--quiet", "--input", clip, "--output", p("clip.mkv")] + chain)
probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames,codec_name",
                        "-of", "csv=p=0", p("clip.mkv")], capture_output=True, text=True).stdout.strip()
check(probe == "ffv1,75", f"ffv1 video output: ffprobe reads {probe!r}")
cap = cv2.VideoCapture(p("clip.mkv"))
back = []
while True:
    ok, fr = cap.read()
    if not ok:
        break
    back.append(cv2.cvtColor(fr, cv2.COLOR_BGR2GRAY))
check(len(back) == 75 and all(np.abs(back[i].astype(int) - got[i].astype(int)).max() <= 1 for i in range(75)),
      "the encoded video decodes (OpenCV) to the filtered frames, in order")

# 3. Streams: ffmpeg | tessera-filter | ffmpeg, a few hundred frames.
n_stream = 300
decode = subprocess.Popen(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
                           f"testsrc2=size=160x96:rate=25:duration={n_stream // 25}", "-f", "rawvideo",
                           "-pix_fmt", "gray", "-"], stdout=subprocess.PIPE)
tess = subprocess.Popen(mpi(2, ["--input", "-", "--size", "160x96", "--pixel", "gray8", "--output", "-"] + chain),
                        env=env, stdin=decode.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
encode = subprocess.Popen(["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", "160x96",
                           "-i", "-", "-c:v", "ffv1", p("stream.mkv")], stdin=tess.stdout)
decode.stdout.close()
tess.stdout.close()
_, err = tess.communicate()
encode.wait()
decode.wait()
err = err.decode()
check(tess.returncode == 0 and encode.returncode == 0, f"pipeline exit codes {tess.returncode}, {encode.returncode}")
check("p50" in err and "p99" in err and "frames/s" in err, "stream reports per-frame latency p50, p99 and frames/s")
raw = subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
                      f"testsrc2=size=160x96:rate=25:duration={n_stream // 25}", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                     capture_output=True).stdout
src = np.frombuffer(raw, np.uint8).reshape(-1, 96, 160)
out = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", p("stream.mkv"), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                     capture_output=True).stdout
out = np.frombuffer(out, np.uint8).reshape(-1, 96, 160)
want = np.stack([cv2.GaussianBlur(fr, (0, 0), 2.0, borderType=cv2.BORDER_REFLECT_101) for fr in src])
check(out.shape[0] == n_stream and np.array_equal(out, want), f"stream: {out.shape[0]} of {n_stream} frames, in order, exact")

# 4. kill -9 mid-batch, then --resume on another rank count.
heavy = ["--filter", "gaussian:sigma=8"] * 8 + ["--filter", "median:radius=2"]
big = np.stack([cv2.resize(fr, (640, 480)) for fr in frames[:120]])
with h5py.File(p("big.h5"), "w") as f:
    f["frames"] = big
run(1, ["--quiet", "--input", p("big.h5"), "--output", p("whole")] + heavy)
os.makedirs(p("bigpngs"))
for i in range(big.shape[0]):
    cv2.imwrite(p("bigpngs", f"b_{i:03d}.png"), big[i])
victim = subprocess.Popen(mpi(2, ["--quiet", "--input", p("bigpngs"), "--output", p("resumed")] + heavy),
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
journal = p("resumed", "filter.journal")
deadline = time.time() + 60
while time.time() < deadline:
    done = sum(1 for n in os.listdir(p("resumed")) if n.endswith(".png")) if os.path.isdir(p("resumed")) else 0
    listed_now = open(journal).read() if os.path.exists(journal) else ""
    if "done " in listed_now and "done none" not in listed_now and done >= 8:
        break
    time.sleep(0.05)
# kill -9 one rank (not mpirun): its peers are then ended by mpirun, as on a cluster
ranks = subprocess.run(["pgrep", "-f", "^" + exe + ".*bigpngs"], capture_output=True, text=True).stdout.split()
check(len(ranks) == 2, f"found the 2 ranks to kill ({ranks})")
os.kill(int(ranks[-1]), signal.SIGKILL)
victim.wait()
killed_done = sum(1 for n in os.listdir(p("resumed")) if n.endswith(".png"))
check(victim.returncode != 0 and 0 < killed_done < big.shape[0],
      f"killed mid-batch: exit {victim.returncode}, {killed_done} of {big.shape[0]} frames written")
listed = open(journal).read().split("done ")[1].strip()
r = run(4, ["--input", p("bigpngs"), "--output", p("resumed"), "--resume"] + heavy)
summary = json.load(open(p("resumed", "summary.json")))
skipped, ran = summary["tasks"]["skipped"], summary["tasks"]["completed"]
check(skipped > 0 and skipped + ran == big.shape[0], f"resume: {skipped} frames skipped (journal: {listed}), {ran} ran again")
whole = h5py.File(p("whole.h5"), "r") if os.path.exists(p("whole.h5")) else None
ref = {n: cv2.imread(os.path.join(p("whole"), f"frame_{i:06d}.png"), cv2.IMREAD_UNCHANGED) for i, n in
       enumerate(sorted(os.listdir(p("bigpngs"))))}
res = {n: cv2.imread(p("resumed", n), cv2.IMREAD_UNCHANGED) for n in ref}
check(all(res[n] is not None and np.array_equal(ref[n], res[n]) for n in ref),
      "resumed outputs equal an uninterrupted run's, frame by frame")
check(not os.path.exists(journal), "the journal is removed once the batch is complete")

# 5. Bad input: exit 2, one line, nothing left behind.
open(p("noise.mp4"), "wb").write(np.random.default_rng(1).integers(0, 256, 50000, dtype=np.uint8).tobytes())
r = run(2, ["--input", p("noise.mp4"), "--output", p("noise.mkv")], expect=2)
check("noise.mp4" in r.stderr and not os.path.exists(p("noise.mkv")), "undecodable video: exit 2 naming it, no video")
os.makedirs(p("mixed"))
cv2.imwrite(p("mixed", "a.png"), frames[0])
cv2.imwrite(p("mixed", "b.png"), cv2.resize(frames[1], (32, 32)))
r = run(2, ["--input", p("mixed"), "--output", p("mixed_out")], expect=2)
check("differ" in r.stderr and "b.png" in r.stderr and not os.path.exists(p("mixed_out")),
      "frames of different sizes: exit 2 naming the file, no output folder")
r = subprocess.run(mpi(2, ["--input", "-", "--size", "160x96", "--output", p("cut.mkv")]), env=env,
                   input=b"\0" * (160 * 96 * 3 + 500), capture_output=True)
check(r.returncode == 2 and b"ends inside frame 3" in r.stderr and not os.path.exists(p("cut.mkv")),
      "a stream that ends mid-frame: exit 2, no partial video")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("all frame checks passed")
