#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit-modules.sh MODULE...: load each module so that its KUnit suites run
# (a module's suites run at load time). The init collects their KTAP from
# debugfs; here we only check that every module loaded and ran a suite.
set -u
. "$(dirname "$0")/lib.sh"
for m in "$@"; do
	before=$(ls /sys/kernel/debug/kunit | wc -l)
	load "$m"
	after=$(ls /sys/kernel/debug/kunit | wc -l)
	echo "$m: $((after - before)) KUnit suites"
	[ "$after" -gt "$before" ] || fail "$m loaded but ran no KUnit suite"
done
