#!/usr/bin/python3
"""Runs the commands a user page shows, as written: every line starting with '$ ' inside a
```console block of DOC, in order, with bash, in a fresh folder that holds a link to the
repository's data/ and scripts/ (the pages' commands name them as a user's checkout would), with the
build's bin/ first on PATH (the pages call tessera-<app> as installed) and Debian's /usr/bin
next (its python3 has the numpy and h5py the pages use). A command that exits
non-zero fails the test; lines of output shown in the page are not compared.

Usage: run_doc_commands.py DOC REPO_ROOT BIN_DIR"""
import os
import re
import subprocess
import sys
import tempfile

doc, root, bindir = sys.argv[1:4]
text = open(doc).read()
commands = []
for block in re.findall(r"```console\n(.*?)```", text, re.S):
    commands += [line[2:] for line in block.splitlines() if line.startswith("$ ")]
if not commands:
    sys.exit(f"{doc}: no ```console commands to run")
work = tempfile.mkdtemp(prefix="tessera_doc_")
for name in ("data", "scripts"):
    os.symlink(os.path.join(root, name), os.path.join(work, name))
env = dict(os.environ, PATH=os.pathsep.join([bindir, "/usr/bin", os.environ["PATH"]]), OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="PASSIVE")
for cmd in commands:
    print("$", cmd, flush=True)
    r = subprocess.run(["bash", "-c", cmd], cwd=work, env=env, capture_output=True, text=True)
    sys.stdout.write(r.stdout[-2000:] + r.stderr[-2000:])
    if r.returncode != 0:
        sys.exit(f"FAILED ({r.returncode}): {cmd}")
print(f"{len(commands)} commands of {os.path.basename(doc)} ran")
