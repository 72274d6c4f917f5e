#!/usr/bin/env python3
"""Images exchanged with other clients: files written by OpenCV read by tessera (checked
through an HDF5 copy read with h5py), and files tessera writes read by OpenCV and h5py.

usage: image_clients.py IMAGE_CONVERT WORKDIR   (IMAGE_CONVERT: tests/io/image_convert.cpp)
Lossless formats must agree exactly; JPEG within a small error. Exit 1 listing the failures.
"""
import pathlib
import shutil
import subprocess
import sys

import cv2
import h5py
import numpy as np

tool, work = sys.argv[1], pathlib.Path(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
rng = np.random.default_rng(5)
failures = []


def image(dtype, channels, h=23, w=37):
    shape = (h, w) if channels == 1 else (h, w, channels)
    if dtype == np.float32:
        return (rng.standard_normal(shape) * 100).astype(np.float32)
    top = np.iinfo(dtype).max
    grad = np.linspace(0, top * 0.7, w)[None, :] + np.linspace(0, top * 0.2, h)[:, None]
    if channels > 1:
        grad = grad[:, :, None] + np.arange(channels) * top * 0.03
    return (grad + rng.integers(0, top // 10, shape)).clip(0, top).astype(dtype)


def to_cv(a):  # RGB(A) <-> OpenCV's BGR(A)
    return a[..., [2, 1, 0] + ([3] if a.shape[-1] == 4 else [])] if a.ndim == 3 and a.shape[-1] >= 3 else a


def convert(src, dst):
    r = subprocess.run([tool, str(src), str(dst)], capture_output=True, text=True)
    if r.returncode != 0:
        failures.append(f"{src.name} -> {dst.name}: {r.stderr.strip()}")
        return None
    return r.stdout.split()


def compare(name, got, want, tolerance=0.0):
    if got is None or got.shape != want.shape or got.dtype != want.dtype:
        failures.append(f"{name}: got {None if got is None else (got.shape, got.dtype)}, want {(want.shape, want.dtype)}")
    elif tolerance == 0 and not np.array_equal(got, want):
        failures.append(f"{name}: {np.count_nonzero(got != want)} values differ")
    elif tolerance > 0 and np.abs(got.astype(float) - want.astype(float)).mean() > tolerance:
        failures.append(f"{name}: mean error {np.abs(got.astype(float) - want.astype(float)).mean():.2f}")
    else:
        print(f"ok {name}")


# OpenCV writes, tessera reads (and copies to HDF5 for h5py).
cases = [("png", np.uint8, 1), ("png", np.uint8, 3), ("png", np.uint8, 4), ("png", np.uint16, 1),
         ("png", np.uint16, 3), ("png", np.uint16, 4), ("tiff", np.uint8, 3), ("tiff", np.uint16, 1),
         ("tiff", np.float32, 1), ("tiff", np.uint16, 4), ("bmp", np.uint8, 3), ("bmp", np.uint8, 1),
         ("pgm", np.uint8, 1), ("pgm", np.uint16, 1), ("ppm", np.uint8, 3), ("ppm", np.uint16, 3),
         ("jpg", np.uint8, 3), ("jpg", np.uint8, 1)]
for ext, dtype, c in cases:
    a = image(dtype, c)
    src = work / f"cv_{np.dtype(dtype).name}_{c}.{ext}"
    cv2.imwrite(str(src), to_cv(a))
    h5 = src.with_suffix(f".{ext}.h5")
    if convert(src, h5) is None:
        continue
    with h5py.File(h5, "r") as f:
        got = f["image"][...]
    if ext == "jpg":  # compare with OpenCV's own decoding of the same file
        want = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
        compare(f"opencv {src.name} -> tessera", got, to_cv(want), tolerance=1.0)
    else:
        compare(f"opencv {src.name} -> tessera", got, a)

# Pillow writes what OpenCV does not: palettes (with transparency), 1-bit gray, gray + alpha,
# colour-palette BMP, progressive JPEG. Palettes come back expanded.
from PIL import Image  # noqa: E402

rgb = image(np.uint8, 3)
pal = Image.fromarray(rgb).quantize(16)
pil_cases = [("pal.png", pal, {}, "RGB"), ("pal_trns.png", pal, {"transparency": 3}, "RGBA"),
             ("bits.png", Image.fromarray(rgb[..., 0] > 128), {}, "L"),
             ("la.png", Image.fromarray(image(np.uint8, 2), "LA"), {}, "LA"),
             ("pal.bmp", pal, {}, "RGB"), ("bits.bmp", Image.fromarray(rgb[..., 1] > 100), {}, "L"),
             ("progressive.jpg", Image.fromarray(rgb), {"progressive": True, "quality": 90}, "RGB")]
for name, img, options, mode in pil_cases:
    src = work / f"pil_{name}"
    img.save(src, **options)
    h5 = src.with_suffix(src.suffix + ".h5")
    if convert(src, h5) is None:
        continue
    with h5py.File(h5, "r") as f:
        got = f["image"][...]
    want = np.array(Image.open(src).convert(mode))
    compare(f"pillow {src.name} -> tessera", got, want, tolerance=1.0 if name.endswith(".jpg") else 0.0)

# tessera writes (from an HDF5 image h5py made), OpenCV and h5py read.
outs = [("png", np.uint8, 1), ("png", np.uint8, 2), ("png", np.uint8, 3), ("png", np.uint8, 4),
        ("png", np.uint16, 1), ("png", np.uint16, 3), ("png", np.uint16, 4), ("tif", np.uint8, 3),
        ("tif", np.uint16, 1), ("tif", np.float32, 1), ("tif", np.uint8, 4), ("bmp", np.uint8, 1),
        ("bmp", np.uint8, 3), ("bmp", np.uint8, 4), ("pgm", np.uint8, 1), ("pgm", np.uint16, 1),
        ("ppm", np.uint8, 3), ("ppm", np.uint16, 3), ("jpg", np.uint8, 3), ("h5", np.uint8, 3),
        ("h5", np.float32, 1)]
for ext, dtype, c in outs:
    a = image(dtype, c)
    src = work / f"h5py_{np.dtype(dtype).name}_{c}_{ext}.h5"
    with h5py.File(src, "w") as f:
        f["image"] = a
    dst = src.with_suffix(f".{ext}")
    if convert(src, dst) is None:
        continue
    if ext == "h5":
        with h5py.File(dst, "r") as f:
            d = f["image"]
            attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in d.attrs.items()}
            want = {"CLASS": "IMAGE", "IMAGE_VERSION": "1.2",
                    "IMAGE_SUBCLASS": "IMAGE_GRAYSCALE" if c == 1 else "IMAGE_TRUECOLOR"}
            if c > 1:
                want["INTERLACE_MODE"] = "INTERLACE_PIXEL"
            if attrs != want:
                failures.append(f"{dst.name}: attributes {attrs}, want {want}")
            compare(f"tessera {dst.name} -> h5py", d[...], a)
        continue
    got = cv2.imread(str(dst), cv2.IMREAD_UNCHANGED)
    if got is not None and c == 2 and got.ndim == 3 and got.shape[-1] == 4:
        got = got[..., [0, 3]]  # OpenCV opens gray + alpha as BGRA
    want = a
    if ext == "tif" and dtype == np.uint8 and c == 4:
        # OpenCV reads 8-bit RGBA TIFF through libtiff's TIFFReadRGBAImage, which premultiplies
        # the (unassociated, as written) alpha.
        want = a.copy()
        want[..., :3] = (a[..., :3].astype(int) * a[..., 3:] + 127) // 255
    if ext == "jpg":  # lossy: close to the original, and OpenCV decodes it as tessera does
        back = dst.with_suffix(".back.h5")
        if convert(dst, back) is not None:
            with h5py.File(back, "r") as f:
                compare(f"tessera {dst.name} -> opencv, same decoding", to_cv(got), f["image"][...], tolerance=1.0)
        compare(f"tessera {dst.name} -> opencv", to_cv(got), a, tolerance=5.0)
        continue
    compare(f"tessera {dst.name} -> opencv", None if got is None else to_cv(got), want)

for f in failures:
    print("FAIL", f)
print(f"image_clients: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
