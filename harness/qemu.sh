#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the project's QEMU: Debian 12's qemu source package (pinned), with
# Debian's patch series and then the project's (patches/qemu/series), for
# x86_64-softmmu only, every optional feature off, compiled through ccache.
# Result: build/qemu/build/qemu-system-x86_64 (firmware comes from Debian's
# seabios, ipxe-qemu and qemu-system-data packages; the harness passes -L).
#
# The source is fetched with a private apt configuration (a deb-src entry for
# the Debian 12 suites used for this download only); the machine's apt setup
# is untouched.  The source is re-extracted and re-patched only when the
# pinned version or patches/qemu/* change, and then only files whose content
# changed are rewritten, so the ninja build stays incremental.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${IMS_BUILD:-$top/build}
# The pinned QEMU source.  Bump QEMU_VER deliberately (and rebase
# patches/qemu/ onto it).
QEMU_PKG=qemu
QEMU_VER=1:7.2+dfsg-7+deb12u18
CONFIGURE=(--target-list=x86_64-softmmu --without-default-features
	   --enable-fdt=system --disable-debug-info
	   --cc="ccache gcc" --meson=/usr/bin/meson)

pdir=$top/patches/qemu
qdir=$build/qemu
src=$qdir/src
obj=$qdir/build
logs=$build/logs
log=$logs/qemu-build.log
bin=$obj/qemu-system-x86_64

# Build dependencies (the libraries a QEMU without optional features still
# requires: glib, pixman, zlib, and libfdt, which the x86_64 target needs for
# its microvm machine) and the firmware the harness points -L at.
pkgs=(dpkg-dev xz-utils patch rsync gcc make ninja-build meson pkg-config
      python3 ccache libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev
      seabios ipxe-qemu qemu-system-data debian-archive-keyring)

# shellcheck source=harness/pkgs.sh
. "$(dirname "$0")/pkgs.sh"
PKGS_WHO=qemu ensure_pkgs "${pkgs[@]}"

mkdir -p "$qdir" "$logs"
# The log of the last run that did something.
logged=
step() {
	[ -n "$logged" ] || : > "$log"
	logged=1
	echo "qemu: $*"
}
# Debian's python3 (meson's own interpreter), not one from a user's PATH.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

read_series "$pdir/series"
srchash=$({ echo "$QEMU_PKG=$QEMU_VER"
	    for f in "$pdir"/*; do
		    [ -f "$f" ] && { echo "${f##*/}"; cat "$f"; }
	    done; } | sha256sum | cut -d' ' -f1)
cfghash=$(printf '%s\n' "${CONFIGURE[@]}" | sha256sum | cut -d' ' -f1)

# --- the source package, fetched privately and patched ---------------------
if [ "$(cat "$qdir/src.stamp" 2>/dev/null)" != "$srchash" ] || [ ! -d "$src" ]; then
	upver=${QEMU_VER#*:}
	dsc=$qdir/dl/${QEMU_PKG}_$upver.dsc
	if [ ! -f "$dsc" ]; then
		logged=1
		: > "$log"
		fetch_debian12_source qemu "$QEMU_PKG" "$QEMU_VER" "$qdir" "QEMU_VER in harness/qemu.sh"
	fi
	step "unpacking $QEMU_PKG $QEMU_VER with Debian's patch series, then ${#series[@]} patch(es) from patches/qemu/series"
	new=$qdir/src.new
	rm -rf "$new"
	dpkg-source -x "$dsc" "$new" >> "$log" 2>&1 ||
		{ echo "qemu: dpkg-source failed, see ${log#"$top"/}" >&2; exit 1; }
	for p in "${series[@]}"; do
		if ! patch -d "$new" -p1 --fuzz=0 --no-backup-if-mismatch -s \
				< "$pdir/$p" >> "$log" 2>&1; then
			echo "qemu: patch patches/qemu/$p does not apply to $QEMU_PKG $QEMU_VER without fuzz, see ${log#"$top"/}" >&2
			exit 1
		fi
	done
	# Rewrite only what changed: unchanged files keep their timestamps.
	mkdir -p "$src"
	rsync -rlc --delete "$new/" "$src/"
	rm -rf "$new"
	echo "$srchash" > "$qdir/src.stamp"
fi

# --- configure and build ---------------------------------------------------
if [ "$(cat "$obj/configure.stamp" 2>/dev/null)" != "$cfghash" ] ||
		[ ! -f "$obj/build.ninja" ]; then
	step "configuring (x86_64-softmmu, optional features off, ccache)"
	rm -rf "$obj"
	mkdir -p "$obj"
	(cd "$obj" && "$src/configure" "${CONFIGURE[@]}") >> "$log" 2>&1 ||
		{ echo "qemu: configure failed, see ${log#"$top"/}" >&2; exit 1; }
	echo "$cfghash" > "$obj/configure.stamp"
fi
# ninja always runs (a second when nothing changed: qemu-version.h is
# regenerated on every run, so "ninja -n" never reports "no work to do"); the
# step is announced when a source or the configuration is newer than the binary.
if [ -f "$bin" ] && [ -z "$(find "$src" "$obj/build.ninja" -newer "$bin" -print -quit)" ]; then
	ninja -C "$obj" qemu-system-x86_64 >/dev/null 2>&1 ||
		{ echo "qemu: build failed, run ninja -C ${obj#"$top"/}" >&2; exit 1; }
	exit 0
fi
step "building qemu-system-x86_64 (ninja, ccache; log in ${log#"$top"/})"
t0=$SECONDS
ninja -C "$obj" qemu-system-x86_64 >> "$log" 2>&1 ||
	{ grep -E 'error|Error' "$log" | tail -20
	  echo "qemu: build failed, see ${log#"$top"/}" >&2; exit 1; }
dt=$((SECONDS - t0))
echo "qemu: built ${bin#"$top"/} in $((dt / 60))m$((dt % 60))s"
