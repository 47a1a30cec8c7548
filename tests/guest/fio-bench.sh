#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fio-bench.sh DRIVER CTRL NAME RW BS QD RUNTIME RAMP [EXTRA...]: bind DRIVER to
# controller CTRL and run one fio job; JSON goes to $RESULT_DIR/NAME.json.
# The same options for every target (Documentation/rnvme/benchmark.rst).
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 name=$3 rw=$4 bs=$5 qd=$6 runtime=$7 ramp=$8
shift 8

disk=$(bind_driver "$ctrl" "$drv") || exit 1
echo none >"/sys/block/$disk/queue/scheduler" 2>/dev/null
fio_json "$RESULT_DIR/$name.json" --name="$name" --filename="/dev/$disk" \
	--ioengine=io_uring --direct=1 --rw="$rw" --bs="$bs" --iodepth="$qd" \
	--time_based --runtime="$runtime" --ramp_time="$ramp" --numjobs=1 \
	--norandommap --random_generator=lfsr --randrepeat=0 "$@"
