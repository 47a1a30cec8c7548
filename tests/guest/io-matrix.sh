#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# io-matrix.sh DRIVER CTRL REF_CTRL [SIZE]: bind DRIVER to controller CTRL and
# upstream nvme to the identical controller REF_CTRL; check both disks report
# the same capacity and block size; then run fio crc32c write+verify jobs over
# the whole namespace (or its first SIZE, a fio --size) with block sizes from
# the logical block size up to the largest transfer the disk accepts, and
# queue depths 1 to 64.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 ref=$3 size=${4:-100%}

disk=$(bind_driver "$ctrl" "$drv") || exit 1
rdisk=$(bind_driver "$ref" nvme) || exit 1
for a in size queue/logical_block_size queue/physical_block_size; do
	ours=$(cat "/sys/block/$disk/$a") theirs=$(cat "/sys/block/$rdisk/$a")
	echo "$a: $drv $ours, nvme $theirs"
	[ "$ours" = "$theirs" ] || fail "$a differs: $drv $ours, nvme $theirs"
done
dev=$(readlink -f "/sys/block/$disk/device")
[ "$(basename "$dev")" = "$(ctrl_bdf "$ctrl")" ] || fail "/sys/block/$disk/device is $dev, not the PCI function"

lbs=$(cat "/sys/block/$disk/queue/logical_block_size")
max_kb=$(cat "/sys/block/$disk/queue/max_hw_sectors_kb")
echo "logical block $lbs B, largest transfer $max_kb KiB"
bs=$lbs
qds=(1 4 16 64)
i=0
while [ "$bs" -le $((max_kb * 1024)) ]; do
	qd=${qds[$((i % ${#qds[@]}))]}
	echo "fio: bs $bs QD $qd over $size of the namespace"
	fio_json "$RESULT_DIR/verify-$bs-$qd.json" --name="verify-$bs" --filename="/dev/$disk" \
		--direct=1 --ioengine=io_uring --rw=randwrite --bs="$bs" --iodepth="$qd" \
		--size="$size" --verify=crc32c --verify_fatal=1 --verify_backlog=1024 --do_verify=1 \
		--randrepeat=0 || exit 1
	bs=$((bs * 2))
	i=$((i + 1))
done
# One more job mixing every size at QD 64.
fio_json "$RESULT_DIR/verify-mixed.json" --name=verify-mixed --filename="/dev/$disk" \
	--direct=1 --ioengine=libaio --rw=randwrite --bsrange="$lbs-$((max_kb * 1024))" \
	--iodepth=64 --size="$size" --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --randrepeat=0 || exit 1
echo "all verify jobs passed"
