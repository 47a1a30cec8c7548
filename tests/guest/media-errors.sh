#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# media-errors.sh DRIVER CTRL TRANSIENT PERSISTENT: controller CTRL's backend
# (QEMU blkdebug, see tools/workbench/guest_tests.py) fails the first read of
# 512-byte sector TRANSIENT and every read of sector PERSISTENT, which the
# controller reports as Unrecovered Read Error without Do Not Retry. DRIVER
# (nvme, rnvme, cnvme) must retry the first away: the read succeeds; fail a
# read of the second after its retries, in a bounded time, with the medium
# error (BLK_STS_MEDIUM, which a direct read returns as ENODATA, "No data
# available"), as upstream nvme does; serve the sectors around it and a verified job afterwards; and log nothing worse
# than the block layer's and the driver's errors about that one read.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 transient=$3 persistent=$4

modprobe -n -d "$MODROOT" "$drv" 2>/dev/null || skip "no $drv module in this build"
mark=$(kmsg_mark "media-errors $drv controller $ctrl")
disk=$(bind_driver "$ctrl" "$drv") || exit 1
echo "controller $ctrl: $drv, disk $disk"

# read_at SECTOR: read 4 KiB from 512-byte sector SECTOR with direct I/O.
read_at() {
	dd if="/dev/$disk" of=/dev/null iflag=direct bs=512 skip="$1" count=8 2>"$RESULT_DIR/dd.err"
}

read_at "$transient" || fail "the read of sector $transient failed: the driver did not retry \
the transient error ($(cat "$RESULT_DIR/dd.err"))"
echo "sector $transient: the transient error was retried away"

start=$(date +%s.%N)
if read_at "$persistent"; then
	fail "the read of sector $persistent succeeded, but every read of it fails"
fi
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
grep -q "No data available" "$RESULT_DIR/dd.err" ||
	fail "the read of sector $persistent failed otherwise than with a medium error (ENODATA): \
$(cat "$RESULT_DIR/dd.err")"
echo "sector $persistent: medium error (ENODATA) after ${took} s"

for s in $((persistent - 8)) $((persistent + 8)) 0 "$transient"; do
	read_at "$s" || fail "the read of sector $s failed after the error at $persistent"
done
echo "the sectors around $persistent, and sectors 0 and $transient, read back"

fio_json "$RESULT_DIR/fio.json" --name=verify --filename="/dev/$disk" --direct=1 \
	--ioengine=io_uring --rw=randwrite --bsrange=4k-64k --size=16M --iodepth=8 \
	--verify=crc32c --verify_fatal=1 --do_verify=1
echo "a verified job over the first 16 MiB passed"

unbind "$ctrl"
# The errors about the failed read name its sector (the block layer) or its
# LBA (nvme); anything else is a problem.
problems=$(kmsg_since "$mark" | grep -vE "(sector|LBA) $persistent\b" | kmsg_problems)
[ -z "$problems" ] || fail "the kernel log shows problems:
$problems"
echo "$drv: transient error retried, persistent error failed alone as a medium error, log clean"
