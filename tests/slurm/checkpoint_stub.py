#!/usr/bin/env python3
"""Stand-in for a tessera app that keeps the checkpoint contract, for testing the job scripts.

  checkpoint_stub.py [--steps N] [--checkpoint-every K] [--restart auto|PATH] [--output DIR]
                     [--step-seconds S]

Contract (the same as tessera-heat's): a value evolves one step at a time; every K steps and on
SIGUSR1/SIGTERM (at the next step boundary) rank 0 writes DIR/checkpoint.json; after a signal
the program writes summary.json with "completed": false and exits 0; a finished run writes
result.json and summary.json with "completed": true. --restart auto resumes from the
checkpoint if there is one. Every rank runs the loop; only rank 0 writes.
"""
import argparse, json, os, signal, sys, time

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=100)
p.add_argument("--checkpoint-every", type=int, default=0)
p.add_argument("--restart", default="")
p.add_argument("--output", default="out/stub")
p.add_argument("--step-seconds", type=float, default=0.05)
a = p.parse_args()
rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMIX_RANK", os.environ.get("SLURM_PROCID", "0"))))
stop = []
signal.signal(signal.SIGUSR1, lambda s, f: stop.append("USR1"))
signal.signal(signal.SIGTERM, lambda s, f: stop.append("TERM"))

ckpt = os.path.join(a.output, "checkpoint.json")
step, value = 0, 1.0
if a.restart:
    path = ckpt if a.restart == "auto" else a.restart
    if os.path.exists(path):
        with open(path) as f:
            c = json.load(f)
        step, value = c["step"], float.fromhex(c["value"])
        print(f"stub: restart from step {step}", flush=True)
    elif a.restart != "auto":
        sys.exit(f"stub: error: --restart {path}: no such file")
os.makedirs(a.output, exist_ok=True)


def write(name, obj):
    if rank == 0:
        tmp = os.path.join(a.output, name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(obj, f)
        os.replace(tmp, os.path.join(a.output, name))


print(f"stub: rank {rank} running steps {step}..{a.steps}", flush=True)
while step < a.steps:
    time.sleep(a.step_seconds)
    value = value * 1.000001 + 1e-3 * step
    step += 1
    if (a.checkpoint_every and step % a.checkpoint_every == 0) or stop:
        write("checkpoint.json", {"step": step, "value": value.hex()})
    if stop and step < a.steps:
        write("summary.json", {"app": "stub", "completed": False, "step": step})
        print(f"stub: {stop[0]} -> checkpoint at step {step}, exiting", flush=True)
        sys.exit(0)
write("result.json", {"value": value.hex()})
write("summary.json", {"app": "stub", "completed": True, "step": step})
print(f"stub: completed {step} steps", flush=True)
