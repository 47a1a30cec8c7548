#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# timeout.sh DRIVER CTRL EXPECT: make the device's completion of one read get
# lost (the block layer's fail_io_timeout fault injection) and check what
# DRIVER's timeout handling makes of it, then that no data was lost.
#
# EXPECT says what the read must end with:
#   eio      the driver gives up on the controller: the read fails with an I/O
#            error after at most a few timeout periods, and so does later I/O
#            (rnvme and cnvme: one more period, then the controller is disabled)
#   recover  the driver resets the controller and the read succeeds (nvme)
# Either way the kernel log must show no warning or crash, the timeout must be
# logged, and after a rebind a crc32c pattern written before reads back intact.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 expect=$3
[ -d /sys/kernel/debug/fail_io_timeout ] || fail "the kernel lacks CONFIG_FAIL_IO_TIMEOUT"

mark=$(kmsg_mark timeout "$drv")
disk=$(bind_driver "$ctrl" "$drv") || exit 1
fio_json "$RESULT_DIR/write.json" --name=pattern --filename="/dev/$disk" --direct=1 \
	--ioengine=io_uring --rw=write --bs=64k --iodepth=8 --size=8M \
	--verify=crc32c --do_verify=0 --verify_state_save=0 --randseed=42 || exit 1

echo 1000 >"/sys/block/$disk/queue/io_timeout" || fail "cannot set io_timeout"
drop_next_completion "$disk"
start=$(date +%s.%N)
dd if="/dev/$disk" of=/dev/null bs=4k count=1 skip=100 iflag=direct status=none
rc=$?
end=$(date +%s.%N)
echo 0 >"/sys/block/$disk/io-timeout-fail"
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
echo "read with a lost completion: exit status $rc after $secs s"
log=$(kmsg_since "$mark")
echo "$log" | grep -iE "timed? ?out|timeout" | sed 's/^/    log: /'
echo "$log" | grep -qiE "timed? ?out|timeout" || fail "the timeout was not logged"
case "$expect" in
eio)
	[ "$rc" -ne 0 ] || fail "the read succeeded, expected an I/O error"
	awk -v s="$secs" 'BEGIN { exit !(s < 10) }' || fail "the read took $secs s, expected a few timeout periods"
	if dd if="/dev/$disk" of=/dev/null bs=4k count=1 iflag=direct status=none; then
		fail "I/O still succeeds after the driver gave up on the controller"
	fi
	;;
recover)
	[ "$rc" -eq 0 ] || fail "the read failed with $rc, expected the driver to recover"
	;;
*) fail "unknown expectation $expect" ;;
esac

# Rebind: a fresh probe must bring the controller back, with the data intact.
unbind "$ctrl"
disk=$(bind_driver "$ctrl" "$drv") || exit 1
fio_json "$RESULT_DIR/verify.json" --name=pattern --filename="/dev/$disk" --direct=1 \
	--ioengine=io_uring --rw=read --bs=64k --iodepth=8 --size=8M \
	--verify=crc32c --verify_only=1 --verify_fatal=1 --randseed=42 || exit 1
unbind "$ctrl"
left=$(grep -c " $drv\$" /proc/interrupts || true)
[ "$left" -eq 0 ] || fail "$left interrupt lines of $drv still requested"
# Error lines are expected here; warnings, crashes and leaks are not.
problems=$(kmsg_since "$mark" | grep -E 'WARNING:|BUG[: ]|Oops|Call Trace|general protection|KASAN|UBSAN|suspected memory leak' || true)
[ -z "$problems" ] || fail "kernel log: $problems"
echo "timeout handled ($expect), data intact after rebind"
