#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmemleak.sh: run after the other tests on a kernel with kmemleak (the debug
# variant). Asks kmemleak to scan and fails if an unreferenced object was
# allocated on a path through rnvme, cnvme or the Rust blk-mq abstractions.
set -u
. "$(dirname "$0")/lib.sh"
f=/sys/kernel/debug/kmemleak
[ -e "$f" ] || fail "no $f: the kernel lacks CONFIG_DEBUG_KMEMLEAK"
# Objects are reported once unreferenced for 5 s, and after two scans.
sleep 6
echo scan >"$f" || fail "kmemleak scan failed"
echo scan >"$f" || fail "kmemleak scan failed"
report=$(cat "$f")
echo "$report" >"$RESULT_DIR/kmemleak.txt"
all=$(grep -c "unreferenced object" <<<"$report" || true)
ours=$(awk 'BEGIN { RS = "unreferenced object" } /rnvme|cnvme|5block2mq/ { n++ } END { print n + 0 }' <<<"$report")
echo "kmemleak: $all unreferenced objects in all, $ours on a path through rnvme, cnvme or kernel::block::mq"
[ "$ours" -eq 0 ] || fail "$ours leaked objects from our code (see kmemleak.txt)"
