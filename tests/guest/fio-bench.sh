#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fio-bench.sh [-p PARAM=VALUE]... TARGET CTRL NAME RW BS QD NUMJOBS RUNTIME RAMP [FIO_OPTION...]
#
# Set up TARGET and run one fio job on it; fio's JSON goes to
# $RESULT_DIR/NAME.json (the host parses it and checks it for errors), what
# the target looks like to the block layer to $RESULT_DIR/device. One script
# for every target, with the same fio options
# (Documentation/rnvme/benchmark.rst); FIO_OPTION adds to them (--hipri=1).
#
# TARGET: an NVMe PCI driver (nvme, rnvme, cnvme), bound to controller CTRL;
#         null_blk or rnull, memory-less block devices (CTRL is "-").
# -p PARAM=VALUE: a module parameter of the NVMe driver or null_blk, an
#         attribute of the rnull configfs device; applied when the module is
#         loaded or the device created, checked when it already is.
#
# Idempotent: the first run of a boot for a (TARGET, CTRL, parameters) sets it
# up and records it under /run/rnvme-bench; later runs reuse it after a
# fork-free check (under TCG every fork costs tens of milliseconds, and a
# benchmark run is several seconds).
set -u
. "$(dirname "$0")/lib.sh"

usage="usage: fio-bench.sh [-p PARAM=VALUE]... TARGET CTRL NAME RW BS QD NUMJOBS RUNTIME RAMP [FIO_OPTION...]"
params=()
while getopts p: opt; do
	case $opt in
	p) params+=("$OPTARG") ;;
	*) fail "$usage" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 9 ] || fail "$usage"
target=$1 ctrl=$2 name=$3 rw=$4 bs=$5 qd=$6 numjobs=$7 runtime=$8 ramp=$9
shift 9

# set_up: set the target up; print "DISK BDF" (BDF "-" for null_blk and rnull).
set_up() {
	local disk bdf=-
	case $target in
	null_blk) disk=$(setup_null_blk "${params[@]}") || exit 1 ;;
	rnull) disk=$(setup_rnull rnull0 "${params[@]}") || exit 1 ;;
	*)
		load_params "$target" "${params[@]}"
		disk=$(bind_driver "$ctrl" "$target") || exit 1
		bdf=$(ctrl_bdf "$ctrl") || exit 1
		;;
	esac
	local q=/sys/block/$disk/queue
	[ -w "$q/scheduler" ] && echo none >"$q/scheduler" 2>/dev/null
	case "$(cat "$q/scheduler")" in
	none | *"[none]"*) ;;
	*) fail "$disk: could not select the scheduler none ($(cat "$q/scheduler"))" ;;
	esac
	echo "$disk $bdf"
}

state=/run/rnvme-bench/$target-$ctrl
disk= bdf= want="${params[*]}"
if [ -r "$state" ]; then
	{ read -r disk bdf && read -r had; } <"$state"
	# Still the same device with the same parameters?
	if [ "$had" != "$want" ] || [ ! -b "/dev/$disk" ] ||
		{ [ "$bdf" != - ] && [ ! -e "/sys/bus/pci/drivers/$target/$bdf" ]; }; then
		disk=
	fi
fi
if [ -z "$disk" ]; then
	read -r disk bdf < <(set_up) || exit 1
	[ -n "$disk" ] || exit 1
	q=/sys/block/$disk/queue
	mkdir -p /run/rnvme-bench
	{
		echo "$disk $bdf"
		echo "$want"
		echo "target=$target disk=$disk pci=$bdf hw_queues=$(ls "/sys/block/$disk/mq" | wc -l)" \
			"nr_requests=$(cat "$q/nr_requests") logical_block_size=$(cat "$q/logical_block_size")" \
			"io_poll=$(cat "$q/io_poll" 2>/dev/null) scheduler=$(cat "$q/scheduler")"
	} >"$state"
fi
{ read -r _ && read -r _ && read -r info; } <"$state"
echo "$info" >"$RESULT_DIR/device"

case " $* " in
*" --hipri"*)
	read -r poll <"/sys/block/$disk/queue/io_poll"
	[ "$poll" = 1 ] || fail "$target ($disk) has no poll queues: a polled run would not poll"
	;;
esac

fio --output-format=json --output="$RESULT_DIR/$name.json" --name="$name" --filename="/dev/$disk" \
	--ioengine=io_uring --direct=1 --rw="$rw" --bs="$bs" --iodepth="$qd" \
	--numjobs="$numjobs" --group_reporting \
	--time_based --runtime="$runtime" --ramp_time="$ramp" \
	--norandommap --random_generator=lfsr --randrepeat=0 \
	--fixedbufs=1 --registerfiles=1 "$@" || fail "fio exited $?"
