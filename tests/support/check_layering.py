#!/usr/bin/env python3
"""Checks that no module's headers or sources include a module above it in the DAG.

The DAG is read from cmake/TesseraHelpers.cmake (set(TESSERA_MODULE_DEPS_<m> ...)), the same
table CMake enforces on target links. Also checks that core's public headers include neither
CLI11 nor nlohmann/json (they belong to the run layer). Exit 1 with one line per violation.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
helpers = (root / "cmake" / "TesseraHelpers.cmake").read_text()
dag = {m: set(deps.split()) for m, deps in
       re.findall(r'set\(TESSERA_MODULE_DEPS_(\w+)\s*"?([^")]*)"?\)', helpers)}
if not dag:
    sys.exit("check_layering: no module DAG found in cmake/TesseraHelpers.cmake")

include_re = re.compile(r'^\s*#\s*include\s*[<"]tessera/(\w+)/', re.M)
foreign_re = re.compile(r'^\s*#\s*include\s*[<"](CLI/|nlohmann/|toml\+\+/)', re.M)
problems = []
for module, allowed in dag.items():
    for tree in (root / "include" / "tessera" / module, root / "src" / module):
        for path in sorted(tree.rglob("*")) if tree.is_dir() else []:
            if path.suffix not in (".hpp", ".cpp", ".h"):
                continue
            text = path.read_text()
            for used in include_re.findall(text):
                if used != module and used not in allowed:
                    problems.append(f"{path.relative_to(root)}: {module} includes tessera/{used}/ "
                                    f"(allowed: {', '.join(sorted(allowed)) or 'none'})")
            if module == "core" and tree.parts[-2] == "tessera":
                for lib in foreign_re.findall(text):
                    problems.append(f"{path.relative_to(root)}: core's public header includes {lib}")
for p in problems:
    print(p)
print(f"layering: {len(dag)} modules checked, {len(problems)} violation(s)")
sys.exit(1 if problems else 0)
