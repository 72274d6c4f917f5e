"""Checks the imbalance and communication report of a 2-rank tessera-heat run split along
axis 0 (--procs 2 1). An uneven split (cells[0] odd, e.g. 3: rank 0 owns 2 columns, one of
them interior; rank 1 owns 1, all shell) must show stencil.heat.interior's max/avg above 1.3;
an even split below 1.1. The traffic must be exact: one face message per rank and step, of
cells[1] doubles, to the other rank."""
import json

s = json.load(open("out/heat/summary.json"))
cfg = s["config"]
cells, steps = cfg["cells"], cfg["steps"]
assert s["ranks"] == 2 and cfg["procs"] == [2, 1], (s["ranks"], cfg["procs"])
interior = s["timers"]["stencil.heat.interior"]
factor = interior["imbalance"]
assert abs(factor - interior["max"] / interior["avg"]) < 1e-9, interior
uneven = cells[0] % 2 != 0
if uneven:
    assert factor > 1.3, f"uneven split {cells}: stencil.heat.interior max/avg {factor:.3f}, want > 1.3"
else:
    assert factor < 1.1, f"even split {cells}: stencil.heat.interior max/avg {factor:.3f}, want < 1.1"

comm = s["communication"]["stencil.heat"]
face_bytes = cells[1] * 8
assert comm["messages"] == 2 * steps, comm
assert comm["bytes"] == 2 * steps * face_bytes, comm
assert comm["bytes_rank_max"] == steps * face_bytes, comm
links = sorted((l["rank"], l["peer"], l["messages"], l["bytes"]) for l in comm["links"])
assert links == [(0, 1, steps, steps * face_bytes), (1, 0, steps, steps * face_bytes)], links
assert 0.0 <= s["halo_wait_fraction"] <= 1.0, s["halo_wait_fraction"]
print(f"imbalance ok: cells {cells}, stencil.heat.interior max/avg {factor:.3f}, "
      f"{comm['messages']} messages, halo wait fraction {s['halo_wait_fraction']:.2f}")
