# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the rnvme workbench scripts. Source it, do not run it.

RNVME_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything that survives between runs lives outside the repository.
RNVME_CACHE=${RNVME_CACHE:-/var/cache/rnvme}
RNVME_LLVM=${RNVME_LLVM:--19}
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm${RNVME_LLVM}/lib}
export PATH="$HOME/.cargo/bin:$PATH"

die() {
	echo "rnvme: error: $*" >&2
	exit 1
}

say() {
	echo "rnvme: $*" >&2
}

# Run a command quietly; on failure show the lines that explain it.
quiet_or_explain() {
	local log=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		echo "rnvme: error: '$*' failed; the relevant lines of $log:" >&2
		if ! grep -E -A3 'error(\[E[0-9]+\])?:|syntax error|unknown statement|undefined reference|ERROR:' "$log" \
			| head -60 >&2; then
			tail -20 "$log" >&2
		fi
		return 1
	fi
}
