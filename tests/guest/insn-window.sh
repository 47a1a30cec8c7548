#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# insn-window.sh INSN_DIR IOS BASE_IOS IODEPTH DRIVER... : instruction-count
# windows for tools/insn_profile.py. The host runs QEMU with the insncount TCG
# plugin (tools/insncount), which closes a window, writing
# INSN_DIR/window-<N>.txt, every time the guest kernel enters __x64_sys_sync.
# Binds DRIVER i to controller i (all of them first, and keeps them loaded so
# that module addresses stay put), dumps /proc/kallsyms, then for each driver
# runs fio (4 KiB random reads at queue depth IODEPTH, io_uring) once with
# BASE_IOS I/Os and once with IOS I/Os (BASE_IOS 0: only IOS), each between
# two syncs: one window per fio run. Writes $RESULT_DIR/windows.txt:
# "<driver> <ios> <window number>" per run, and the fio JSON of each run.
set -u
. "$(dirname "$0")/lib.sh"
insn_dir=$1 ios=$2 base=$3 iodepth=$4
shift 4
[ -d "$insn_dir" ] || fail "no $insn_dir (is the insncount plugin loaded?)"
declare -A disk
i=0
for d in "$@"; do
	disk[$d]=$(bind_driver "$i" "$d") || exit 1
	echo none >"/sys/block/${disk[$d]}/queue/scheduler" 2>/dev/null
	i=$((i + 1))
done
echo 0 >/proc/sys/kernel/kptr_restrict
cat /proc/kallsyms >"$RESULT_DIR/kallsyms.txt"
cat /proc/modules >"$RESULT_DIR/modules.txt"

run_fio() { # DRIVER NIOS OUT
	fio --output-format=json --output="$3" --name=insn --filename="/dev/${disk[$1]}" \
		--ioengine=io_uring --direct=1 --rw=randread --bs=4k --iodepth="$iodepth" \
		--io_size=$(($2 * 4096)) --number_ios="$2" --norandommap \
		--random_generator=lfsr --randrepeat=0 --fixedbufs=1 --registerfiles=1 \
		>/dev/null 2>"$3.err"
}

# Warm up each driver (page cache of fio and its libraries, slab caches, TLB of
# the guest...) outside any window we keep.
for d in "$@"; do
	run_fio "$d" 2000 "$RESULT_DIR/warmup-$d.json" || fail "warm-up fio on $d failed"
done

: >"$RESULT_DIR/windows.txt"
for d in "$@"; do
	for n in $base $ios; do
		[ "$n" -gt 0 ] || continue
		sync
		# The plugin wrote window-<k>.txt at this sync, so the window now open
		# is the number of window files so far.
		w=$(find "$insn_dir" -maxdepth 1 -name 'window-*.txt' | wc -l)
		run_fio "$d" "$n" "$RESULT_DIR/fio-$d-$n.json"
		rc=$?
		sync
		[ $rc = 0 ] || fail "fio on $d ($n I/Os) failed: $(cat "$RESULT_DIR/fio-$d-$n.json.err")"
		echo "$d $n $w" >>"$RESULT_DIR/windows.txt"
	done
done
for ((j = 0; j < i; j++)); do unbind "$j"; done
cat "$RESULT_DIR/windows.txt"
