# SPDX-License-Identifier: GPL-2.0
"""make test's KUnit results: each suite's KTAP from the guest parsed by the
kernel's own tools/testing/kunit/kunit.py (its parser), one test line per
suite."""

import json
import subprocess
import sys

from .vm import kernel_source


def parse_kunit(rep, build, results, prefix=""):
    kunit_py = kernel_source(build) / "tools/testing/kunit/kunit.py"
    files = sorted((results / "kunit").glob("*.ktap"))
    if not files:
        rep.fail(f"{prefix}kunit", "no KUnit suite ran in the guest (is CONFIG_KUNIT_DEBUGFS set?)")
        return
    for f in files:
        suite = prefix + f.stem
        r = subprocess.run([sys.executable, str(kunit_py), "parse", str(f), "--json"],
                           capture_output=True, text=True)
        try:
            counts = json.loads(r.stdout[r.stdout.index("{"):])["misc"]
        except (ValueError, KeyError):
            rep.fail(f"kunit: {suite}", "could not parse its KTAP", f.read_text()[-2000:])
            continue
        bad = counts["failed"] + counts["crashed"] + counts["errors"]
        if r.returncode == 0 and bad == 0 and counts["tests"] > 0:
            rep.ok(f"kunit: {suite}", f"{counts['passed']} passed, {counts['skipped']} skipped")
        else:
            failed = subprocess.run([sys.executable, str(kunit_py), "parse", "--failed", str(f)],
                                    capture_output=True, text=True).stdout
            rep.fail(f"kunit: {suite}", f"{counts['failed']} failed, {counts['crashed']} crashed, "
                     f"{counts['errors']} errors of {counts['tests']}", failed[-3000:])
