#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stale-completion.sh DRIVER CTRL: check that DRIVER ends a request only on a
# completion that carries its command identifier, tag and generation, while
# the request is in flight.
#
# One 4 KiB read is kept in flight: the block layer's fail_io_timeout fault
# injection drops its completion (QEMU has transferred the data by then), and
# io_timeout is 60 s so that the timeout handler stays out of the way. Then,
# through the driver's debugfs file <drv><instance>/inject_completion (built with
# CONFIG_CNVME_COMPLETION_INJECT or its rnvme twin), completions are injected
# as if the controller had posted them:
#   a. the read's tag with another generation: dropped and reported, the
#      read stays in flight;
#   b. a tag past the queue depth (4095): dropped and reported, likewise;
#   c. the read's identifier: the read ends successfully;
#   d. the same identifier again: dropped and reported, nothing else.
# Then a crc32c pattern written before must read back intact, and the kernel
# log must show no warning (WARNING:), error line or crash.
# Without the debugfs file (a kernel built without it) the test is skipped.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2
[ -d /sys/kernel/debug/fail_io_timeout ] || fail "the kernel lacks CONFIG_FAIL_IO_TIMEOUT"

mark=$(kmsg_mark stale-completion "$drv")
disk=$(bind_driver "$ctrl" "$drv") || exit 1
# The controller's instance, as in its disk's name: rnvme0n1 is rnvme0's.
inject=/sys/kernel/debug/${disk%n*}/inject_completion
if [ ! -e "$inject" ]; then
	unbind "$ctrl"
	skip "no $inject: $drv was built without completion injection"
fi

ddpid="" qid="" cid=""
# On the way out, leave no read in flight for the next test: end it.
cleanup() {
	[ -e "/sys/block/$disk/io-timeout-fail" ] && echo 0 >"/sys/block/$disk/io-timeout-fail"
	if [ -n "$ddpid" ] && kill -0 "$ddpid" 2>/dev/null; then
		[ -n "$cid" ] && echo "$qid $cid" 2>/dev/null >"$inject"
		wait "$ddpid" 2>/dev/null
	fi
}
trap cleanup EXIT

fio_json "$RESULT_DIR/write.json" --name=pattern --filename="/dev/$disk" --direct=1 \
	--ioengine=io_uring --rw=write --bs=64k --iodepth=8 --size=8M \
	--verify=crc32c --do_verify=0 --verify_state_save=0 --randseed=42 || exit 1

listed=$(cat "$inject") || fail "cannot read $inject"
[ -z "$listed" ] || fail "commands in flight on an idle disk: $listed"

echo 60000 >"/sys/block/$disk/queue/io_timeout" || fail "cannot set io_timeout"
drop_next_completion "$disk"
dd if="/dev/$disk" of=/dev/null bs=4k count=1 skip=100 iflag=direct status=none &
ddpid=$!
for ((n = 0; n < 100; n++)); do
	listed=$(cat "$inject")
	[ -n "$listed" ] && break
	sleep 0.1
done
echo 0 >"/sys/block/$disk/io-timeout-fail"
[ -n "$listed" ] || fail "no command in flight 10 s after the read whose completion is dropped"
[ "$(wc -l <<<"$listed")" -eq 1 ] || fail "more than one command in flight: $listed"
read -r qid cid <<<"$listed"
[[ "$qid" =~ ^[0-9]+$ && "$cid" =~ ^[0-9]+$ ]] || fail "$inject lists '$listed', not '<qid> <cid>'"
echo "read in flight with its completion dropped: queue $qid, command $cid ($(printf '%#x' "$cid"))"

# still_in_flight WHAT: the read must still be in flight after WHAT.
still_in_flight() {
	local now ios
	now=$(cat "$inject")
	[ "$now" = "$qid $cid" ] || fail "after $1, $inject lists '$now' instead of '$qid $cid'"
	ios=$(awk '{ print $1 + $2 }' "/sys/block/$disk/inflight")
	[ "$ios" -gt 0 ] || fail "after $1, /sys/block/$disk/inflight shows no request in flight"
	kill -0 "$ddpid" 2>/dev/null || fail "after $1, the read finished"
}

# inject_dropped WHAT QID CID: inject a completion of CID on queue QID; print a
# log mark for reported.
inject_dropped() {
	local what=$1 q=$2 c=$3
	kmsg_mark "stale-completion $what"
	echo "$q $c" >"$inject" || fail "$what: writing '$q $c' to $inject failed"
}

# reported WHAT MARK QID CID: the driver must have reported the completion of
# CID on queue QID, injected after MARK, with a warning that names CID in hex.
reported() {
	local what=$1 m=$2 q=$3 c=$4 hex log
	hex=$(printf '%#x' "$c")
	log=$(kmsg_since "$m" | sed -E 's/^<[0-9]+>//')
	# "completion for unknown command <hex>" or "completion for command <hex> ..."
	grep -E "queue $q: completion for (unknown )?command $hex( |\$)" <<<"$log" |
		sed 's/^/    log: /'
	grep -qE "queue $q: completion for (unknown )?command $hex( |\$)" <<<"$log" ||
		fail "$what: no warning 'queue $q: completion for [unknown ]command $hex' in the log"
}

# a. The read's tag in another generation: a late completion of an earlier issue.
stale=$((cid ^ (1 << 12)))
m=$(inject_dropped "a stale generation" "$qid" "$stale") || exit 1
still_in_flight "a completion of $stale (stale generation)"
reported "a stale generation" "$m" "$qid" "$stale"
echo "a. stale generation $stale: dropped, the read is still in flight"

# b. A tag no queue has.
m=$(inject_dropped "an unknown tag" "$qid" 4095) || exit 1
still_in_flight "a completion of 4095 (unknown tag)"
reported "an unknown tag" "$m" "$qid" 4095
echo "b. unknown tag 4095: dropped, the read is still in flight"

# c. The right identifier: the read ends; its data was transferred already.
echo "$qid $cid" >"$inject" || fail "writing '$qid $cid' to $inject failed"
for ((n = 0; n < 100; n++)); do
	kill -0 "$ddpid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$ddpid" 2>/dev/null && fail "the read is still in flight 10 s after the completion of $cid"
wait "$ddpid"
rc=$?
ddpid=""
[ "$rc" -eq 0 ] || fail "the read ended with exit status $rc after the completion of $cid"
listed=$(cat "$inject")
[ -z "$listed" ] || fail "commands still in flight after the read ended: $listed"
echo "c. command $cid: the read ended successfully"

# d. The same completion again: a duplicate.
m=$(inject_dropped "a duplicate" "$qid" "$cid") || exit 1
listed=$(cat "$inject")
[ -z "$listed" ] || fail "commands in flight after a duplicate completion: $listed"
reported "a duplicate" "$m" "$qid" "$cid"
echo "d. duplicate $cid: dropped"

# Bad lines are refused.
for line in "" "1" "x 1" "1 x" "0 1" "1 65536" "$((qid + 1000)) 1"; do
	if echo "$line" >"$inject" 2>/dev/null; then
		fail "$inject took the line '$line'"
	fi
done

fio_json "$RESULT_DIR/verify.json" --name=pattern --filename="/dev/$disk" --direct=1 \
	--ioengine=io_uring --rw=read --bs=64k --iodepth=8 --size=8M \
	--verify=crc32c --verify_only=1 --verify_fatal=1 --randseed=42 || exit 1
unbind "$ctrl"
[ ! -e "$inject" ] || fail "$inject is still there after unbinding"
left=$(grep -c " $drv\$" /proc/interrupts || true)
[ "$left" -eq 0 ] || fail "$left interrupt lines of $drv still requested"
problems=$(kmsg_since "$mark" | kmsg_problems)
[ -z "$problems" ] || fail "the kernel log shows problems:
$problems"
echo "stale, unknown and duplicate completions dropped; data intact"
