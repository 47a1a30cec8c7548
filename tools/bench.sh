#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's main command (make bench): install, fetch, build the bench
# kernel, boot it, run the benchmark, write build/bench/<timestamp>/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$RNVME_ROOT/tools/deps.sh"
build=$("$RNVME_ROOT/tools/build.sh" bench) || die "the bench kernel did not build (errors above)"
exec python3 "$RNVME_ROOT/tools/bench.py" --build "$build" "$@"
