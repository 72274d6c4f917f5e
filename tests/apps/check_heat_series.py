"""Reads what tessera-heat wrote with plain h5py and an XML parser, as a user would: every
snapshot and checkpoint, every dataset the XDMF files name (with the shape they state), the
mesh geometry and times, PNGs, and no file writable by others.

usage: check_heat_series.py OUTPUT_DIR   (a run with --snapshot-every, --snapshot-png and
--checkpoint-every)
"""
import glob
import json
import os
import stat
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np

out = sys.argv[1]
s = json.load(open(os.path.join(out, "summary.json")))
cfg = s["config"]
cells = cfg["cells"]
dim = len(cells)
shape = tuple(reversed(cells))  # C order: [nz,] ny, nx
dt = s["dt"]
spacing = [e / n for e, n in zip(cfg["extent"], cells)]
every = cfg["snapshot-every"]
steps = list(range(0, s["steps"] + 1, every))


def check_xdmf(path, expect_times):
    root = ET.parse(path).getroot()
    grids = [g for g in root.iter("Grid") if g.get("GridType") == "Uniform"]
    assert len(grids) == len(expect_times), (path, len(grids), len(expect_times))
    for g, t in zip(grids, expect_times):
        assert abs(float(g.find("Time").get("Value")) - t) <= 1e-12 * max(1.0, t), (g.find("Time").get("Value"), t)
        topo = g.find("Topology")
        assert topo.get("TopologyType") == "3DCoRectMesh"
        mesh = tuple(int(x) for x in topo.get("Dimensions").split())
        assert mesh == ((1,) + shape if dim == 2 else shape), mesh
        origin, step = [[float(x) for x in d.text.split()] for d in g.find("Geometry").findall("DataItem")]
        # z y x, nodes at cell centres
        for axis in range(dim):
            assert abs(origin[2 - axis] - 0.5 * spacing[axis]) < 1e-15, origin
            assert abs(step[2 - axis] - spacing[axis]) < 1e-15, step
        item = g.find("Attribute").find("DataItem")
        fname, dset = item.text.strip().split(":")
        dims = tuple(int(x) for x in item.get("Dimensions").split())
        with h5py.File(os.path.join(os.path.dirname(path), fname), "r") as f:
            assert dset in f, (fname, dset)
            # 2D: the DataItem says "1 NY NX" like the mesh, over an [NY, NX] dataset
            assert f[dset].shape == shape and dims == mesh, (dset, f[dset].shape, dims, mesh)
            assert np.all(np.isfinite(f[dset][...]))
    return len(grids)


n = check_xdmf(os.path.join(out, "snapshots.xdmf"), [k * dt for k in steps])
check_xdmf(os.path.join(out, "heat.xdmf"), [s["steps"] * dt])
with h5py.File(os.path.join(out, "snapshots.h5"), "r") as f, h5py.File(os.path.join(out, "heat.h5"), "r") as h:
    assert sorted(int(k) for k in f["snapshots"]) == steps
    for k in steps:
        g = f[f"snapshots/{k:09d}"]
        assert int(g.attrs["step"]) == k and abs(g.attrs["time"] - k * dt) <= 1e-15 * max(1, k)
    last = f[f"snapshots/{steps[-1]:09d}/u"][...]
    assert last.tobytes() == h["u"][...].tobytes(), "the last snapshot is the final field"
chks = sorted(glob.glob(os.path.join(out, "checkpoints", "chk_*.h5")))
assert len(chks) == min(cfg["keep-checkpoints"], s["checkpoints"]["count"]), chks
with h5py.File(chks[-1], "r") as f, h5py.File(os.path.join(out, "heat.h5"), "r") as h:
    assert f.attrs["format"] == b"tessera-checkpoint" and int(f.attrs["format_version"]) == 1  # fixed-length
    assert int(f.attrs["step"]) == s["steps"] and f.attrs["dt"] == dt
    assert list(f.attrs["cells"]) == cells and json.loads(f.attrs["config"])["cells"] == cells
    u = f["fields/u"]
    assert u.fletcher32 and u.chunks is not None, "checkpoint data is checksummed"
    assert u[...].tobytes() == h["u"][...].tobytes(), "checkpoint at the end holds the final field"
pngs = sorted(glob.glob(os.path.join(out, "png", "heat_*.png")))
assert len(pngs) == len(steps), pngs
for p in pngs:
    assert open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n", p
for dirpath, dirs, files in os.walk(out):
    for name in dirs + files:
        mode = os.stat(os.path.join(dirpath, name)).st_mode
        assert not mode & stat.S_IWOTH, f"{name} is writable by others ({oct(mode)})"
print(f"{out}: {n} snapshots, {len(chks)} checkpoints, XDMF datasets and shapes, PNGs, permissions OK")
