# SPDX-License-Identifier: GPL-2.0
"""make test's compile-fail check: each snippet in tests/compile-fail/ misuses
the kernel crate's blk-mq or PCI interrupt abstractions in one way and must be
rejected by the compiler with the error its `// EXPECT:` line names; ok.rs,
the correct use of the same APIs, must build. Each snippet is built as an
external module against the patched tree of `build`."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .vm import ROOT, kernel_source

SNIPPETS = ROOT / "tests/compile-fail"


def expectations(path):
    """The `// EXPECT:` lines of a snippet: "compiles", or texts that must all
    be in the compiler's output."""
    want = [w.strip() for w in re.findall(r"^// EXPECT: (.+)$", path.read_text(), re.M)]
    if not want:
        raise ValueError(f"{path.name} has no // EXPECT: line")
    return want


def build_snippet(src, build, snippet, workdir):
    """Builds `snippet` as module compile_fail_snippet.ko in `workdir`;
    returns (exit status, compiler output)."""
    shutil.copy(snippet, workdir / "compile_fail_snippet.rs")
    shutil.copy(SNIPPETS / "common.rs", workdir / "common.rs")
    (workdir / "Makefile").write_text("obj-m := compile_fail_snippet.o\n")
    llvm = os.environ.get("RNVME_LLVM", "-19")
    r = subprocess.run(["make", "-C", str(src), f"O={build}", f"LLVM={llvm}", f"M={workdir}", "modules"],
                       capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def compile_fail(rep, build):
    src = kernel_source(build)
    snippets = sorted(p for p in SNIPPETS.glob("*.rs") if p.name != "common.rs")
    if not snippets:
        rep.skip("compile-fail", "no snippets in tests/compile-fail")
        return
    for snippet in snippets:
        name = f"compile-fail: {snippet.stem}"
        want = expectations(snippet)
        with tempfile.TemporaryDirectory(prefix="rnvme-cf-") as d:
            rc, out = build_snippet(src, build, snippet, Path(d))
        missing = [w for w in want if w not in out]
        if want == ["compiles"]:
            if rc == 0:
                rep.ok(name, "builds")
            else:
                rep.fail(name, "the correct use does not build", out[-3000:])
        elif rc == 0:
            rep.fail(name, f"the misuse compiled; expected: {want[0]}")
        elif not missing:
            rep.ok(name, want[0])
        else:
            errors = "\n".join(ln for ln in out.splitlines() if ln.startswith("error"))
            rep.fail(name, f"failed, but not with: {missing[0]}", errors[-3000:] or out[-3000:])
