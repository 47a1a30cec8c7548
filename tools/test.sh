#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's test command (make test): install, fetch, build, then every
# test (lint gates, guest tests, KUnit), and the driver tests again on the
# debug kernel. Ends with "N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
"$RNVME_ROOT/tools/deps.sh"
if ! build=$("$RNVME_ROOT/tools/build.sh" base); then
	echo "FAIL build: the kernel or a driver did not build (errors above)"
	echo "0 passed, 1 failed"
	exit 1
fi
# The debug kernel (KASAN, lockdep, DMA-API debug, kmemleak) runs the driver
# tests a second time; RNVME_DEBUG_KERNEL=0 skips it.
debug=()
if [ "${RNVME_DEBUG_KERNEL:-1}" != 0 ]; then
	if ! dbuild=$("$RNVME_ROOT/tools/build.sh" debug); then
		echo "FAIL build: the debug kernel or a driver did not build (errors above)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	debug=(--debug-build "$dbuild")
fi
rc=0
python3 "$RNVME_ROOT/tools/test.py" --build "$build" "${debug[@]}" "$@" || rc=$?
say "test command took $(($(date +%s) - t0)) s"
exit $rc
