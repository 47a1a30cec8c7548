# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest test scripts: find controllers, bind drivers, find disks.
# Controller i sits behind the root port at slot 0x10+i of pcie.0 (tools/rnvme_vm.py).

# load MODULE [PARAM=VALUE...]: modprobe from the build's module folder.
load() {
	modprobe -d "$MODROOT" "$@" || fail "modprobe $* failed"
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
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

# bind_driver I DRIVER: bind controller I to DRIVER (nvme, rnvme, cnvme) with
# driver_override; wait for its disk; print the disk's name.
bind_driver() {
	local i=$1 drv=$2 bdf cur disk n
	bdf=$(ctrl_bdf "$i") || exit 1
	load "$drv"
	cur=$(ctrl_driver "$bdf")
	if [ "$cur" != "$drv" ]; then
		[ -z "$cur" ] || echo "$bdf" >"/sys/bus/pci/drivers/$cur/unbind" || fail "unbind $bdf from $cur"
		echo "$drv" >"/sys/bus/pci/devices/$bdf/driver_override"
		echo "$bdf" >/sys/bus/pci/drivers_probe 2>/dev/null
	fi
	[ "$(ctrl_driver "$bdf")" = "$drv" ] || fail "$drv did not bind to $bdf (controller $i)"
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
	echo >"/sys/bus/pci/devices/$bdf/driver_override"
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
