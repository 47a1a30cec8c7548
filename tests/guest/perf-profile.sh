#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# perf-profile.sh TARGET CTRL SECONDS [FIO_OPTION...]: bind the NVMe driver
# TARGET to controller CTRL and profile the whole guest with perf (cpu-clock,
# a software event, so it works under TCG) while fio runs 4 KiB random reads
# at queue depth 32 (FIO_OPTION adds to or overrides that). Writes
# $RESULT_DIR/fio.json and report.txt (perf.data stays in the guest: perf
# cannot write it to the 9p share): the symbols by share of
# samples, with their module.
set -u
. "$(dirname "$0")/lib.sh"
target=$1 ctrl=$2 secs=$3
shift 3
command -v perf >/dev/null || fail "no perf on the host"
disk=$(bind_driver "$ctrl" "$target") || exit 1
echo none >"/sys/block/$disk/queue/scheduler" 2>/dev/null
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
for q in /sys/block/"$disk"/mq/*; do
	echo "hctx $(basename "$q"): cpus $(cat "$q/cpu_list")"
done >"$RESULT_DIR/layout.txt"
grep -E "$target|CPU" /proc/interrupts >"$RESULT_DIR/irqs-before.txt"
perf record -a -e cpu-clock -F 997 -o /run/perf.data -- \
	fio --output-format=json --output="$RESULT_DIR/fio.json" --name=profile \
	--filename="/dev/$disk" --ioengine=io_uring --direct=1 --rw=randread --bs=4k \
	--iodepth=32 --time_based --runtime="$secs" --ramp_time=1 --norandommap \
	--random_generator=lfsr --randrepeat=0 --fixedbufs=1 --registerfiles=1 "$@" \
	>"$RESULT_DIR/perf-record.log" 2>&1 || { cat "$RESULT_DIR/perf-record.log" >&2; fail "perf record or fio failed"; }
perf report -q -i /run/perf.data --stdio --no-children --sort dso,sym \
	--percent-limit 0.3 >"$RESULT_DIR/report.txt" 2>/dev/null || fail "perf report failed"
grep -E "$target|CPU" /proc/interrupts >"$RESULT_DIR/irqs-after.txt"
unbind "$ctrl"
head -40 "$RESULT_DIR/report.txt"
