#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# flush-fua.sh DRIVER CTRL NSID TRACE: flushes and FUA writes reach the
# controller. Controller CTRL has one namespace, NSID, an identifier that no
# other controller of the boot has, so that QEMU's trace lines of its Flush
# commands ("pci_nvme_flush_ns nsid 0x<NSID>" in TRACE, a file of the run
# folder) are its own.
#
# Upstream nvme serves the controller first: its queue/write_cache and
# queue/fua are the reference, and DRIVER (nvme, rnvme, cnvme) must show the
# same. Then three fio jobs of 4 KiB direct writes: fsync after each write,
# fdatasync after each write, and writes through O_DSYNC (FUA writes where
# queue/fua is 1, each followed by a flush of the file's sync). For each job
# the disk's flush counters (fields 16 and 17 of /sys/block/<disk>/stat:
# flushes completed, milliseconds spent in them) must grow, by at least one
# flush per write, and the controller must have received as many Flush
# commands as the disk counted (QEMU's trace lines after a mark taken before
# the job).
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 nsid=$3 trace=$4
# Writes of each job.
writes=64

modprobe -n -d "$MODROOT" "$drv" 2>/dev/null || skip "no $drv module in this build"
bdf=$(ctrl_bdf "$ctrl") || exit 1
flush_re="pci_nvme_flush_ns nsid 0x$(printf %x "$nsid")\$"
mark=$(kmsg_mark "flush-fua $drv controller $ctrl")

# queue_flags DISK: "write_cache=<...> fua=<...>" of DISK.
queue_flags() {
	echo "write_cache=$(cat "/sys/block/$1/queue/write_cache") fua=$(cat "/sys/block/$1/queue/fua")"
}

# The reference.
disk=$(bind_driver "$ctrl" nvme) || exit 1
ref=$(queue_flags "$disk")
echo "upstream nvme on controller $ctrl ($bdf), $disk: $ref"
[[ $ref == "write_cache=write back "* ]] ||
	fail "the controller shows no volatile write cache under upstream nvme ($ref): no flush would reach it"
if [ "$drv" != nvme ]; then
	unbind "$ctrl"
	disk=$(bind_driver "$ctrl" "$drv") || exit 1
	ours=$(queue_flags "$disk")
	echo "$drv on controller $ctrl ($bdf), $disk: $ours"
	[ "$ours" = "$ref" ] || fail "$drv shows $ours, upstream nvme $ref"
fi

# flush_stat: "flushes ticks" of the disk, fields 16 and 17 of its stat.
flush_stat() {
	local f
	read -ra f <"/sys/block/$disk/stat"
	[ "${#f[@]}" -ge 17 ] || fail "/sys/block/$disk/stat has ${#f[@]} fields, not the 17 of flush counters"
	echo "${f[15]} ${f[16]}"
}

# job NAME FIO_OPTION...: one fio job of $writes 4 KiB writes with these
# options; check the counters as said above.
job() {
	local name=$1 s s0 s1 t0 t1 syncs
	shift
	s=$(flush_stat) || exit 1
	read -r -a s0 <<<"$s"
	t0=$(trace_mark "$trace") || exit 1
	fio_json "$RESULT_DIR/$name.json" --name="$name" --filename="/dev/$disk" --direct=1 \
		--ioengine=psync --rw=write --bs=4k --size=$((writes * 4))k "$@" || exit 1
	t1=$(trace_since "$trace" "$t0" | grep -cE "$flush_re")
	s=$(flush_stat) || exit 1
	read -r -a s1 <<<"$s"
	# Each write is followed by a sync (fio's fsync or fdatasync before the
	# next write, and its end_fsync after the last one), or is an O_DSYNC write.
	syncs=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["jobs"][0]["write"]["total_ios"])' "$RESULT_DIR/$name.json")
	local flushes=$((s1[0] - s0[0])) ticks=$((s1[1] - s0[1])) seen=$t1
	echo "$name: $syncs writes, each synced; the disk counted $flushes flushes in $ticks ms," \
		"the controller received $seen"
	[ "$syncs" -eq "$writes" ] || fail "$name: fio wrote $syncs times, not $writes"
	[ "$flushes" -ge "$syncs" ] || fail "$name: the disk completed $flushes flushes for $syncs synced writes"
	[ "$ticks" -gt 0 ] || fail "$name: the disk's flush time did not move ($ticks ms for $flushes flushes)"
	[ "$seen" -eq "$flushes" ] ||
		fail "$name: the controller received $seen Flush commands of namespace $nsid, the disk counted $flushes"
}

job fsync --fsync=1 --end_fsync=1
job fdatasync --fdatasync=1 --end_fsync=1
job dsync --sync=dsync

unbind "$ctrl"
problems=$(kmsg_since "$mark" | kmsg_problems)
[ -z "$problems" ] || fail "the kernel log shows problems:
$problems"
echo "$drv: write cache and FUA as upstream nvme shows them; every sync flushed, every flush reached the controller"
