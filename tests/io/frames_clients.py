#!/usr/bin/env python3
"""Frame batches exchanged with other clients: folders of PNGs written by Pillow and HDF5 stacks
written by h5py are read by tessera (io::open_frame_set, read_frame) and copied into the stacks
that io::FrameStackWriter writes, which h5py reads back: shape, dtype, chunks, the `frames`
attribute and every value, also for a stack finished by a resumed run after a killed one.

usage: frames_clients.py FRAMES_CONVERT WORKDIR   (FRAMES_CONVERT: tests/io/frames_convert.cpp)
The copies are kept in WORKDIR. Exit 1 listing the failures.
"""
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np
from PIL import Image

tool, work = sys.argv[1], pathlib.Path(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
rng = np.random.default_rng(11)
failures = []


def frames(n, h, w, c, dtype):
    shape = (n, h, w) if c == 1 else (n, h, w, c)
    if dtype == np.float32:
        return (rng.standard_normal(shape) * 1e3).astype(np.float32)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


def convert(src, dst, *options, expect=0):
    r = subprocess.run([tool, str(src), str(dst), *options], capture_output=True, text=True)
    if r.returncode != expect:
        failures.append(f"{src} -> {dst.name} {' '.join(options)}: exit {r.returncode}, want {expect}: {r.stderr.strip()}")
        return None
    return r.stdout.split()


def check(name, dst, want):
    """dst (written by tessera) holds exactly `want`, laid out as FrameStackWriter promises."""
    with h5py.File(dst, "r") as f:
        d = f["frames"]
        # Gray frames are [n, h, w] whichever rank the input had.
        shape = want.shape[:3] if want.ndim == 4 and want.shape[3] == 1 else want.shape
        chunks = (1,) + shape[1:]
        problems = []
        if d.shape != shape or d.dtype != want.dtype:
            problems.append(f"shape {d.shape} {d.dtype}, want {shape} {want.dtype}")
        elif not np.array_equal(d[...], want.reshape(shape)):
            problems.append(f"{np.count_nonzero(d[...] != want.reshape(shape))} values differ")
        if d.chunks != chunks:
            problems.append(f"chunks {d.chunks}, want {chunks}")
        if d.attrs.get("frames") != shape[0]:
            problems.append(f"attribute frames = {d.attrs.get('frames')}, want {shape[0]}")
        if d.dtype.byteorder not in "<|=":
            problems.append(f"byte order {d.dtype.byteorder}")
    if problems:
        failures.append(f"{name}: " + "; ".join(problems))
    else:
        print(f"ok {name}")


# h5py writes stacks (contiguous, chunked, compressed; both ranks), tessera copies, h5py reads.
stacks = [("u8_gray", frames(5, 9, 13, 1, np.uint8), {}),
          ("u16_rgb_gzip", frames(4, 7, 10, 3, np.uint16), {"chunks": (2, 7, 5, 3), "compression": "gzip"}),
          ("f32_rgba_big_endian", frames(3, 6, 5, 4, np.float32).astype(">f4"), {}),
          ("u8_gray_rank4", frames(3, 5, 4, 1, np.uint8), {}),
          ("u8_gray_alpha", frames(6, 4, 4, 2, np.uint8), {"chunks": True})]
for name, a, options in stacks:
    src = work / f"h5py_{name}.h5"
    with h5py.File(src, "w") as f:
        f.create_dataset("frames", data=a, **options)
    dst = work / f"tessera_{name}.h5"
    info = convert(src, dst)
    if info is None:
        continue
    want_info = ["HDF5", "stack", str(a.shape[0]), str(a.shape[2]), str(a.shape[1]),
                 str(a.shape[3] if a.ndim == 4 else 1), {"u1": "uint8", "u2": "uint16", "f4": "float32"}[a.dtype.str[1:]]]
    if info != want_info:
        failures.append(f"{name}: tessera sees {info}, want {want_info}")
    check(f"h5py {src.name} -> tessera -> h5py", dst, a.astype(a.dtype.newbyteorder("=")))

# Pillow writes a folder of PNGs (and files that are not frames); a glob picks some of them.
folder = work / "pngs"
folder.mkdir()
rgb = frames(5, 8, 12, 3, np.uint8)
for k in [3, 0, 4, 1, 2]:
    Image.fromarray(rgb[k]).save(folder / f"shot_{k:03d}.png")
(folder / "notes.txt").write_text("not a frame")
Image.fromarray(rgb[0][:4]).save(folder / ".thumbnail.png")
info = convert(folder, work / "tessera_pngs.h5")
if info is not None and info != ["folder", "5", "12", "8", "3", "uint8"]:
    failures.append(f"pngs: tessera sees {info}")
check("pillow pngs/ -> tessera -> h5py", work / "tessera_pngs.h5", rgb)
gray16 = frames(4, 6, 7, 1, np.uint16)
for k in range(4):
    Image.fromarray(gray16[k]).save(folder / f"depth_{k}.png")
convert(f"{folder}/depth_?.png", work / "tessera_depth.h5")
check("pillow pngs/depth_?.png -> tessera -> h5py", work / "tessera_depth.h5", gray16)

# A run killed after two frames (flushed, never closed), then resumed for the rest.
src = work / "h5py_u16_gray_resume.h5"
a = frames(6, 5, 9, 1, np.uint16)
with h5py.File(src, "w") as f:
    f["frames"] = a
dst = work / "tessera_resumed.h5"
partial = pathlib.Path(str(dst) + ".partial")
convert(src, dst, "--frames", "4:6", "--kill", expect=3)
if dst.exists() or not partial.exists():
    failures.append(f"killed run: {dst.name} exists {dst.exists()}, partial exists {partial.exists()}")
else:
    with h5py.File(partial, "r") as f:  # a reader of the partial file sees the flushed frames
        if not np.array_equal(f["frames"][4:6], a[4:6]):
            failures.append("killed run: the partial file lacks the flushed frames")
convert(src, dst, "--frames", "0:4", "--resume")
if partial.exists():
    failures.append("resumed run: the partial file is still there")
check("h5py -> tessera killed, resumed -> h5py", dst, a)

# Errors a client may meet: a stack of the wrong rank, a folder of frames of two sizes.
src = work / "h5py_rank2.h5"
with h5py.File(src, "w") as f:
    f["frames"] = np.zeros((4, 4), np.uint8)
r = subprocess.run([tool, str(src), str(work / "never.h5")], capture_output=True, text=True)
if r.returncode != 1 or "dataset /frames has shape (4, 4)" not in r.stderr or (work / "never.h5.partial").exists():
    failures.append(f"rank-2 stack: exit {r.returncode}, {r.stderr.strip()!r}")
else:
    print("ok rank-2 stack refused")

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("all frame client checks passed")
