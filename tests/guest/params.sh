#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# params.sh DRIVER CTRL: loading DRIVER (rnvme, cnvme) with a module parameter
# out of range fails, and the kernel log says which value and why; the limits
# themselves load, and controller CTRL then serves I/O with them. DRIVER is
# unloaded first and left loaded with its defaults.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2

# The possible CPUs, as the kernel counts them for poll_queues' limit.
cpus=$(python3 -c 'import sys
n = 0
for r in open("/sys/devices/system/cpu/possible").read().strip().split(","):
    a, _, b = r.partition("-")
    n += int(b or a) - int(a) + 1
print(n)')

# refused PARAM=VALUE MESSAGE: loading DRIVER with PARAM=VALUE must fail and
# log "DRIVER: PARAM=VALUE: MESSAGE".
refused() {
	local mark log want="$drv: $1: $2"
	mark=$(kmsg_mark "params $drv $1")
	if modprobe -d "$MODROOT" "$drv" "$1" 2>/dev/null; then
		fail "$drv loaded with $1"
	fi
	[ -e "/sys/module/$drv/initstate" ] && fail "$drv is loaded after a refused $1"
	log=$(kmsg_since "$mark" | sed -E 's/^<[0-9]+>//')
	grep -qF "$want" <<<"$log" || fail "no '$want' in the kernel log after loading with $1:
$log"
	echo "refused: $1 ($want)"
}

# served PARAM=VALUE...: DRIVER loads with these, and controller CTRL serves a
# short verified job.
served() {
	local disk
	reload_driver "$drv" "$@"
	disk=$(bind_driver "$ctrl" "$drv") || exit 1
	fio_json "$RESULT_DIR/fio-$1.json" --name=verify --filename="/dev/$disk" --direct=1 \
		--ioengine=io_uring --rw=randwrite --bs=4k --bsrange=4k-128k --size=8M --iodepth=8 \
		--verify=crc32c --verify_fatal=1 --do_verify=1
	echo "served with $*: $disk, verified"
	unbind "$ctrl"
}

# Unload DRIVER, and the modules that use it (cnvme_kunit), which come back at
# the end so that their KUnit results stay there for the harness.
load "$drv"
holders=()
for h in /sys/module/"$drv"/holders/*; do
	[ -e "$h" ] || continue
	holders+=("$(basename "$h")")
	rmmod "${holders[-1]}" || fail "cannot unload ${holders[-1]}"
done
for ((i = 0; i < NR_CONTROLLERS; i++)); do
	bdf=$(ctrl_bdf "$i") || exit 1
	[ "$(ctrl_driver "$bdf")" = "$drv" ] && unbind "$i"
done
rmmod "$drv" || fail "cannot unload $drv"

refused io_queue_depth=1 "must be between 2 and 4095"
refused io_queue_depth=4096 "must be between 2 and 4095"
refused io_queue_depth=0 "must be between 2 and 4095"
refused "poll_queues=$((cpus + 1))" "must be at most $cpus, the number of possible CPUs"

served io_queue_depth=2
served io_queue_depth=4095 "poll_queues=$cpus"
reload_driver "$drv"
for h in "${holders[@]}"; do
	load "$h"
done
echo "$drv: every bad value refused, the limits served"
