#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's linux-source-7.3 (trixie-backports) into the cache and unpack
# it pristine. Leaves apt's own configuration alone: a private sources folder,
# lists folder and cache folder are used for this one package.
# Prints the path of the pristine tree on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERIES=${RNVME_KERNEL_SERIES:-7.3}
dl="$RNVME_CACHE/download"
mkdir -p "$dl"

deb=$(ls "$dl"/linux-source-"$SERIES"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$deb" ]; then
	say "fetching linux-source-$SERIES from Debian trixie-backports"
	apt_dir=$(mktemp -d)
	trap 'rm -rf "$apt_dir"' EXIT
	mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	cat >"$apt_dir/sources/trixie-backports.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt_dir/sources"
	      -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache"
	      -o APT::Architecture=amd64 -o Debug::NoLocking=1)
	apt-get "${opts[@]}" update >"$apt_dir/update.log" 2>&1 \
		|| die "could not read Debian's trixie-backports index: $(tail -n1 "$apt_dir/update.log")"
	(cd "$dl" && apt-get "${opts[@]}" download "linux-source-$SERIES" >"$apt_dir/dl.log" 2>&1) \
		|| die "could not download linux-source-$SERIES from trixie-backports: $(tail -n1 "$apt_dir/dl.log")"
	deb=$(ls "$dl"/linux-source-"$SERIES"_*.deb | sort -V | tail -n1)
fi

# 7.3.4-1~bpo13+1 -> 7.3.4
debver=$(dpkg-deb -f "$deb" Version)
kver=${debver%%-*}
pristine="$RNVME_CACHE/linux-$kver/pristine"
if [ ! -f "$pristine/.rnvme-pristine" ]; then
	say "unpacking linux-source $debver"
	rm -rf "$pristine" "$pristine.tmp"
	mkdir -p "$pristine.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$pristine.tmp" ./usr/src/linux-source-"$SERIES".tar.xz
	tar -xJf "$pristine.tmp/usr/src/linux-source-$SERIES.tar.xz" -C "$pristine.tmp"
	mv "$pristine.tmp/linux-source-$SERIES" "$pristine"
	rm -rf "$pristine.tmp"
	echo "$debver" >"$pristine/.rnvme-pristine"
fi
echo "$pristine"
