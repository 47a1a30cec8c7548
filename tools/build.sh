#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest kernel and the project's drivers for one variant
# (base, bench, bench-inline or debug). bench-inline is bench with
# CONFIG_RUST_INLINE_HELPERS, built with the clang whose LLVM matches rustc's
# (RNVME_LLVM_INLINE, default -22 for rustc 1.95's LLVM 22). Incremental:
# one source tree per kernel version with the patch series applied, one
# build folder per variant, and a stamp keyed by (source version, fragments,
# patches, driver sources) that skips make when nothing changed. Prints the
# build folder on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:-base}
case "$variant" in
base | bench | debug) ;;
bench-inline)
	RNVME_LLVM=${RNVME_LLVM_INLINE:--22}
	export LIBCLANG_PATH=/usr/lib/llvm${RNVME_LLVM}/lib
	command -v "clang$RNVME_LLVM" >/dev/null ||
		die "bench-inline needs clang$RNVME_LLVM (tools/deps.sh with RNVME_LLVM=$RNVME_LLVM installs it)"
	;;
*) die "unknown build variant '$variant' (base, bench, bench-inline or debug)" ;;
esac

mkdir -p "$RNVME_CACHE"
# One build at a time per cache: make in one build folder must not run twice.
exec 9>"$RNVME_CACHE/build.lock"
flock 9
pristine=$("$RNVME_ROOT/tools/kernel-source.sh")
debver=$(cat "$pristine/.rnvme-pristine")
kdir=$(dirname "$pristine")
src="$kdir/src"
build="$kdir/build-$variant"
MAKE=(make -C "$src" O="$build" LLVM="$RNVME_LLVM" -j"$(nproc)")

# --- source tree: pristine copy + hooks + patch series + drivers ---------
if [ ! -f "$src/.rnvme-src" ]; then
	say "copying the pristine tree to $src"
	rm -rf "$src"
	cp -a "$pristine" "$src.tmp"
	# Hook the project's top-level Kconfig and Makefile into drivers/block.
	sed -i 's|^endif # BLK_DEV$|source "drivers/block/Kconfig.rnvme"\n\nendif # BLK_DEV|' \
		"$src.tmp/drivers/block/Kconfig"
	grep -q 'Kconfig.rnvme' "$src.tmp/drivers/block/Kconfig" || die "could not hook Kconfig.rnvme into drivers/block/Kconfig"
	echo 'include $(srctree)/drivers/block/Makefile.rnvme' >>"$src.tmp/drivers/block/Makefile"
	mkdir -p "$src.tmp/.rnvme-applied"
	mv "$src.tmp" "$src"
	touch "$src/.rnvme-src"
fi

series() {
	[ -f "$1/series" ] || return 0
	grep -vE '^\s*(#|$)' "$1/series" || true
}

# Re-apply the series only if it changed: unapply the recorded one, apply the new.
want=$(cd "$RNVME_ROOT/patches" && series . | while read -r p; do cat "$p"; done | sha256sum | cut -c1-16)
have=$(cat "$src/.rnvme-applied/hash" 2>/dev/null || echo none)
if [ "$want" != "$have" ]; then
	for p in $(series "$src/.rnvme-applied" | tac); do
		say "unapplying $p"
		patch -d "$src" -p1 -R -s -N <"$src/.rnvme-applied/$p" >/dev/null ||
			die "could not unapply $p; remove $src to start from the pristine tree"
	done
	rm -rf "$src/.rnvme-applied"
	mkdir -p "$src/.rnvme-applied"
	for p in $(series "$RNVME_ROOT/patches"); do
		say "applying patches/$p"
		if ! out=$(patch -d "$src" -p1 -N <"$RNVME_ROOT/patches/$p" 2>&1); then
			echo "$out" | grep -E 'FAILED|malformed|can.t find|Reversed' >&2 || echo "$out" >&2
			# Leave the tree unapplied-consistent: back out what did apply.
			for q in $(series "$src/.rnvme-applied" | tac); do
				patch -d "$src" -p1 -R -s <"$src/.rnvme-applied/$q" >/dev/null || true
			done
			rm -rf "$src/.rnvme-applied" "$src/.rnvme-src"
			die "patches/$p does not apply to Linux $debver"
		fi
		cp "$RNVME_ROOT/patches/$p" "$src/.rnvme-applied/$p"
		echo "$p" >>"$src/.rnvme-applied/series"
	done
	echo "$want" >"$src/.rnvme-applied/hash"
fi

# Copy a file only if its content changed, so that make sees true mtimes.
sync_file() {
	cmp -s "$1" "$2" 2>/dev/null || { mkdir -p "$(dirname "$2")" && cp "$1" "$2"; }
}
sync_file "$RNVME_ROOT/Kconfig" "$src/drivers/block/Kconfig.rnvme"
sync_file "$RNVME_ROOT/Makefile" "$src/drivers/block/Makefile.rnvme"
for d in rnvme cnvme; do
	if [ -d "$RNVME_ROOT/drivers/block/$d" ]; then
		rsync -r --checksum --delete --exclude='*.o' "$RNVME_ROOT/drivers/block/$d/" "$src/drivers/block/$d/"
	else
		rm -rf "$src/drivers/block/$d"
	fi
done

# --- configuration ----------------------------------------------------------
frags=("$RNVME_ROOT/tools/configs/base.config")
[ "$variant" = bench-inline ] && frags+=("$RNVME_ROOT/tools/configs/bench.config")
[ "$variant" = base ] || frags+=("$RNVME_ROOT/tools/configs/$variant.config")
cfgkey=$(cat "${frags[@]}" | sha256sum | cut -c1-16)
mkdir -p "$build"
if [ "$(cat "$build/.rnvme-config" 2>/dev/null)" != "$cfgkey" ] || [ ! -f "$build/.config" ]; then
	say "configuring $variant kernel (tinyconfig + ${frags[*]##*/})"
	quiet_or_explain "$build/config.log" "${MAKE[@]}" tinyconfig
	quiet_or_explain "$build/config.log" env -C "$src" scripts/kconfig/merge_config.sh \
		-m -O "$build" "$build/.config" "${frags[@]}"
	quiet_or_explain "$build/config.log" "${MAKE[@]}" olddefconfig
	# merge_config only warns: an option that exists in this tree but did not stick is an error.
	bad=0
	# Later fragments override earlier ones: check the last word on each option.
	syms=$(grep -rhoE '^(menu)?config [A-Za-z0-9_]+' --include='Kconfig*' "$src" | awk '{ print "CONFIG_" $2 }' | sort -u)
	while IFS='=' read -r opt val; do
		grep -qxF "$opt" <<<"$syms" || continue
		got=$(grep -E "^$opt=" "$build/.config" | cut -d= -f2- || true)
		[ -n "$got" ] || got=n
		if [ "$got" != "$val" ]; then
			echo "rnvme: error: $opt=$val was asked for but the configured kernel has $opt=$got (missing dependency?)" >&2
			bad=1
		fi
	done < <(cat "${frags[@]}" | sed -nE 's/^(CONFIG_[A-Za-z0-9_]+)=(.*)$/\1=\2/p; s/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1=n/p' |
		awk -F= '{ v[$1] = $0; if (!($1 in o)) { o[$1] = n++ } } END { for (k in o) print o[k] "\t" v[k] }' |
		sort -n | cut -f2-)
	[ $bad = 0 ] || die "the $variant configuration is not what the fragments ask for"
	echo "$cfgkey" >"$build/.rnvme-config"
fi

# --- build ------------------------------------------------------------------
key=$( {
	echo "$debver $cfgkey $want"
	cat "$RNVME_ROOT/Kconfig" "$RNVME_ROOT/Makefile"
	find "$RNVME_ROOT/drivers" -type f 2>/dev/null | sort | xargs -r cat
} | sha256sum | cut -c1-16)
if [ "$(cat "$build/.rnvme-built" 2>/dev/null)" = "$key" ] && [ -f "$build/arch/x86/boot/bzImage" ]; then
	say "Linux $debver ($variant) is up to date in $build"
else
	if ! "${MAKE[@]}" rustavailable >"$build/rustavailable.log" 2>&1; then
		cat "$build/rustavailable.log" >&2
		die "the Rust toolchain is not usable for this kernel (see above); run tools/deps.sh"
	fi
	say "building Linux $debver ($variant) in $build, log in $build/build.log"
	t0=$(date +%s)
	quiet_or_explain "$build/build.log" "${MAKE[@]}" all || die "the $variant kernel build failed (errors above)"
	rm -rf "$build/modroot"
	quiet_or_explain "$build/modules_install.log" "${MAKE[@]}" INSTALL_MOD_PATH="$build/modroot" modules_install \
		|| die "modules_install failed"
	echo "$key" >"$build/.rnvme-built"
	say "built Linux $debver ($variant) in $(($(date +%s) - t0)) s"
fi
krel=$("${MAKE[@]}" -s kernelrelease)
printf '{"debian_version": "%s", "kernelrelease": "%s", "variant": "%s", "key": "%s"}\n' \
	"$debver" "$krel" "$variant" "$key" >"$build/rnvme-build.json"
say "kernel: Linux $krel from Debian linux-source $debver"
echo "$build"
