#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# poll-queues.sh DRIVER CTRL: load DRIVER with one poll queue, bind it to
# controller CTRL, and check that the disk offers polling, that it has a
# hardware queue of the poll type, and that io_uring hipri I/O (crc32c write
# and verify, queue depths 1 and 16) completes without interrupts: by polling.
# DRIVER is unloaded again at the end, so that later tests get its defaults.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2

# irqs: the interrupts taken so far by the lines whose name contains DRIVER
# (the controller under test is the only one bound to it).
irqs() {
	awk -v d="$drv" 'index($NF, d) { for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts
}

mark=$(kmsg_mark poll-queues "$drv")
reload_driver "$drv" poll_queues=1
disk=$(bind_driver "$ctrl" "$drv") || exit 1
read -r poll <"/sys/block/$disk/queue/io_poll"
[ "$poll" = 1 ] || fail "$disk: queue/io_poll is $poll: no poll queue"
mapfile -t pq < <(hctx_of "$disk" poll)
[ "${#pq[@]}" -ge 1 ] || fail "$disk has no hardware queue of type poll"
mapfile -t dq < <(hctx_of "$disk" default)
echo "$disk: ${#dq[@]} default and ${#pq[@]} poll hardware queues"

before=$(irqs)
for qd in 1 16; do
	fio_json "$RESULT_DIR/hipri-qd$qd.json" --name="hipri-qd$qd" --filename="/dev/$disk" \
		--direct=1 --ioengine=io_uring --hipri=1 --rw=randwrite --bs=4k --iodepth="$qd" \
		--size=16M --verify=crc32c --verify_fatal=1 --randseed="$qd" || exit 1
done
after=$(irqs)
# 2 x 4096 writes of 4 KiB and as many verifying reads: by interrupt, there
# would be thousands.
echo "interrupts of $drv during 16384 polled I/Os: $((after - before))"
[ $((after - before)) -lt 200 ] || fail "$((after - before)) interrupts: the I/O was not polled"

unbind "$ctrl"
reload_driver "$drv"
problems=$(kmsg_since "$mark" | kmsg_problems)
[ -z "$problems" ] || fail "kernel log: $problems"
echo "polled I/O through $drv verified"
