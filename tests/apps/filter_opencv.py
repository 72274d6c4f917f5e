"""tessera-filter against OpenCV (cv2, Debian's python3-opencv) on the same pixels: the images are
written by cv2.imwrite, filtered by tessera-filter, and its PNG output read back by cv2.imread,
so both ends are a real client. Synthetic images (noise, edges, a gradient, a checkerboard) stacked
with the shipped photographs, 8-bit and 16-bit, gray and RGB, every border mode (8-bit gray; the
others the default and wrap). stencil.filters_opencv compares the kernels alone on more cases.

Usage: filter_opencv.py TESSERA_FILTER MPIEXEC DATA_DIR KIND [--quick]
KIND: u8-gray, u8-rgb, u16-gray; --quick (sanitizer builds): the synthetic image, border reflect101.
Gaussian, box, Sobel and Laplacian must be within 1 gray level everywhere with at least 99.9% of
the pixels exact; median must be exact; unsharp and kernel within 1 gray level."""
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

exe, mpiexec, data, kind = sys.argv[1:5]
quick = "--quick" in sys.argv[5:]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="PASSIVE")
work = tempfile.mkdtemp(prefix="tessera_filter_cv_")
depth, layout = kind.split("-")
dtype = np.uint8 if depth == "u8" else np.uint16
top = 255 if depth == "u8" else 65535
rng = np.random.default_rng(20261203)


def synthetic(h, w):
    """Noise | edges | gradient | checkerboard side by side: every kind of content in one image."""
    q = w // 4
    noise = rng.integers(0, top + 1, size=(h, q))
    yy, xx = np.mgrid[0:h, 0:q]
    edges = np.where((xx * 3 + yy * 2) % 23 < 11, top, 0) * (((xx // 7) % 2) * 0.6 + 0.4)
    gradient = (xx + yy) * top / (q + h)
    checker = np.where(((xx // 5) + (yy // 5)) % 2 == 0, top, top // 8)
    return np.concatenate([noise, edges, gradient, checker], axis=1).astype(dtype)


def photo(name):
    img = cv2.imread(os.path.join(data, "images", name), cv2.IMREAD_COLOR if layout == "rgb" else cv2.IMREAD_GRAYSCALE)
    assert img is not None, name
    if depth == "u16":  # 16-bit from the 8-bit photo: x 257 plus a low-order texture
        img = img.astype(np.uint16) * 257 + rng.integers(0, 257, size=img.shape).astype(np.uint16)
    return img


def stacked(*parts):
    """The parts one above the other, padded on the right to the widest: one image, one run per stage."""
    w = max(p.shape[1] for p in parts)
    pad = [np.pad(p, ((0, 0), (0, w - p.shape[1])) + ((0, 0),) * (p.ndim - 2)) for p in parts]
    return np.concatenate(pad, axis=0)


channels = 3 if layout == "rgb" else 1
synth = synthetic(61, 4 * 43) if channels == 1 else np.dstack([synthetic(61, 4 * 43) for _ in range(3)])
if quick:
    image = synth
elif layout == "gray" and depth == "u8":
    image = stacked(photo("camera.png"), synth, photo("coffee.png"))
else:
    image = stacked(photo("coffee.png") if layout == "rgb" else photo("camera.png"), synth)

CV_BORDER = {"reflect101": cv2.BORDER_REFLECT_101, "reflect": cv2.BORDER_REFLECT, "replicate": cv2.BORDER_REPLICATE,
             "constant": cv2.BORDER_CONSTANT, "wrap": cv2.BORDER_WRAP}
BORDER_VALUE = 0.3 * top


def derivative(d):
    """What tessera-filter stores for a derivative of an integer image: |d| rounded half to even, saturated."""
    return np.clip(np.rint(np.abs(d)), 0, top).astype(dtype)


def opencv(img, stage, border):
    """The cv2 calls the correspondence table of docs/filter.md gives for each stage."""
    b = CV_BORDER[border]
    if stage == "gaussian:sigma=0.8":
        return cv2.GaussianBlur(img, (0, 0), 0.8, borderType=b)
    if stage == "gaussian:sigma=2":
        return cv2.GaussianBlur(img, (0, 0), 2.0, borderType=b)
    if stage == "gaussian:sigma=3.3":
        return cv2.GaussianBlur(img, (0, 0), 3.3, borderType=b)
    if stage == "box:radius=2":
        return cv2.blur(img, (5, 5), borderType=b)
    f32 = cv2.CV_32F
    if stage == "sobel:output=dx":
        return derivative(cv2.Sobel(img, f32, 1, 0, ksize=3, borderType=b))
    if stage == "sobel:output=dy":
        return derivative(cv2.Sobel(img, f32, 0, 1, ksize=3, borderType=b))
    if stage == "sobel:output=magnitude":
        gx = cv2.Sobel(img, f32, 1, 0, ksize=3, borderType=b)
        gy = cv2.Sobel(img, f32, 0, 1, ksize=3, borderType=b)
        return derivative(cv2.magnitude(gx, gy))
    if stage == "laplacian:ksize=1":
        return derivative(cv2.Laplacian(img, f32, ksize=1, borderType=b))
    if stage == "laplacian:ksize=3":
        return derivative(cv2.Laplacian(img, f32, ksize=3, borderType=b))
    if stage == "unsharp:sigma=1.5,amount=0.7":
        blur = cv2.GaussianBlur(img, (0, 0), 1.5, borderType=b)
        return cv2.addWeighted(img, 1.7, blur, -0.7, 0)
    if stage == "kernel:values=1 2 -1;0 1 0;-2 0 1.5":
        k = np.array([[1, 2, -1], [0, 1, 0], [-2, 0, 1.5]], np.float32)
        return cv2.filter2D(img, -1, k, borderType=b)
    raise KeyError(stage)


def opencv_padded(img, stage, border, pad):
    """cv2 filters without BORDER_WRAP (and medianBlur, which only replicates): pad with the
    border by cv2.copyMakeBorder, filter, crop; the crop never sees the padded image's own border."""
    padded = cv2.copyMakeBorder(img, pad, pad, pad, pad, CV_BORDER[border], value=[BORDER_VALUE] * 4)
    if stage.startswith("median"):
        out = cv2.medianBlur(padded, 3 if stage.endswith("=1") else 5)
    else:
        out = opencv(padded, stage, "reflect101")
    return out[pad:-pad, pad:-pad]


STRICT = ["gaussian:sigma=0.8", "gaussian:sigma=2", "gaussian:sigma=3.3", "box:radius=2", "sobel:output=dx",
          "sobel:output=dy", "sobel:output=magnitude", "laplacian:ksize=1", "laplacian:ksize=3"]
EXACT = ["median:radius=1", "median:radius=2"]
LOOSE = ["unsharp:sigma=1.5,amount=0.7", "kernel:values=1 2 -1;0 1 0;-2 0 1.5"]

# Every border mode on 8-bit gray; the other kinds take the default and wrap (the borders are the
# same code for every pixel type: grid.border tests them all).
borders = list(CV_BORDER) if kind == "u8-gray" else ["reflect101", "wrap"]
if quick:  # sanitizer builds: the synthetic image, the default border
    borders = ["reflect101"]
failures = 0
worst = {}
for name, img in {"image": image}.items():
    src = os.path.join(work, f"{name}.png")
    assert cv2.imwrite(src, img)
    for border in borders:
        for stage in STRICT + EXACT + LOOSE:
            out = os.path.join(work, f"{name}-{border}.png")
            cmd = [mpiexec, "-np", "1", "--bind-to", "none", "-x", "OMP_NUM_THREADS=2", exe, "--input", src,
                   "--filter", stage, "--border", border, "--border-value", str(BORDER_VALUE), "--output", out,
                   "--quiet"]
            r = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"FAILED ({r.returncode}): {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
            ours = cv2.imread(out, cv2.IMREAD_UNCHANGED)
            os.remove(out)
            if border == "wrap" or stage in EXACT or (border == "constant" and stage.startswith("median")):
                ref = opencv_padded(img, stage, border, 16)
            elif border == "constant":
                # cv2's filters take BORDER_CONSTANT with value 0 only: pad with the value instead.
                ref = opencv_padded(img, stage, border, 16)
            else:
                ref = opencv(img, stage, border)
            assert ours is not None and ours.shape == ref.shape and ours.dtype == ref.dtype, (stage, ours, ref.shape)
            diff = np.abs(ours.astype(np.int64) - ref.astype(np.int64))
            exact = float(np.mean(diff == 0))
            key = stage
            worst[key] = min(worst.get(key, (1.0, 0))[0], exact), max(worst.get(key, (1.0, 0))[1], int(diff.max()))
            ok = (diff.max() == 0) if stage in EXACT else (diff.max() <= 1 and (stage in LOOSE or exact >= 0.999))
            if not ok:
                failures += 1
                print(f"MISMATCH {kind} {name} {border} {stage}: max |diff| {diff.max()}, exact {100 * exact:.3f}%")

print(f"{kind}: {image.shape} image, borders {borders}: per stage, least exact fraction and largest |diff|")
for stage, (exact, d) in worst.items():
    print(f"  {stage:40s} {100 * exact:8.3f}% exact   max |diff| {d}")
if failures:
    sys.exit(f"{failures} comparisons outside the tolerance")
print("all within tolerance")
