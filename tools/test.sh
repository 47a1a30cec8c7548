#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's test command (make test): install, fetch, build, then every
# test (lint gates, guest tests, KUnit). Ends with "N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
"$RNVME_ROOT/tools/deps.sh"
if ! build=$("$RNVME_ROOT/tools/build.sh" base); then
	echo "FAIL build: the kernel or a driver did not build (errors above)"
	echo "0 passed, 1 failed"
	exit 1
fi
rc=0
python3 "$RNVME_ROOT/tools/test.py" --build "$build" "$@" || rc=$?
say "test command took $(($(date +%s) - t0)) s"
exit $rc
