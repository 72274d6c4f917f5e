"""After --max-wall-time 4 (with --checkpoint-interval 0.5): summary.json says completed
false at a step that has a checkpoint, the wall time stayed below the limit, and no final
field was written."""
import json
import os

import h5py

s = json.load(open("out/heat/summary.json"))
assert s["completed"] is False and s["stop_reason"] == "--max-wall-time", s
assert 0 < s["step"] < s["steps"], s["step"]
assert s["wall_seconds"] < 4.0, s["wall_seconds"]
with h5py.File(f"out/heat/checkpoints/chk_{s['step']:09d}.h5", "r") as f:
    assert int(f.attrs["step"]) == s["step"] and f["fields/u"].shape == (64, 64)
assert not os.path.exists("out/heat/heat.h5")
# --checkpoint-interval 0.5 over ~3 s: at least one interval checkpoint before the final one.
assert s["checkpoints"]["count"] >= 2, s["checkpoints"]
print(f"stopped at step {s['step']} after {s['wall_seconds']:.2f} s: OK")
