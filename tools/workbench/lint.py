# SPDX-License-Identifier: GPL-2.0
"""make test's lint gates on the host: rustfmt and clippy over the patched
tree, checkpatch --strict over the C twin and the patch series."""

import os
import subprocess

from .vm import ROOT, kernel_source


def lint_gates(rep, build):
    src = kernel_source(build)
    llvm = os.environ.get("RNVME_LLVM", "-19")
    # rustfmt over the tree (the project's Rust is in it, patches applied).
    r = subprocess.run(["make", "-s", "-C", str(src), f"O={build}", f"LLVM={llvm}", "rustfmtcheck"],
                       capture_output=True, text=True)
    if r.returncode == 0:
        rep.ok("lint: rustfmtcheck")
    else:
        rep.fail("lint: rustfmtcheck", "rustfmt would change these files", (r.stdout + r.stderr)[-3000:])
    # clippy on the patched kernel crate, its block driver user rnull, and
    # rnvme: recompile them with CLIPPY=1, no warning allowed.
    dirs = ["rust/", "drivers/block/rnull/"] if list((ROOT / "patches").glob("*.patch")) else []
    if list((ROOT / "drivers/block/rnvme").glob("*.rs")):
        dirs.append("drivers/block/rnvme/")
    name = f"lint: clippy ({' '.join(dirs) or 'nothing'})"
    if not dirs:
        rep.skip(name, "nothing to check yet")
    else:
        lock = os.environ.get("RNVME_CACHE", "/var/cache/rnvme") + "/build.lock"
        r = subprocess.run(["flock", lock, "make", "-C", str(src), f"O={build}", f"LLVM={llvm}",
                            "CLIPPY=1", "-j2"] + dirs, capture_output=True, text=True)
        out = r.stdout + r.stderr
        warn = [ln for ln in out.splitlines() if ln.startswith(("warning", "error"))]
        if r.returncode == 0 and not warn:
            rep.ok(name)
        else:
            rep.fail(name, f"{len(warn)} warnings/errors", out[-4000:])
    # checkpatch --strict on the C twin and on the patch series.
    cp = [str(src / "scripts/checkpatch.pl"), "--strict", "--no-tree", "--quiet", "--show-types",
          "--ignore", "SPDX_LICENSE_TAG,FILE_PATH_CHANGES"]
    cfiles = sorted((ROOT / "drivers/block/cnvme").rglob("*.[ch]"))
    patches = sorted((ROOT / "patches").glob("*.patch"))
    for what, files, extra in (("C twin", cfiles, ["-f"]), ("patch series", patches, [])):
        name = f"lint: checkpatch --strict ({what})"
        if not files:
            rep.skip(name, "nothing to check yet")
            continue
        r = subprocess.run(cp + extra + [str(f) for f in files], capture_output=True, text=True)
        if r.returncode == 0:
            rep.ok(name, f"{len(files)} files")
        else:
            rep.fail(name, "checkpatch found problems", r.stdout[-4000:])
