"""Checks the "blas" entry of a tessera-gemm summary.json (run in the app test's work directory):
a named OpenBLAS kernel, and "generic" exactly when a forced OPENBLAS_CORETYPE=Prescott runs on
an AVX2 CPU (the test that forces it is registered only there)."""
import json
import os
import sys

blas = json.load(open("out/gemm/summary.json"))["blas"]
errors = []
if blas["library"] != "OpenBLAS":
    errors.append(f"library {blas['library']!r}, expected OpenBLAS")
if not blas["kernel"]:
    errors.append("no kernel named")
if os.environ.get("OPENBLAS_CORETYPE", "").lower() == "prescott":
    if blas["kernel"] != "Prescott" or blas["generic"] is not True:
        errors.append(f"forced Prescott: expected kernel Prescott, generic true, got {blas}")
elif not isinstance(blas["generic"], bool):
    errors.append(f"generic is not a boolean: {blas}")
for e in errors:
    print("gemm_blas_check:", e)
sys.exit(1 if errors else 0)
