#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the workbench needs, idempotently, without touching the
# machine's apt sources. A missing dependency stops the run with one sentence.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS=(
	"clang${RNVME_LLVM}" "lld${RNVME_LLVM}" "llvm${RNVME_LLVM}" "libclang${RNVME_LLVM}-dev"
	flex bison bc libelf-dev libssl-dev cpio kmod rsync xz-utils
	qemu-system-x86 fio nvme-cli util-linux procps gawk python3 python3-matplotlib
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed: Debian's package registry is not reachable."
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"${TMPDIR:-/tmp}/rnvme-apt.log" 2>&1; then
		tail -5 "${TMPDIR:-/tmp}/rnvme-apt.log" >&2
		die "apt-get could not install ${missing[*]} (see above): the build needs them."
	fi
fi

command -v rustup >/dev/null || die "rustup is not installed: the kernel's Rust support needs rustup's toolchain."
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	say "adding rust-src to the Rust toolchain"
	rustup component add rust-src >/dev/null 2>&1 || die "rustup could not add rust-src: the kernel's Rust build needs the core library's source."
fi
if ! command -v bindgen >/dev/null; then
	say "installing bindgen-cli from crates.io (about 2 minutes)"
	cargo install --locked bindgen-cli >"${TMPDIR:-/tmp}/rnvme-bindgen.log" 2>&1 \
		|| die "cargo could not install bindgen-cli: the kernel's Rust bindings need bindgen."
fi
command -v "qemu-system-x86_64" >/dev/null || die "qemu-system-x86_64 is missing after install: the guest cannot boot."
exit 0
