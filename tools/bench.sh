#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's main command (make bench): install, fetch, build the bench
# kernel, boot it, run the benchmark, write build/bench/<timestamp>/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The bench kernel with Rust's C helpers inlined (bench-inline:
# CONFIG_RUST_INLINE_HELPERS, built by the clang of rustc's LLVM, which
# tools/deps.sh installs) unless RNVME_BENCH_VARIANT=bench asks for the one
# built by the base toolchain, where every helper is a call. If that clang
# cannot be installed, the default falls back to bench and says so.
variant=${RNVME_BENCH_VARIANT:-bench-inline}
case "$variant" in
bench) "$RNVME_ROOT/tools/deps.sh" ;;
bench-inline)
	"$RNVME_ROOT/tools/deps.sh"
	if ! RNVME_LLVM=${RNVME_LLVM_INLINE:--22} "$RNVME_ROOT/tools/deps.sh"; then
		[ -z "${RNVME_BENCH_VARIANT:-}" ] ||
			die "bench-inline needs clang${RNVME_LLVM_INLINE:--22}, which could not be installed (above)"
		say "warning: clang${RNVME_LLVM_INLINE:--22} could not be installed: benchmarking the bench kernel, whose Rust calls every C helper"
		variant=bench
	fi
	;;
*) die "RNVME_BENCH_VARIANT must be bench or bench-inline, not '$variant'" ;;
esac
build=$("$RNVME_ROOT/tools/build.sh" "$variant") || die "the $variant kernel did not build (errors above)"
# Debian's interpreter, where tools/deps.sh installs python3-matplotlib for the
# plots; a python3 earlier on PATH (pyenv, a venv) may lack it.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import matplotlib' 2>/dev/null || die "$py cannot import matplotlib: install python3-matplotlib (tools/deps.sh)"
exec "$py" "$RNVME_ROOT/tools/bench.py" --build "$build" "$@"
