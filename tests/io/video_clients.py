#!/usr/bin/env python3
"""Videos exchanged with other clients: a clip made by the ffmpeg tool decoded by tessera and
by OpenCV (and by ffmpeg itself), and videos tessera writes checked by ffprobe, ffmpeg and OpenCV.

usage: video_clients.py VIDEO_TOOL WORKDIR   (VIDEO_TOOL: tests/io/video_tool.cpp)
Gray frames must be within 1 gray level of OpenCV's (cv2.VideoCapture + cv2.cvtColor), RGB
within 1 of OpenCV's and ffmpeg's; lossless files exact. Exit 1 listing the failures.
"""
import json
import pathlib
import shutil
import subprocess
import sys

import cv2
import numpy as np

tool, work = sys.argv[1], pathlib.Path(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
failures = []


def run(*args):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if r.returncode != 0:
        failures.append(f"{' '.join(map(str, args))}: exit {r.returncode}: {r.stderr.strip()}")
        return None
    return r.stdout


def dump(video, channels):
    """tessera's frames of `video` as an array [frames, h, w(, 3)], or None."""
    raw = work / f"{video.name}.{channels}.raw"
    out = run(tool, "dump", video, channels, raw)
    if out is None:
        return None
    w, h = int(out.split()[0]), int(out.split()[1])
    shape = (-1, h, w) if channels == 1 else (-1, h, w, 3)
    return np.fromfile(raw, np.uint8).reshape(shape)


def opencv_frames(video):
    cap = cv2.VideoCapture(str(video), cv2.CAP_FFMPEG)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    return np.array(frames)


def ffmpeg_frames(video, pix_fmt, h, w):
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
                         capture_output=True, check=True).stdout
    shape = (-1, h, w) if pix_fmt == "gray" else (-1, h, w, 3)
    return np.frombuffer(out, np.uint8).reshape(shape)


def compare(name, got, want, max_error=0, mean_error=None):
    if got is None or got.shape != want.shape:
        failures.append(f"{name}: got {None if got is None else got.shape}, want {want.shape}")
        return
    d = np.abs(got.astype(int) - want.astype(int))
    if d.max() > max_error or (mean_error is not None and d.mean() > mean_error):
        where = np.unravel_index(np.argmax(d), d.shape)
        failures.append(f"{name}: max error {d.max()} (frame {where[0]}), mean {d.mean():.3f}; "
                        f"allowed {max_error}" + (f", mean {mean_error}" if mean_error is not None else ""))
    else:
        print(f"ok {name}: {got.shape[0]} frames, max error {d.max()}, mean {d.mean():.4f}")


def probe(video):
    out = run("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
              "stream=codec_name,pix_fmt,width,height,nb_read_frames,r_frame_rate", "-of", "json", video)
    return json.loads(out)["streams"][0] if out else {}


def pattern(frames, w, h, c):
    """video_tool's pattern_value for every frame, [frames, h, w(, c)]."""
    k = np.arange(frames)[:, None, None, None]
    j = np.arange(h)[None, :, None, None]
    i = np.arange(w)[None, None, :, None]
    ch = np.arange(c)[None, None, None, :]
    square = ((i + 4 * k) // 16 + j // 16) % 3 == 0
    a = ((i + j + 2 * k) % 100 + 30 * ch + np.where(square, 60, 0)).astype(np.uint8)
    return a[..., 0] if c == 1 else a


# 1. A clip made by the ffmpeg tool: tessera's decoding against OpenCV's and ffmpeg's.
clip = work / "clip.mp4"
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
                "-pix_fmt", "yuv420p", "-c:v", "libx264", str(clip)], check=True)
cv = opencv_frames(clip)
if len(cv) != 50:
    failures.append(f"OpenCV decoded {len(cv)} frames of {clip.name}, the clip has 50")
cv_gray = np.array([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in cv])
compare("clip.mp4 gray: tessera vs OpenCV", dump(clip, 1), cv_gray, max_error=1)
rgb = dump(clip, 3)
compare("clip.mp4 RGB: tessera vs OpenCV", rgb, cv[..., ::-1], max_error=1)
compare("clip.mp4 RGB: tessera vs ffmpeg", rgb, ffmpeg_frames(clip, "rgb24", 240, 320), max_error=1)

# 2. Videos tessera writes: ffprobe counts the frames, ffmpeg and OpenCV decode them.
for name, channels, codec, pix_fmt in [("ours.mp4", 3, "h264", "yuv420p"), ("ours_gray.mp4", 1, "h264", "yuv420p"),
                                       ("ours.mkv", 3, "ffv1", "bgr0"), ("ours_gray.mkv", 1, "ffv1", "gray")]:
    video = work / name
    if run(tool, "write", video, 20, 160, 120, channels) is None:
        continue
    p = probe(video)
    got = {k: p.get(k) for k in ("codec_name", "pix_fmt", "width", "height", "nb_read_frames", "r_frame_rate")}
    want = {"codec_name": codec, "pix_fmt": pix_fmt, "width": 160, "height": 120, "nb_read_frames": "20",
            "r_frame_rate": "25/1"}
    if got != want:
        failures.append(f"ffprobe {name}: {got}, want {want}")
    else:
        print(f"ok ffprobe {name}: {got}")
    want_frames = pattern(20, 160, 120, channels)
    lossless = codec == "ffv1"
    ff = ffmpeg_frames(video, "gray" if channels == 1 else "rgb24", 120, 160)
    compare(f"{name}: ffmpeg vs the pattern", ff, want_frames, max_error=0 if lossless else 255,
            mean_error=None if lossless else 2.0)
    cv_frames = opencv_frames(video)
    if channels == 1:
        cv_frames = np.array([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in cv_frames])
    else:
        cv_frames = cv_frames[..., ::-1]
    # OpenCV reads gray as BGR and back: within 1 of the pattern even for the lossless files.
    compare(f"{name}: OpenCV vs the pattern", cv_frames, want_frames, max_error=1 if lossless else 255,
            mean_error=None if lossless else 2.0)

# 3. Decoding by key-frame segments: each segment's own decoder gives the bits one decoder of the
# whole file gives, for GOP structures made by the ffmpeg tool: closed GOPs with B-frames,
# open GOPs (leading pictures stored after the key frame that follows them), intra-only codecs,
# and containers with different seeking (mp4, mkv, avi, webm).
def segments(video, channels, min_frames):
    raw = work / f"{video.name}.{channels}.seg.raw"
    out = run(tool, "segments", video, channels, min_frames, raw)
    if out is None:
        return None, []
    lines = out.split("\n")
    parts = [tuple(map(int, line.split())) for line in lines[1:] if line.strip()]
    return raw.read_bytes(), parts


src = ["-f", "lavfi", "-i", "testsrc2=size=160x96:rate=25:duration=3"]  # 75 frames
# name, encoder options, GOP length, whether its packets carry timestamps to split by (AVI's
# carry none with B-frames: one segment, the documented fallback)
gops = [("closed_b.mp4", ["-c:v", "libx264", "-g", "12", "-bf", "3", "-pix_fmt", "yuv420p"], 12, True),
        ("open_gop.mkv", ["-c:v", "libx264", "-g", "12", "-bf", "3", "-x264-params", "open-gop=1", "-pix_fmt", "yuv420p"],
         12, True),
        ("mpeg2.mkv", ["-c:v", "mpeg2video", "-g", "10", "-bf", "2"], 10, True),
        ("vp9.webm", ["-c:v", "libvpx-vp9", "-g", "20", "-deadline", "realtime", "-cpu-used", "8"], 20, True),
        ("ffv1.nut", ["-c:v", "ffv1", "-g", "1", "-pix_fmt", "yuv420p"], 1, True),
        ("mpeg4_b.avi", ["-c:v", "mpeg4", "-g", "15", "-bf", "2"], 15, False)]
for name, codec, gop, timed in gops:
    video = work / name
    subprocess.run(["ffmpeg", "-v", "error", "-y", *src, *codec, str(video)], check=True)
    whole_raw = work / f"{name}.whole.raw"
    if run(tool, "dump", video, 1, whole_raw) is None:
        continue
    whole = whole_raw.read_bytes()
    for min_frames in (1, 2 * gop + 1):
        got, parts = segments(video, 1, min_frames)
        if got is None:
            continue
        counts = [c for _, c in parts]
        tiled = sum(counts) == 75 and all(f == sum(counts[:k]) for k, (f, _) in enumerate(parts))
        # A segment per key frame (min_frames 1: at least 75 / gop of them), or merged key-frame
        # intervals of at least min_frames each (the last may be shorter).
        sized = (not timed or len(parts) >= 75 // gop - 1) if min_frames == 1 else all(c >= min_frames for c in counts[:-1])
        split = len(parts) >= 2 if timed else len(parts) == 1
        if got != whole or not tiled or not sized or not split:
            failures.append(f"{name} segments (min_frames {min_frames}): {len(parts)} segments {parts}, "
                            f"same bytes as one decoder: {got == whole}, tile the video: {tiled}, sizes ok: {sized}")
        else:
            print(f"ok {name}: {len(parts)} segment(s) of >= {min_frames} frames, decoded apart, give the bytes of one "
                  "decoder of the whole file")

# 4. Files with no video in them, made by ffmpeg: a tone, and a tone with cover art (a one-picture
# "video" stream that is not a video).
tone, cover, picture = work / "tone.wav", work / "cover.mp3", work / "cover.png"
cv2.imwrite(str(picture), np.full((16, 16, 3), 200, np.uint8))
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=1", str(tone)], check=True)
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=1", "-i", str(picture), "-map", "0",
                "-map", "1", "-c:a", "libmp3lame", "-c:v", "png", "-disposition:v", "attached_pic", str(cover)],
               check=True)
for f in (tone, cover):
    r = subprocess.run([tool, "dump", str(f), "1", str(work / "none.raw")], capture_output=True, text=True)
    if r.returncode != 1 or f"video {f}: holds no video stream" not in r.stderr:
        failures.append(f"{f.name}: exit {r.returncode}, stderr {r.stderr.strip()!r}; want 'holds no video stream'")
    else:
        print(f"ok {f.name}: {r.stderr.strip()}")

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("video clients: PASSED")
