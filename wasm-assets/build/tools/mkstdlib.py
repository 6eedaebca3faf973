"""Build eryx's stdlib.zip deterministically (run with the native build python of the same version).

The archive holds the runtime stdlib laid out as <prefix>/lib/python3.14 expects it: every .py file
(trimmed of tests, GUI, packaging helpers) plus a .pyc under __pycache__ compiled with
unchecked-hash invalidation (so no mtime/stat checks at import time), and the wasm build's
_sysconfigdata module. Entries are sorted, time stamps fixed, permissions normalised.
"""
import argparse
import importlib.util
import os
import sys
import time
import zipfile
from importlib import _bootstrap_external

EXCLUDE_DIRS = {
    "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "pydoc_data", "lib2to3",
    "__phello__", "site-packages", "__pycache__",
}
EXCLUDE_FILES = {"turtle.py"}  # needs tkinter
RUNTIME_LIB = "/usr/local/lib/python%d.%d" % sys.version_info[:2]


def collect(lib):
    files = {}
    for root, dirs, names in os.walk(lib):
        rel_root = os.path.relpath(root, lib)
        dirs[:] = [d for d in dirs if d not in EXCLUDE_DIRS]
        for n in names:
            if n in EXCLUDE_FILES and rel_root == ".":
                continue
            if n.endswith((".pyc", ".pyo", ".exe", ".dll")):
                continue
            rel = os.path.normpath(os.path.join(rel_root, n)).replace(os.sep, "/")
            with open(os.path.join(root, n), "rb") as f:
                files[rel] = f.read()
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--sysconfigdata", required=True)
    ap.add_argument("--strip-prefix", default=None, help="OLD=NEW replaced in _sysconfigdata")
    ap.add_argument("--epoch", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-pyc", action="store_true")
    a = ap.parse_args()

    files = collect(a.lib)
    with open(a.sysconfigdata, "rb") as f:
        data = f.read()
    if a.strip_prefix:
        old, new = a.strip_prefix.split("=", 1)
        data = data.replace(old.encode(), new.encode())
    files[os.path.basename(a.sysconfigdata)] = data

    if not a.no_pyc:
        tag = sys.implementation.cache_tag
        for rel, src in list(files.items()):
            if not rel.endswith(".py"):
                continue
            try:
                code = compile(src, RUNTIME_LIB + "/" + rel, "exec", dont_inherit=True, optimize=0)
            except SyntaxError as e:
                print("skipping pyc for", rel, e, file=sys.stderr)
                continue
            pyc = _bootstrap_external._code_to_hash_pyc(code, importlib.util.source_hash(src), checked=False)
            d, n = os.path.split(rel)
            files[(d + "/" if d else "") + "__pycache__/" + n[:-3] + "." + tag + ".pyc"] = bytes(pyc)

    # An empty lib-dynload/ keeps getpath from warning about <exec_prefix> when unpacked.
    files["lib-dynload/"] = b""
    date_time = time.gmtime(max(a.epoch, 315532800))[:6]
    tmp = a.out + ".tmp"
    with zipfile.ZipFile(tmp, "w") as z:
        for rel in sorted(files):
            zi = zipfile.ZipInfo(rel, date_time)
            zi.create_system = 3
            if rel.endswith("/"):
                zi.external_attr = (0o40755 << 16) | 0x10
                z.writestr(zi, b"", compress_type=zipfile.ZIP_STORED)
                continue
            zi.external_attr = 0o100644 << 16
            z.writestr(zi, files[rel], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(tmp, a.out)
    n_py = sum(1 for r in files if r.endswith(".py"))
    n_pyc = sum(1 for r in files if r.endswith(".pyc"))
    print(f"{a.out}: {len(files)} entries ({n_py} .py, {n_pyc} .pyc)")


if __name__ == "__main__":
    main()
