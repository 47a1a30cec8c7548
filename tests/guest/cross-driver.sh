#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cross-driver.sh DRIVER CTRL [BLOCK_SIZES]: data written through DRIVER reads back
# identically through upstream nvme after rebinding the controller, and the other
# way round, for each fio block size of BLOCK_SIZES (space-separated, default 64k:
# requests of several segments; 4k requests are single segments).
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 sizes=${3:-64k}

# cross SRC_DRIVER CHECK_DRIVER SEED BS: write a pattern with one, verify with the other.
cross() {
	local w=$1 r=$2 seed=$3 bs=$4 disk
	disk=$(bind_driver "$ctrl" "$w") || exit 1
	fio_json "$RESULT_DIR/write-$w.json" --name="w-$w" --filename="/dev/$disk" --direct=1 \
		--ioengine=io_uring --rw=write --bs="$bs" --iodepth=8 --size=100% \
		--verify=crc32c --do_verify=0 --verify_state_save=0 --randseed="$seed" || exit 1
	unbind "$ctrl"
	disk=$(bind_driver "$ctrl" "$r") || exit 1
	fio_json "$RESULT_DIR/read-$r.json" --name="w-$w" --filename="/dev/$disk" --direct=1 \
		--ioengine=io_uring --rw=read --bs="$bs" --iodepth=8 --size=100% \
		--verify=crc32c --verify_only=1 --verify_fatal=1 --randseed="$seed" || exit 1
	echo "written by $w, verified through $r ($bs blocks)"
	unbind "$ctrl"
}
for bs in $sizes; do
	cross "$drv" nvme 1234 "$bs"
	cross nvme "$drv" 5678 "$bs"
done
