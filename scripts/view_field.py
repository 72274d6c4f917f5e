#!/usr/bin/python3
"""PNG picture of a 2D field, or of one slice of a 3D field, from an HDF5 output.

  /usr/bin/python3 scripts/view_field.py FILE.h5 [--dataset NAME] [--axis z|y|x] [--index K]
                                         [--output PNG] [--cmap NAME] [--vmin V --vmax V]

Datasets are stored C order, [nz,] ny, nx (DESIGN: i fastest), so the picture shows x to the
right and y up. --dataset defaults to the only dataset in the file, else /u. A 3D field is
cut at --index along --axis (default: the middle plane normal to z). --list prints the
datasets with their shapes. Reads with HDF5 file locking off, so a file on NFS or one that a
running job still holds open can be viewed.
"""
import argparse
import os
import sys

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
import h5py  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def datasets(f):
    out = []
    f.visititems(lambda name, obj: out.append(name) if isinstance(obj, h5py.Dataset) else None)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file")
    p.add_argument("--dataset")
    p.add_argument("--axis", choices=["x", "y", "z"], default="z")
    p.add_argument("--index", type=int)
    p.add_argument("--output")
    p.add_argument("--cmap", default="inferno")
    p.add_argument("--vmin", type=float)
    p.add_argument("--vmax", type=float)
    p.add_argument("--list", action="store_true")
    a = p.parse_args()
    with h5py.File(a.file, "r") as f:
        names = datasets(f)
        if a.list:
            for n in names:
                print(f"/{n} {f[n].shape} {f[n].dtype}")
            return 0
        name = a.dataset or (names[0] if len(names) == 1 else "u")
        if name.lstrip("/") not in names:
            sys.exit(f"view_field.py: {a.file} has no dataset {name} (it has: {', '.join('/' + n for n in names)})")
        data = f[name][...]
    title = f"{os.path.basename(a.file)}:/{name.lstrip('/')}"
    if data.ndim == 3:
        axis = {"z": 0, "y": 1, "x": 2}[a.axis]
        k = data.shape[axis] // 2 if a.index is None else a.index
        if not 0 <= k < data.shape[axis]:
            sys.exit(f"view_field.py: --index {k} outside 0..{data.shape[axis] - 1}")
        data = data.take(k, axis=axis)
        title += f" ({a.axis} = {k})"
    elif data.ndim != 2:
        sys.exit(f"view_field.py: {name} has {data.ndim} dimensions; 2 or 3 expected")
    out = a.output or os.path.splitext(a.file)[0] + f"-{name.strip('/').replace('/', '_')}.png"
    ny, nx = data.shape
    fig, ax = plt.subplots(figsize=(6, 6 * ny / nx + 0.6), constrained_layout=True)
    im = ax.imshow(data, origin="lower", cmap=a.cmap, vmin=a.vmin, vmax=a.vmax, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax.set_title(f"{title}\nmin {data.min():.4g}  max {data.max():.4g}", fontsize=9)
    ax.set_xlabel("i (x)")
    ax.set_ylabel("j (y)")
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
