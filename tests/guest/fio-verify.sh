#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fio-verify.sh DRIVER CTRL [SIZE] [BS] [QD]: bind DRIVER to controller CTRL,
# write SIZE bytes with crc32c checksums and read them back verified.
# One definition for every driver (nvme, rnvme, cnvme).
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 size=${3:-64M} bs=${4:-4k} qd=${5:-16}

disk=$(bind_driver "$ctrl" "$drv") || exit 1
echo "controller $ctrl: $drv -> /dev/$disk"
fio_json "$RESULT_DIR/fio.json" --name=verify --filename="/dev/$disk" --direct=1 \
	--ioengine=io_uring --rw=randwrite --bs="$bs" --iodepth="$qd" --size="$size" \
	--verify=crc32c --verify_fatal=1 --verify_backlog=1024 --do_verify=1 \
	--randrepeat=0
echo "verify passed: $size in $bs blocks at QD $qd"
