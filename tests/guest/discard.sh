#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# discard.sh DRIVER CTRL TRACE: discard (Dataset Management, Deallocate) and
# write zeroes reach controller CTRL through DRIVER (nvme, rnvme, cnvme) as
# they do through upstream nvme.
#
# Upstream nvme serves the controller first: its queue limits
# (discard_max_bytes, discard_granularity, max_discard_segments,
# write_zeroes_max_bytes) are the reference, and the namespace's DLFEAT
# (nvme id-ns) tells whether deallocated blocks read as zeroes. Then DRIVER
# must show the same limits. Over a region of REGION bytes at OFFSET, a random
# pattern is written; "blkdiscard" deallocates its middle third: QEMU's trace
# (pci_nvme_dsm_deallocate in TRACE, a file of the run folder, lines taken
# after a mark) must show exactly those blocks deallocated, the middle must
# then read as zeroes (if DLFEAT says so; the value is printed) and the
# thirds before and after it must still hold the pattern (checksums). The
# same with "blkdiscard -z" (write zeroes), after which the middle always
# reads as zeroes. Every mismatch is reported, then the test fails.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 trace=$3
offset=$((8 << 20)) region=$((3 << 20))
third=$((region / 3))

modprobe -n -d "$MODROOT" "$drv" 2>/dev/null || skip "no $drv module in this build"
command -v nvme >/dev/null || fail "nvme-cli is not installed (tools/deps.sh installs it)"
command -v blkdiscard >/dev/null || fail "blkdiscard (util-linux) is not installed"
bdf=$(ctrl_bdf "$ctrl") || exit 1
mark=$(kmsg_mark "discard $drv controller $ctrl")
limits=(discard_max_bytes discard_granularity max_discard_segments write_zeroes_max_bytes)
bad=()

# The reference.
disk=$(bind_driver "$ctrl" nvme) || exit 1
declare -A ref
for a in "${limits[@]}"; do
	ref[$a]=$(cat "/sys/block/$disk/queue/$a")
done
dlfeat=$(nvme id-ns "/dev/$disk" -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["dlfeat"])') ||
	fail "nvme id-ns /dev/$disk failed"
# Bits 2:0: what a deallocated block reads as (0: not reported, 1: zeroes,
# 2: all ones); bit 3: Write Zeroes may deallocate.
case $((dlfeat & 7)) in
1) reads=zeroes ;;
2) reads=ones ;;
*) reads="not reported" ;;
esac
echo "upstream nvme on controller $ctrl ($bdf), $disk: DLFEAT $(printf 0x%x "$dlfeat"): deallocated blocks read as $reads"

if [ "$drv" != nvme ]; then
	unbind "$ctrl"
	disk=$(bind_driver "$ctrl" "$drv") || exit 1
fi
printf '%-24s %-16s %s\n' "queue/" "upstream nvme" "$drv ($disk)"
for a in "${limits[@]}"; do
	ours=$(cat "/sys/block/$disk/queue/$a")
	printf '%-24s %-16s %s\n' "$a" "${ref[$a]}" "$ours"
	[ "$ours" = "${ref[$a]}" ] || bad+=("queue/$a is $ours, upstream nvme's ${ref[$a]}")
done
[ "$(cat "/sys/block/$disk/queue/discard_max_bytes")" -gt 0 ] ||
	bad+=("$drv does not support discard (queue/discard_max_bytes 0)")
[ "$(cat "/sys/block/$disk/queue/write_zeroes_max_bytes")" -gt 0 ] ||
	bad+=("$drv does not support write zeroes (queue/write_zeroes_max_bytes 0)")
lbs=$(cat "/sys/block/$disk/queue/logical_block_size")

tmp=$(mktemp -d)
# part_sum N: the checksum of third N (0, 1, 2) of the region on the disk.
part_sum() {
	dd if="/dev/$disk" bs="$third" skip=$((offset / third + $1)) count=1 iflag=direct status=none |
		sha256sum | cut -d' ' -f1
}
zero_sum=$(head -c "$third" /dev/zero | sha256sum | cut -d' ' -f1)

# check HOW CMD...: write the pattern over the region, run CMD on its middle
# third, and check the disk afterwards; the middle must read as zeroes if HOW
# is "zeroes".
check() {
	local how=$1 err t0 ranges want got s
	shift
	head -c "$region" /dev/urandom >"$tmp/pattern"
	dd if="$tmp/pattern" of="/dev/$disk" bs=1M seek=$((offset >> 20)) oflag=direct conv=notrunc status=none ||
		fail "cannot write the pattern to /dev/$disk"
	local sums=()
	for s in 0 1 2; do
		sums+=("$(dd if="$tmp/pattern" bs="$third" skip="$s" count=1 status=none | sha256sum | cut -d' ' -f1)")
	done
	t0=$(trace_mark "$trace") || exit 1
	if ! err=$("$@" -o $((offset + third)) -l "$third" "/dev/$disk" 2>&1); then
		bad+=("$* failed: $err")
		echo "$*: failed: $err"
		return
	fi
	echo "$* -o $((offset + third)) -l $third: done"
	if [ "$how" = dsm ]; then
		# The blocks the controller deallocated, as QEMU traced them.
		ranges=$(trace_since "$trace" "$t0" | sed -nE 's/.*pci_nvme_dsm_deallocate slba ([0-9]+) nlb ([0-9]+).*/\1 \2/p')
		want="$(((offset + third) / lbs)) $((third / lbs))"
		got=$(awk 'NR == 1 { lo = $1 } { if ($1 < lo) lo = $1; n += $2 } END { if (NR) print lo, n }' <<<"$ranges")
		echo "the controller deallocated $(grep -c . <<<"$ranges") range(s): first LBA and blocks '$got', asked '$want'"
		[ "$got" = "$want" ] || bad+=("$*: the controller deallocated '${got:-nothing}' (first LBA, blocks), not '$want'")
		[ "$reads" = zeroes ] && how=zeroes
	fi
	for s in 0 2; do
		[ "$(part_sum "$s")" = "${sums[$s]}" ] || bad+=("$*: the third $s of the region changed (it is outside the range)")
	done
	if [ "$how" = zeroes ]; then
		[ "$(part_sum 1)" = "$zero_sum" ] || bad+=("$*: the range does not read as zeroes")
		echo "$*: the range reads as zeroes? $([ "$(part_sum 1)" = "$zero_sum" ] && echo yes || echo NO)"
	else
		echo "$*: the range is not checked: deallocated blocks read as $reads"
	fi
}

check dsm blkdiscard
check zeroes blkdiscard -z
rm -rf "$tmp"

unbind "$ctrl"
problems=$(kmsg_since "$mark" | kmsg_problems)
[ -z "$problems" ] || bad+=("the kernel log shows problems: $problems")
if [ "${#bad[@]}" -gt 0 ]; then
	printf '%s\n' "${bad[@]}" >&2
	fail "$drv: ${#bad[@]} problem(s) with discard and write zeroes, the first: ${bad[0]}"
fi
echo "$drv: discard and write zeroes as upstream nvme serves them; the neighbours untouched"
