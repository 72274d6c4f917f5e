"""Checks tessera-heat's outputs: HDF5 readable by h5py with the right shape and attributes,
an XDMF whose datasets exist with the shapes it states, a PNG, and summary.json fields."""
import json
import xml.etree.ElementTree as ET

import h5py
import numpy as np

out = "out/heat"
summary = json.load(open(f"{out}/summary.json"))
nx, ny = summary["config"]["cells"]
for key in ("app", "version", "ranks", "threads", "config", "wall_seconds", "timers", "rate", "check"):
    assert key in summary, key
assert summary["check"]["passed"] is True
assert summary["timers"]["stencil.heat"]["min"] <= summary["timers"]["stencil.heat"]["max"]

with h5py.File(f"{out}/heat.h5", "r") as f:
    u = f["u"][...]
    assert u.shape == (ny, nx), u.shape
    assert np.all(np.isfinite(u))
    assert f.attrs["step"] == summary["steps"]
    assert abs(f.attrs["time"] - summary["time"]) < 1e-15
    assert json.loads(f.attrs["config"])["cells"] == [nx, ny]
    # The sine mode keeps its shape: the peak is at the centre and the walls are near zero.
    assert u.argmax() == np.ravel_multi_index((ny // 2, nx // 2), u.shape) or u.max() - u[ny // 2, nx // 2] < 1e-2

root = ET.parse(f"{out}/heat.xdmf").getroot()
items = [d for d in root.iter("DataItem") if d.get("Format") == "HDF"]
assert items, "no HDF data items"
for item in items:
    fname, dset = item.text.strip().split(":")
    # 2D: "1 NY NX" like the mesh (ParaView reads "NY NX" as NY tuples of NX components)
    shape = tuple(int(x) for x in item.get("Dimensions").split())
    assert shape == (1, ny, nx), shape
    with h5py.File(f"{out}/{fname}", "r") as f:
        assert f[dset].shape == shape[1:], (dset, f[dset].shape, shape)
topo = root.find(".//Topology")
assert topo.get("TopologyType") == "3DCoRectMesh" and topo.get("Dimensions") == f"1 {ny} {nx}"
assert open(f"{out}/heat.png", "rb").read(8) == b"\x89PNG\r\n\x1a\n"
print("outputs OK")
