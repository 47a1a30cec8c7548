#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bringup.sh DRIVER CTRL [BYTES] [LBA]: bind DRIVER (rnvme, cnvme) to
# controller CTRL without waiting for a disk, and check in the kernel log that
# it identified the controller (QEMU serial rnvme-ctrl<CTRL>) and its
# namespace 1 (BYTES, default 256 MiB, of LBA-byte blocks, default 512, as
# tools/test.py creates them); then unbind and check that the driver shut the
# controller down and let go without errors, warnings or crashes.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 bytes=${3:-$((256 << 20))} lba=${4:-512}
serial=rnvme-ctrl$ctrl
blocks=$((bytes / lba))

mark=$(kmsg_mark "bringup $drv controller $ctrl")
bdf=$(bind_only "$ctrl" "$drv") || exit 1
echo "controller $ctrl ($bdf): bound to $drv"
log=$(kmsg_since "$mark" | sed -E 's/^<[0-9]+>//')
echo "--- kernel log after binding"
grep -F "$bdf" <<<"$log"

# "<model>, serial <serial>, firmware <fr>, NN <nn>", then "<drv>Nn1: <blocks> sectors of
# <lba> bytes" for namespace 1 of controller instance N.
grep -qE "$bdf: .*, serial $serial, firmware " <<<"$log" || fail "no identify line with serial $serial for $bdf"
name=$(sed -nE "s/.* $bdf: ($drv[0-9]+)n1: $blocks sectors of $lba bytes.*/\1/p" <<<"$log" | tail -n1)
[ -n "$name" ] || fail "no namespace line '$bdf: ${drv}Nn1: $blocks sectors of $lba bytes'"
grep -qE "$bdf: [0-9]+ I/O queue pairs requested, [1-9][0-9]* granted" <<<"$log" ||
	fail "no I/O queue count for $name"
echo "$name identified: serial $serial, namespace 1 of $blocks blocks of $lba bytes"

unbind "$ctrl"
[ -z "$(ctrl_driver "$bdf")" ] || fail "$bdf is still bound to $(ctrl_driver "$bdf")"
log=$(kmsg_since "$mark")
echo "--- kernel log after unbinding"
sed -E 's/^<[0-9]+>//' <<<"$log" | grep -F "$bdf"
grep -qF "$bdf: shutdown complete" <<<"$log" || fail "$name did not report its shutdown"
problems=$(kmsg_problems <<<"$log")
[ -z "$problems" ] || fail "the kernel log shows problems:
$problems"
echo "$name unbound cleanly"
