#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bind-cycles.sh DRIVER CTRL N: bind and unbind DRIVER N times, with a little
# I/O each time; afterwards no MSI-X vector of the controller may still be
# requested, slab memory may not have grown by more than 1 MiB (on a kernel
# without kmemleak; with it, the kmemleak test checks leaks), and the kernel
# log must be clean.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 n=$3

slab() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
bdf=$(ctrl_bdf "$ctrl") || exit 1
mark=$(kmsg_mark bind-cycles)
# One cycle first, so that one-time allocations (module, caches) are not counted.
disk=$(bind_driver "$ctrl" "$drv") || exit 1
unbind "$ctrl"
echo 3 >/proc/sys/vm/drop_caches
before=$(slab)
for i in $(seq "$n"); do
	disk=$(bind_driver "$ctrl" "$drv") || exit 1
	dd if="/dev/$disk" of=/dev/null bs=4k count=16 iflag=direct status=none || fail "read failed in cycle $i"
	unbind "$ctrl"
done
echo 3 >/proc/sys/vm/drop_caches
after=$(slab)
echo "slab: $before kB before, $after kB after $n cycles"
if [ -e /sys/kernel/debug/kmemleak ]; then
	# The debug kernel: KASAN's quarantine keeps freed objects for a while, so
	# slab use says little; the kmemleak test checks for leaks instead.
	echo "slab growth not checked: kmemleak runs on this kernel"
else
	[ $((after - before)) -le 1024 ] || fail "slab grew by $((after - before)) kB over $n cycles"
fi
left=$(grep -c "$drv" /proc/interrupts || true)
[ "$left" -eq 0 ] || fail "$left interrupt lines of $drv still requested"
problems=$(kmsg_since "$mark" | kmsg_problems)
[ -z "$problems" ] || fail "kernel log: $problems"
echo "$n bind/unbind cycles clean"
