#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare rnvme (Rust) with cnvme, its C twin: files, lines of code, features,
`unsafe` and module size, side by side.

Everything is measured: lines from the sources, features by one pattern per
driver over its driver code (a feature one driver lacks shows as missing),
sizes from a build tree (tools/build.sh's layout; "not built" without one).

    tools/compare.py [--build DIR] [--format text|rst|json]
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RDIR, CDIR = ROOT / "drivers/block/rnvme", ROOT / "drivers/block/cnvme"
DRIVERS = ("rnvme", "cnvme")

# (feature, rnvme pattern, cnvme pattern, scope): a feature is there when its
# pattern matches the driver's code (comments and strings removed). Scope
# "driver" leaves the KUnit code out and names the files that match; "tests"
# looks at the KUnit code and counts the matches. Patterns match uses, not
# definitions, and name only what a rename inside a driver leaves alone: the
# kernel's APIs (C and the kernel crate) and the NVMe specification's terms
# (opcodes, fields), never a function of the driver's own.
FEATURES = [
    ("MSI-X, else MSI, else INTx interrupts", r"IrqTypes::all\s*\(", r"\bPCI_IRQ_ALL_TYPES\b", "driver"),
    ("IRQ affinity spread over CPUs", r"alloc_irq_vectors_affinity", r"\bPCI_IRQ_AFFINITY\b", "driver"),
    ("one interrupt handler per I/O queue", r"impl\s+irq::Handler\s+for", r"\brequest_irq\s*\(", "driver"),
    ("blk-mq tag set", r"TagSet::new\s*\(", r"\bblk_mq_alloc_tag_set\s*\(", "driver"),
    ("blk-mq per-request data", r"type\s+RequestData\s*=", r"\bcmd_size\s*=", "driver"),
    ("PRP entries and lists", r"\bprp::", r"\bdptr\.prp2\b", "driver"),
    ("list pages from a DMA pool", r"\bDmaPool::new\s*\(", r"\bdma_pool_create\s*\(", "driver"),
    ("flush", r"Op::Flush\b", r"\bREQ_OP_FLUSH\b", "driver"),
    ("volatile write cache", r"\.write_cache\s*\(", r"\bBLK_FEAT_WRITE_CACHE\b", "driver"),
    ("FUA", r"\.is_fua\s*\(", r"\bREQ_FUA\b", "driver"),
    ("discard", r"Op::Discard\b", r"\bREQ_OP_DISCARD\b", "driver"),
    ("write zeroes", r"Op::WriteZeroes\b", r"\bREQ_OP_WRITE_ZEROES\b", "driver"),
    ("request retry (DNR clear)", r"\.requeue\s*\(", r"\bblk_mq_(requeue_request|add_to_requeue_list)\s*\(",
     "driver"),
    ("timeout handler", r"\bfn\s+timeout\s*\(", r"\benum\s+blk_eh_timer_return\b", "driver"),
    ("poll queues", r"\bfn\s+poll\s*\(", r"\bHCTX_TYPE_POLL\b|\.poll\s*=\s*\w", "driver"),
    ("shadow doorbells (Doorbell Buffer Config)", r"\bAdminOpcode::DoorbellBufferConfig\b",
     r"\bnvme_admin_dbbuf\b", "driver"),
    ("module parameters", r"\bparams\s*:\s*\{|\bmodule_param", r"\bmodule_param(_named|_cb|_array)?\s*\(",
     "driver"),
    ("KUnit suites", r"#\[kunit_tests\(", r"\bstruct\s+kunit_suite\b", "tests"),
]


def strip(lines, rust):
    """Returns the lines with comments removed and string literals emptied."""
    out, block = [], 0
    for line in lines:
        res, i, n = [], 0, len(line)
        while i < n:
            two = line[i:i + 2]
            if block:
                if two == "*/":
                    block, i = block - 1, i + 2
                elif rust and two == "/*":  # Rust block comments nest.
                    block, i = block + 1, i + 2
                else:
                    i += 1
            elif two == "/*":
                block, i = 1, i + 2
            elif two == "//":
                break
            elif line[i] == '"' or (not rust and line[i] == "'"):
                q, j = line[i], i + 1
                while j < n and line[j] != q:
                    j += 2 if line[j] == "\\" else 1
                res.append(q + q)
                i = j + 1
            else:
                res.append(line[i])
                i += 1
        out.append("".join(res))
    return out


def rust_test_lines(lines):
    """Returns the indices of the lines of the #[kunit_tests] modules, attributes included."""
    test = set()
    for i, line in enumerate(lines):
        if line.startswith("#[kunit_tests("):
            start = i
            while start > 0 and lines[start - 1].startswith("#["):
                start -= 1
            end = next((j for j in range(i, len(lines)) if lines[j].rstrip() == "}"), len(lines) - 1)
            test.update(range(start, end + 1))
    return test


class Source:
    """One source file: its lines, code lines and which of them are test code;
    name is its path under the driver's folder (io/recovery.rs)."""

    def __init__(self, path, top):
        self.path = path
        self.name = path.relative_to(top).as_posix()
        self.rust = path.suffix == ".rs"
        self.lines = path.read_text().splitlines()
        self.code = strip(self.lines, self.rust)
        if self.rust:
            self.test = rust_test_lines(self.lines)
        else:
            self.test = set(range(len(self.lines))) if "kunit" in path.name else set()

    def count(self, part=None):
        """Returns (total, blank, comment, code) lines of part: None, "driver" or "test"."""
        t = b = c = k = 0
        for i, (line, code) in enumerate(zip(self.lines, self.code)):
            if part and (i in self.test) != (part == "test"):
                continue
            t += 1
            if not line.strip():
                b += 1
            elif code.strip():
                k += 1
            else:
                c += 1
        return t, b, c, k

    def text(self, scope):
        """Returns the code of scope, "driver" or "tests", as one string."""
        return "\n".join(c for i, c in enumerate(self.code) if (i in self.test) == (scope == "tests"))


def sources():
    """Every source file of each driver, in subfolders too."""
    return {d: [Source(p, top) for p in sorted(top.rglob(pattern), key=lambda p: p.as_posix())]
            for d, top, pattern in (("rnvme", RDIR, "*.rs"), ("cnvme", CDIR, "*.[ch]"))}


def concern(src, driver):
    """What a file is about, the same for both drivers: its path under the
    driver's folder without suffix and without the driver's name as a prefix;
    the root file (the driver's name, or its name with _main) is ""."""
    key = src.name.rsplit(".", 1)[0]
    head, _, stem = key.rpartition("/")
    if stem == driver or stem == f"{driver}_main":
        stem = ""
    elif stem.startswith(f"{driver}_"):
        stem = stem[len(driver) + 1:]
    return f"{head}/{stem}" if head else stem


def cell(files, part="driver"):
    """Returns "a.c + a.h: N", N the code lines of part of files."""
    if not files:
        return "none"
    return f"{' + '.join(f.name for f in files)}: {sum(f.count(part)[3] for f in files)}"


def concerns(srcs):
    """Pairs each rnvme file with the cnvme files of the same concern (io.rs
    with io.c and io.h, rnvme.rs with cnvme.c or cnvme_main.c); tests apart."""
    rows, paired = [], set()
    for r in srcs["rnvme"]:
        key = concern(r, "rnvme")
        paired.add(key)
        rows.append((r.name.rsplit(".", 1)[0], cell([r]),
                     cell([c for c in srcs["cnvme"] if concern(c, "cnvme") == key and not c.test])))
    rows += [(c.name.rsplit(".", 1)[0], "none", cell([c])) for c in srcs["cnvme"]
             if concern(c, "cnvme") not in paired and not c.test]
    rtests = [r for r in srcs["rnvme"] if r.test]
    rows.append(("KUnit suites", f"#[kunit_tests] in {len(rtests)} .rs files: "
                 f"{sum(r.count('test')[3] for r in rtests)}",
                 cell([c for c in srcs["cnvme"] if c.test], "test")))
    return rows


def lines_table(srcs):
    rows = [("files (.rs; .c and .h)", *(f"{len(srcs[d])}" for d in DRIVERS))]
    for part, label in ((None, "all"), ("driver", "driver"), ("test", "KUnit test")):
        sums = {d: [sum(x) for x in zip(*(s.count(part) for s in srcs[d]))] for d in DRIVERS}
        rows.append((f"{label}: total lines", *(str(sums[d][0]) for d in DRIVERS)))
        if part is None:
            rows.append(("all: blank lines", *(str(sums[d][1]) for d in DRIVERS)))
            rows.append(("all: comment lines", *(str(sums[d][2]) for d in DRIVERS)))
        rows.append((f"{label}: code lines", *(str(sums[d][3]) for d in DRIVERS)))
    return rows


def features(srcs):
    rows = []
    for name, rpat, cpat, scope in FEATURES:
        cells = []
        for d, pat in zip(DRIVERS, (rpat, cpat)):
            hits = {s.name: len(re.findall(pat, s.text(scope))) for s in srcs[d]}
            where = [f for f, n in hits.items() if n]
            if scope == "tests":
                cells.append(f"{sum(hits.values())} suites" if where else "no")
            else:
                cells.append(f"yes ({', '.join(where)})" if where else "no")
        rows.append((name, *cells))
    return rows


UNSAFE = re.compile(r"\bunsafe\b\s*(\{|fn\b|impl\b|extern\b|trait\b|\()?")


def unsafe_kinds(code_lines):
    kinds = {}
    for line in code_lines:
        for m in UNSAFE.finditer(line):
            kind = {"{": "block", "fn": "fn", "impl": "impl", "extern": "extern", "trait": "trait",
                    "(": "attribute"}.get(m.group(1) or "", "other")
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def patch_added_rust(path):
    """Returns the added lines of the .rs files of a patch, comments removed."""
    files, cur = {}, None
    for line in path.read_text().splitlines():
        if line.startswith("+++ "):
            cur = line[4:].split("/", 1)[-1] if line[4:].endswith(".rs") else None
        elif cur and line.startswith("+"):
            files.setdefault(cur, []).append(line[1:])
    return [c for lines in files.values() for c in strip(lines, True)]


def fmt_kinds(kinds):
    total = sum(kinds.values())
    return f"{total}" + (f" ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))})" if total else "")


def unsafe_table(srcs):
    rkinds = unsafe_kinds(c for s in srcs["rnvme"] for c in s.code)
    # The cover letter (0000-cover-letter.patch) adds no code.
    patches = sorted(p for p in (ROOT / "patches").glob("*.patch") if not p.name.endswith("cover-letter.patch"))
    pkinds = unsafe_kinds(c for p in patches for c in patch_added_rust(p))
    na = "n/a (all C is unsafe in the Rust sense)"
    return [("unsafe in the driver's sources", fmt_kinds(rkinds), na),
            (f"unsafe in patches/*.patch ({len(patches)} patches, added .rs lines)", fmt_kinds(pkinds), na)]


def default_build():
    cache = os.environ.get("RNVME_CACHE", "/var/cache/rnvme")
    found = sorted(glob.glob(f"{cache}/linux-*/build-base"))
    return Path(found[-1]) if found else Path(cache) / "linux-7.3/build-base"


def size_of(ko):
    """Returns (.text section, Berkeley text) of a module, or None."""
    tool = shutil.which("llvm-size-19") or shutil.which("size")
    if not ko.is_file() or not tool:
        return None
    sysv = subprocess.run([tool, "-A", str(ko)], capture_output=True, text=True, check=True).stdout
    text = sum(int(f[1]) for f in (ln.split() for ln in sysv.splitlines()) if len(f) >= 2 and f[0] == ".text")
    berk = subprocess.run([tool, str(ko)], capture_output=True, text=True, check=True).stdout
    return text, int(berk.splitlines()[1].split()[0])


def size_table(build):
    cfg = (build / ".config").read_text() if (build / ".config").is_file() else ""
    mods = {"rnvme": build / "drivers/block/rnvme/rnvme.ko", "cnvme": build / "drivers/block/cnvme/cnvme.ko"}
    sizes = {d: size_of(ko) for d, ko in mods.items()}
    rows = [(label, *(str(sizes[d][i]) if sizes[d] else "not built" for d in DRIVERS))
            for i, label in enumerate((".text of the driver module (bytes)",
                                       "text of the driver module, as size reports"))]
    kunit_kos = sorted((build / "drivers/block/cnvme").rglob("*kunit*.ko"))
    kunit = [(ko.name, size_of(ko)) for ko in kunit_kos]
    rtests = "in rnvme.ko" if "CONFIG_RNVME_KUNIT_TEST=y" in cfg else "not built"
    rows.append(("KUnit suites' module: .text / text", rtests,
                 ", ".join(f"{name}: {size[0]} / {size[1]}" for name, size in kunit if size) or "not built"))
    return rows


def build_info(build):
    """Returns what the sizes were measured on: variant and kernel release, or why not."""
    try:
        info = json.loads((build / "rnvme-build.json").read_text())
        return f"{info['variant']} variant, Linux {info['kernelrelease']}"
    except (OSError, ValueError, KeyError):
        return "no build there"


def collect(build):
    srcs = sources()
    return {
        "build": str(build),
        "built": build_info(build),
        "sections": [
            ("Files, paired by concern (driver code lines)", concerns(srcs)),
            ("Lines of code (code lines: no blank or comment lines)", lines_table(srcs)),
            ("Features, detected in the driver code", features(srcs)),
            ("unsafe", unsafe_table(srcs)),
            ("Module size (from the build)", size_table(build)),
        ],
    }


def render_text(data):
    out = [f"rnvme vs cnvme; build: {data['build']} ({data['built']})"]
    for title, rows in data["sections"]:
        rows = [("", *DRIVERS)] + rows
        w = [max(len(r[i]) for r in rows) for i in range(3)]
        out += ["", title, "-" * len(title)]
        out += [f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]}".rstrip() for r in rows]
    return "\n".join(out)


def rst_cell(s):
    return "``" + s + "``" if re.search(r"[*`|]|_\b", s) else s


def render_rst(data):
    title = "rnvme and cnvme compared"
    out = [".. SPDX-License-Identifier: GPL-2.0", "", "=" * len(title), title, "=" * len(title), "",
           "rnvme (Rust) next to cnvme, its C twin with the same design.",
           "Generated by ``tools/compare.py``; regenerate this page with::", "",
           "    tools/compare.py --format rst --build $RNVME_CACHE/linux-7.3.4/build-bench-inline \\",
           "        >Documentation/rnvme/comparison.rst", "",
           "Line counts and features come from the sources; each feature is detected by one",
           "pattern per driver (``FEATURES`` in the script), so a feature one driver lacks",
           "shows as missing. The patterns name kernel APIs and NVMe terms, not the drivers'",
           "own functions, so that renaming a function does not hide a feature.",
           "Module sizes come from a build tree, here the",
           f"{data['built']}: in the base variant rnvme.ko also holds rnvme's KUnit suites,",
           "whereas cnvme's are in a module of their own (the bench variants, ``--build .../build-bench-inline``",
           "or ``.../build-bench``, have no tests)."]
    for title, rows in data["sections"]:
        out += ["", title, "=" * len(title), "", ".. list-table::", "   :header-rows: 1", ""]
        for r in [("", *DRIVERS)] + rows:
            out += [f"   * - {rst_cell(r[0])}".rstrip()] + [f"     - {rst_cell(c)}" for c in r[1:]]
    return "\n".join(out)


def render_json(data):
    def row(r):
        return dict(zip(("item", *DRIVERS), (int(c) if c.isdigit() else c for c in r)))

    return json.dumps({"build": data["build"], "built": data["built"],
                       "sections": {t: [row(r) for r in rows] for t, rows in data["sections"]}}, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, default=None, help="kernel build folder (default: the base build)")
    ap.add_argument("--format", choices=("text", "rst", "json"), default="text")
    args = ap.parse_args()
    data = collect(args.build or default_build())
    print({"text": render_text, "rst": render_rst, "json": render_json}[args.format](data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
