# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the guest test scripts: find controllers, bind drivers, find disks.
# Controller i sits behind the root port at slot 0x10+i of pcie.0 (tools/workbench/vm.py).

# load MODULE [PARAM=VALUE...]: modprobe from the build's module folder.
load() {
	modprobe -d "$MODROOT" "$@" || fail "modprobe $* failed"
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# skip REASON: the test cannot run here (exit status 77, which the runner
# reports as SKIP).
skip() {
	echo "SKIP: $*"
	exit 77
}

# ctrl_bdf I: the PCI address of controller I.
ctrl_bdf() {
	local port
	port=/sys/bus/pci/devices/0000:00:$(printf %02x $((0x10 + $1))).0
	[ -d "$port" ] || fail "controller $1: no root port at $port"
	local d
	for d in "$port"/0000:*; do
		[ -e "$d/class" ] && { basename "$d"; return 0; }
	done
	fail "controller $1: nothing behind root port $port"
}

# ctrl_driver BDF: the driver bound to BDF, empty if none.
ctrl_driver() {
	local l=/sys/bus/pci/devices/$1/driver
	[ -e "$l" ] && basename "$(readlink -f "$l")"
	return 0
}

# ctrl_disks BDF: the block devices whose device path goes through BDF.
ctrl_disks() {
	local b
	for b in /sys/block/*; do
		case "$(readlink -f "$b")" in
		*/"$1"/*) basename "$b" ;;
		esac
	done
}

# bind_only I DRIVER: bind controller I to DRIVER (nvme, rnvme, cnvme) with
# driver_override, without waiting for a disk; print its PCI address.
bind_only() {
	local i=$1 drv=$2 bdf cur
	bdf=$(ctrl_bdf "$i") || exit 1
	load "$drv"
	cur=$(ctrl_driver "$bdf")
	if [ "$cur" != "$drv" ]; then
		[ -z "$cur" ] || echo "$bdf" >"/sys/bus/pci/drivers/$cur/unbind" || fail "unbind $bdf from $cur"
		echo "$drv" >"/sys/bus/pci/devices/$bdf/driver_override"
		echo "$bdf" >/sys/bus/pci/drivers_probe 2>/dev/null
	fi
	[ "$(ctrl_driver "$bdf")" = "$drv" ] || fail "$drv did not bind to $bdf (controller $i)"
	echo "$bdf"
}

# bind_driver I DRIVER: bind controller I to DRIVER (nvme, rnvme, cnvme) with
# driver_override; wait for its disk; print the disk's name.
bind_driver() {
	local i=$1 drv=$2 bdf disk n
	bdf=$(bind_only "$i" "$drv") || exit 1
	for n in $(seq 100); do
		disk=$(ctrl_disks "$bdf" | head -n1)
		[ -n "$disk" ] && [ -b "/dev/$disk" ] && { echo "$disk"; return 0; }
		sleep 0.1
	done
	fail "$drv bound to $bdf but no disk appeared"
}

# unbind I: leave controller I without a driver.
unbind() {
	local bdf cur
	bdf=$(ctrl_bdf "$1") || exit 1
	cur=$(ctrl_driver "$bdf")
	[ -z "$cur" ] || echo "$bdf" >"/sys/bus/pci/drivers/$cur/unbind"
	# "none" matches no driver: loading another NVMe driver later must not grab it.
	echo none >"/sys/bus/pci/devices/$bdf/driver_override"
}

# kmsg_mark TEXT: write a unique marker line to the kernel log and print it;
# kmsg_since MARK then prints the raw log (dmesg -r, "<prio>" prefixes) from it on.
kmsg_mark() {
	local mark
	mark="rnvme-guest: mark $$ $(date +%s.%N) $*"
	echo "$mark" >/dev/kmsg
	echo "$mark"
}

kmsg_since() {
	dmesg -r | awk -v m="$1" 'found || index($0, m) { found = 1; print }'
}

# trace_mark FILE: the number of lines of QEMU's trace FILE (a name in the
# run folder, tools/workbench/testrun.py: trace_args) so far; trace_since
# FILE MARK then prints the lines written after them. QEMU writes each line
# as its event fires, so the lines between a mark taken before a job and the
# end of the file after it are what the controllers saw of the job.
trace_mark() {
	local f=$RNVME_RUN/$1
	[ -r "$f" ] || fail "no QEMU trace $f (the boot traces no event)"
	wc -l <"$f"
}

trace_since() {
	tail -n "+$(($2 + 1))" "$RNVME_RUN/$1"
}

# kmsg_problems: the lines of a log (stdin) that show a kernel warning, bug or
# crash, or that were logged at error priority or worse.
kmsg_problems() {
	grep -E '^<[0-3]>|WARNING:|BUG[: ]|Oops|Call Trace|general protection|KASAN|UBSAN|suspected memory leak' || true
}

# fio_json OUT ARGS...: run fio with JSON output into OUT; fail on any error.
fio_json() {
	local out=$1
	shift
	fio --output-format=json --output="$out" "$@" || fail "fio exited $? ($*)"
	python3 - "$out" <<'PY' || fail "fio reported errors in $out"
import json, sys
d = json.load(open(sys.argv[1]))
bad = [j["jobname"] for j in d["jobs"] if j.get("error")]
sys.exit(1 if bad else 0)
PY
}

# load_params MODULE [PARAM=VALUE...]: load MODULE with these parameters; if it
# is already loaded, check that it was loaded with them (parameters such as
# nvme's poll_queues cannot change later, and must not silently differ).
load_params() {
	local mod=$1 p cur want
	shift
	if [ -e "/sys/module/$mod/initstate" ]; then
		for p in "$@"; do
			read -r cur 2>/dev/null <"/sys/module/$mod/parameters/${p%%=*}" || continue
			want=${p#*=}
			case "$cur" in Y) cur=1 ;; N) cur=0 ;; esac
			case "$want" in Y | y) want=1 ;; N | n) want=0 ;; esac
			[ "$cur" = "$want" ] || fail "$mod is already loaded with ${p%%=*}=$cur, not $want"
		done
		return 0
	fi
	load "$mod" "$@"
}

# wait_disk NAME: wait until /dev/NAME is a block device; print NAME.
wait_disk() {
	local n
	for ((n = 0; n < 100; n++)); do
		[ -b "/dev/$1" ] && { echo "$1"; return 0; }
		sleep 0.1
	done
	fail "no block device /dev/$1"
}

# setup_null_blk [PARAM=VALUE...]: load null_blk with one memory-less device and
# print its name (nullb0). Defaults: blk-mq, completion inline in submission
# (irqmode=0, no timer, no softirq), 1 GiB, 512-byte blocks, one submission
# queue per CPU, one poll queue, 256 tags per queue; PARAM=VALUE overrides.
# An already loaded null_blk must have the same parameters.
setup_null_blk() {
	local -A v=([queue_mode]=2 [irqmode]=0 [gb]=1 [bs]=512 [nr_devices]=1
		[submit_queues]=$(nproc) [poll_queues]=1 [hw_queue_depth]=256 [memory_backed]=0)
	local p args=()
	for p in "$@"; do v[${p%%=*}]=${p#*=}; done
	for p in "${!v[@]}"; do args+=("$p=${v[$p]}"); done
	load_params null_blk "${args[@]}"
	wait_disk nullb0
}

# setup_rnull [NAME [ATTR=VALUE...]]: load rnull_mod, create and power on the
# configfs device NAME (default rnull0) and print its disk's name (NAME).
# Defaults: 512-byte blocks, 1 GiB (size is in MiB), completion inline
# (irqmode=0); ATTR=VALUE (blocksize, size, irqmode, rotational) overrides.
# rnull has one hardware queue of 256 tags and no poll queues. An existing
# powered device must have the same attributes.
setup_rnull() {
	local name=${1:-rnull0} dir p cur
	[ $# -gt 0 ] && shift
	local -A v=([blocksize]=512 [size]=1024 [irqmode]=0)
	for p in "$@"; do v[${p%%=*}]=${p#*=}; done
	load_params rnull_mod
	dir=/sys/kernel/config/rnull
	[ -d "$dir" ] || fail "no $dir (configfs not mounted, or rnull_mod did not register)"
	dir=$dir/$name
	cur=0
	[ -r "$dir/power" ] && read -r cur <"$dir/power"
	if [ "$cur" = 1 ]; then
		for p in "${!v[@]}"; do
			read -r cur <"$dir/$p"
			[ "$cur" = "${v[$p]}" ] || fail "rnull $name is powered with $p=$cur, not ${v[$p]}"
		done
	else
		mkdir -p "$dir" || fail "cannot create $dir"
		for p in "${!v[@]}"; do
			echo "${v[$p]}" >"$dir/$p" || fail "rnull $name: cannot set $p=${v[$p]}"
		done
		echo 1 >"$dir/power" || fail "rnull $name: cannot power on"
	fi
	wait_disk "$name"
}

# reload_driver DRIVER [PARAM=VALUE...]: unbind every controller from DRIVER,
# unload it and load it again with these parameters (driver parameters such as
# poll_queues are read at probe time and cannot change while it is loaded).
reload_driver() {
	local drv=$1 i bdf h
	shift
	for ((i = 0; i < NR_CONTROLLERS; i++)); do
		bdf=$(ctrl_bdf "$i") || exit 1
		[ "$(ctrl_driver "$bdf")" = "$drv" ] && unbind "$i"
	done
	local holders=()
	if [ -e "/sys/module/$drv/initstate" ]; then
		# Modules that use it go first (cnvme_kunit uses cnvme), and come back
		# after it, so that their KUnit results are there for the harness.
		for h in /sys/module/"$drv"/holders/*; do
			[ -e "$h" ] || continue
			holders+=("$(basename "$h")")
			rmmod "${holders[-1]}" || fail "cannot unload ${holders[-1]}"
		done
		rmmod "$drv" || fail "cannot unload $drv"
	fi
	load "$drv" "$@"
	for h in "${holders[@]}"; do
		load "$h"
	done
}

# hctx_of DISK TYPE: the debugfs folders of DISK's hardware queues of TYPE
# (default, read, poll).
hctx_of() {
	local d t
	for d in /sys/kernel/debug/block/"$1"/hctx*; do
		read -r t <"$d/type" 2>/dev/null || continue
		[ "$t" = "$2" ] && echo "$d"
	done
}

# drop_next_completion DISK: make the block layer's fail_io_timeout fault
# injection drop the completion of DISK's next request (once), so that it
# stays in flight until the driver's timeout handling or a test ends it.
drop_next_completion() {
	local fi=/sys/kernel/debug/fail_io_timeout
	[ -d "$fi" ] || fail "no $fi: the kernel lacks CONFIG_FAIL_IO_TIMEOUT"
	echo 0 >"$fi/verbose"
	echo 100 >"$fi/probability"
	echo 1 >"$fi/interval"
	echo 1 >"$fi/times"
	echo 1 >"/sys/block/$1/io-timeout-fail" || fail "cannot enable io-timeout-fail on $1"
}
