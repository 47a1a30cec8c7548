#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# io-matrix-nodbbuf.sh DRIVER CTRL REF_CTRL SIZE TRACE: the I/O matrix
# (io-matrix.sh DRIVER CTRL REF_CTRL SIZE: every block size and queue depth,
# each job over the first SIZE of the namespace) with DRIVER (rnvme, cnvme)
# loaded with shadow_doorbells=0, so that every doorbell is an MMIO write.
#
# DRIVER must have the module parameter, show it as N (if sysfs shows it), log "shadow doorbells
# off" when it binds controller CTRL, and the controller must receive no
# Doorbell Buffer Config command (pci_nvme_dbbuf_config in QEMU's trace
# TRACE, a file of the run folder, lines taken after a mark). At the end
# DRIVER is loaded again with its defaults and, as the control, must log
# "shadow doorbells on" for CTRL, which must then receive the command.
set -u
. "$(dirname "$0")/lib.sh"
drv=$1 ctrl=$2 ref=$3 size=$4 trace=$5

modprobe -n -d "$MODROOT" "$drv" 2>/dev/null || skip "no $drv module in this build"
bdf=$(ctrl_bdf "$ctrl") || exit 1
modinfo -b "$MODROOT" -F parm "$drv" | grep -q '^shadow_doorbells:' ||
	fail "$drv has no module parameter shadow_doorbells (modinfo: $(modinfo -b "$MODROOT" -F parm "$drv" |
		cut -d: -f1 | paste -sd' '))"

# bind_checked STATE: bind DRIVER to CTRL; its probe must log "shadow
# doorbells STATE" and the controller must receive a Doorbell Buffer Config
# command exactly if STATE is "on".
bind_checked() {
	local mark t0 line n
	mark=$(kmsg_mark "io-matrix-nodbbuf $drv controller $ctrl: $1")
	t0=$(trace_mark "$trace") || exit 1
	bind_driver "$ctrl" "$drv" >/dev/null || exit 1
	line=$(kmsg_since "$mark" | sed -E 's/^<[0-9]+>//' | grep -E " $bdf: [0-9]+ I/O queues of .*; shadow doorbells ")
	echo "$line"
	[ -n "$line" ] || fail "$drv logged no '... I/O queues of ...; shadow doorbells on|off' line for $bdf"
	grep -qE "; shadow doorbells $1\$" <<<"$line" ||
		fail "$drv logged shadow doorbells ${line##*shadow doorbells }, not $1"
	n=$(trace_since "$trace" "$t0" | grep -c 'pci_nvme_dbbuf_config')
	echo "Doorbell Buffer Config commands the controller received: $n"
	if [ "$1" = on ]; then
		[ "$n" -ge 1 ] || fail "$drv says shadow doorbells on, but sent no Doorbell Buffer Config"
	else
		[ "$n" -eq 0 ] || fail "$drv says shadow doorbells off, but sent $n Doorbell Buffer Config command(s)"
	fi
}

reload_driver "$drv" shadow_doorbells=0
# The parameter's sysfs file, where the driver shows it.
if read -r p 2>/dev/null <"/sys/module/$drv/parameters/shadow_doorbells"; then
	[ "$p" = N ] || fail "$drv loaded with shadow_doorbells=0 shows $p in sysfs"
	echo "/sys/module/$drv/parameters/shadow_doorbells: $p"
fi
bind_checked off
"$(dirname "$0")/io-matrix.sh" "$drv" "$ctrl" "$ref" "$size" || fail "the I/O matrix failed with shadow doorbells off"
reload_driver "$drv"
bind_checked on
echo "$drv: the I/O matrix (first $size) passed with shadow doorbells off; on again with the defaults"
