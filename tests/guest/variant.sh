#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# variant.sh DRIVER CTRL [SIZE]: controller CTRL, one of the variants of
# tools/workbench/guest_tests.py (VARIANTS), served by DRIVER.
#
# Upstream nvme serves the controller first, as the reference: per namespace
# it lists (nvme-cli list-ns), the disk's nsid, capacity in 512-byte sectors
# and logical block size; it writes a random marker into the last logical
# block of each namespace it serves with a nonzero capacity. Then DRIVER
# (rnvme, cnvme) must serve exactly those namespaces with the same capacity
# and block size, skip every other active namespace (upstream shows one with
# metadata at capacity 0) with one warning "<DRIVER><i>n<nsid>: skipped: its
# LBA format carries metadata", read the markers back, write and read back
# its own, and pass one crc32c fio verify job over the first SIZE (default
# 16M) of all its namespaces at once, without a kernel warning, error or
# crash. With DRIVER nvme the reference itself goes through the same checks.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 size=${3:-16M}

modprobe -n -d "$MODROOT" "$drv" 2>/dev/null || skip "no $drv module in this build"
command -v nvme >/dev/null || fail "nvme-cli is not installed (tools/deps.sh installs it)"
bdf=$(ctrl_bdf "$ctrl") || exit 1
tmp=$(mktemp -d)

# disk_nsid DISK: the namespace identifier of DISK: its nsid attribute
# (upstream nvme names disks by order, not by nsid), else the n<nsid> suffix
# of its name (rnvme<instance>n<nsid>, cnvme<instance>n<nsid>).
disk_nsid() {
	local nsid
	if read -r nsid 2>/dev/null <"/sys/block/$1/nsid"; then
		echo "$nsid"
	elif [[ $1 =~ ^[a-z]+[0-9]+n([0-9]+)$ ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo "nsid-of-$1-unknown"
	fi
}

# ns_table: "nsid sectors logical_block_size disk" for each disk of the
# controller, by nsid.
ns_table() {
	local d
	for d in $(ctrl_disks "$bdf"); do
		echo "$(disk_nsid "$d") $(cat "/sys/block/$d/size") $(cat "/sys/block/$d/queue/logical_block_size") $d"
	done | sort -n -k1,1
}

# wait_disks N: wait up to 15 s until the controller has N disks with a
# device node; false if it does not.
wait_disks() {
	local n d have
	for ((n = 0; n < 150; n++)); do
		have=0
		for d in $(ctrl_disks "$bdf"); do
			[ -b "/dev/$d" ] && have=$((have + 1))
		done
		[ "$have" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# active_nsids: the active namespace identifiers of the controller, one a line,
# as upstream nvme's controller device lists them; nothing until it can.
active_nsids() {
	local c x
	for c in "/sys/bus/pci/devices/$bdf/nvme/"nvme*; do
		[ -e "$c" ] || return 0
		nvme list-ns "/dev/$(basename "$c")" 2>/dev/null |
			sed -nE 's/^\[ *[0-9]+\]:0x([0-9a-fA-F]+)$/\1/p' |
			while read -r x; do echo $((16#$x)); done
		return 0
	done
}

# last_block DISK LBS SECTORS: the number of DISK's last logical block.
last_block() {
	echo $(($3 * 512 / $2 - 1))
}

# put_marker DISK LBS SECTORS FILE: write LBS random bytes into the last
# logical block of DISK and keep them in FILE.
put_marker() {
	head -c "$2" /dev/urandom >"$4"
	dd if="$4" of="/dev/$1" bs="$2" seek="$(last_block "$@")" count=1 oflag=direct conv=notrunc \
		status=none || fail "cannot write the last block of /dev/$1"
}

# check_marker DISK LBS SECTORS FILE WHO: the last logical block of DISK holds FILE.
check_marker() {
	dd if="/dev/$1" of="$4.read" bs="$2" skip="$(last_block "$@")" count=1 iflag=direct \
		status=none || fail "cannot read the last block of /dev/$1"
	cmp -s "$4" "$4.read" || fail "/dev/$1: block $(last_block "$@") does not hold what $5 wrote there"
}

# Reference: upstream nvme. It probes asynchronously, so wait for its
# controller to list the namespaces, then for a disk per namespace.
mark=$(kmsg_mark "variant $drv controller $ctrl")
bind_only "$ctrl" nvme >/dev/null || exit 1
active=
for ((n = 0; n < 150; n++)); do
	active=$(active_nsids | xargs)
	[ -n "$active" ] && break
	sleep 0.1
done
[ -n "$active" ] || fail "upstream nvme lists no active namespace on controller $ctrl ($bdf)"
# It may leave a namespace it cannot serve without a disk.
wait_disks "$(wc -w <<<"$active")" ||
	echo "upstream nvme: fewer disks than active namespaces after 15 s: $(ctrl_disks "$bdf" | xargs)"
all=$(ns_table)
echo "--- upstream nvme on controller $ctrl ($bdf): active namespaces $active"
echo "nsid sectors lbs disk"
echo "$all"
# Upstream serves those of a nonzero capacity; ours must skip the others.
ref=$(awk '$2 > 0' <<<"$all")
[ -n "$ref" ] || fail "upstream nvme serves no namespace of nonzero capacity"
skipped=$(for nsid in $active; do
	awk -v n="$nsid" '$1 == n { f = 1 } END { exit f }' <<<"$ref" && echo "$nsid"
done | xargs)
[ -z "$skipped" ] || echo "not served by upstream nvme (capacity 0 or no disk): nsid $skipped"
while read -r nsid sectors lbs disk; do
	put_marker "$disk" "$lbs" "$sectors" "$tmp/marker-$nsid"
done <<<"$ref"

if [ "$drv" = nvme ]; then
	# The control: upstream against itself is equal by construction.
	ours=$ref
	mark2=$mark
else
	unbind "$ctrl"
	mark2=$(kmsg_mark "variant $drv controller $ctrl: $drv")
	if ! (bind_only "$ctrl" "$drv" >/dev/null); then
		echo "--- kernel log of $bdf after binding $drv"
		kmsg_since "$mark2" | sed -E 's/^<[0-9]+>//' | grep -F "$bdf"
		errors=$(kmsg_since "$mark2" | grep -E '^<[0-3]>' | grep -F "$bdf" | sed -E "s/.* $bdf: //" | paste -sd ';')
		fail "$drv did not bind to controller $ctrl ($bdf): ${errors:-no error in the kernel log}"
	fi
	# Ours add their disks during probe; wait a little all the same.
	wait_disks "$(wc -l <<<"$ref")"
	ours=$(ns_table)
	echo "--- $drv on controller $ctrl ($bdf)"
	echo "nsid sectors lbs disk"
	echo "$ours"
	if [ "$(cut -d' ' -f1-3 <<<"$ours")" != "$(cut -d' ' -f1-3 <<<"$ref")" ]; then
		echo "--- nsid sectors lbs: upstream nvme (<) and $drv (>)"
		diff <(cut -d' ' -f1-3 <<<"$ref") <(cut -d' ' -f1-3 <<<"$ours")
		fail "$drv serves other namespaces, capacities or block sizes than upstream nvme"
	fi
	echo "same namespaces, capacities and logical block sizes as upstream nvme"
	# One warning for each namespace that upstream does not serve, none else.
	log=$(kmsg_since "$mark2" | sed -E 's/^<[0-9]+>//')
	warned=$(grep -E " $bdf: ${drv}[0-9]+n[0-9]+: skipped: " <<<"$log")
	for nsid in $skipped; do
		grep -qE " $bdf: ${drv}[0-9]+n$nsid: skipped: its LBA format carries metadata$" <<<"$warned" ||
			fail "$drv did not warn that it skipped namespace $nsid:
$(grep -F "$bdf" <<<"$log")"
	done
	[ "$(grep -c . <<<"$warned")" -eq "$(wc -w <<<"$skipped")" ] ||
		fail "$drv warned of other skipped namespaces than ${skipped:-none}:
$warned"
	[ -z "$warned" ] || echo "skip warnings, as expected:
$warned"
fi

# The markers upstream wrote are where ours read them; then each driver's own.
while read -r nsid sectors lbs disk; do
	check_marker "$disk" "$lbs" "$sectors" "$tmp/marker-$nsid" "upstream nvme"
	put_marker "$disk" "$lbs" "$sectors" "$tmp/own-$nsid"
	check_marker "$disk" "$lbs" "$sectors" "$tmp/own-$nsid" "$drv"
done <<<"$ours"
echo "last blocks: upstream nvme's markers read back, $drv's written and read back"

# One verify job per namespace, all at once, over the first SIZE bytes (or
# the whole namespace, rounded down to 4 KiB).
max=$(numfmt --from=iec "$size")
jobs=()
while read -r nsid sectors lbs disk; do
	bytes=$((sectors * 512))
	[ "$bytes" -lt "$max" ] || bytes=$max
	jobs+=(--name="ns$nsid" --filename="/dev/$disk" --size=$((bytes / 4096 * 4096)))
done <<<"$ours"
fio_json "$RESULT_DIR/fio.json" --direct=1 --ioengine=io_uring --rw=randwrite \
	--bssplit=4k/50:64k/50 --iodepth=8 --verify=crc32c --verify_fatal=1 --do_verify=1 \
	--randrepeat=0 "${jobs[@]}"
echo "verify passed on $(wc -l <<<"$ours") namespace(s): crc32c, 4k and 64k blocks at QD 8, up to $size each"

unbind "$ctrl"
[ -z "$(ctrl_driver "$bdf")" ] || fail "$bdf is still bound to $(ctrl_driver "$bdf")"
problems=$(kmsg_since "$mark" | kmsg_problems)
[ -z "$problems" ] || fail "the kernel log shows problems:
$problems"
echo "$drv served controller $ctrl like upstream nvme and unbound cleanly"
