#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the project's sparse: Debian 12's sparse source package (pinned),
# with Debian's patch series and then the project's (patches/sparse/series).
# Result: build/sparse/build/sparse, which the lint stage passes to the
# kernel as CHECK=.  Debian 12's own sparse 0.6.4 does not know
# __typeof_unqual__, which Linux 7.3's scripts/checker-valid.sh requires:
# with it the kernel silently turns C=1 off.
#
# The source is fetched with a private apt configuration (a deb-src entry for
# the Debian 12 suites used for this download only); the machine's apt setup
# is untouched.  It is re-extracted, re-patched and rebuilt only when the
# pinned version, patches/sparse/* or MAKEARGS change.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${IMS_BUILD:-$top/build}
# The pinned sparse source.  Bump SPARSE_VER deliberately (and rebase
# patches/sparse/ onto it).
SPARSE_PKG=sparse
SPARSE_VER=0.6.4-3
JOBS=${JOBS:-2}
# sparse and its test programs only: the LLVM, GTK, libxml and sqlite
# tools are off whatever the machine has installed.
MAKEARGS=(CC="ccache gcc" HAVE_LLVM=no HAVE_GTK=no HAVE_LIBXML=no
	  HAVE_SQLITE=no HAVE_BOOLECTOR=no
	  SPARSE_VERSION="${SPARSE_VER%-*} (Debian ${SPARSE_VER}, IMS for Linux patches)")

pdir=$top/patches/sparse
sdir=$build/sparse
src=$sdir/src
obj=$sdir/build
logs=$build/logs
log=$logs/sparse-build.log
bin=$obj/sparse

# Build dependencies: a C compiler only (see MAKEARGS).
pkgs=(dpkg-dev xz-utils patch gcc make ccache debian-archive-keyring)

# shellcheck source=harness/pkgs.sh
. "$(dirname "$0")/pkgs.sh"
PKGS_WHO=sparse ensure_pkgs "${pkgs[@]}"

read_series "$pdir/series"
hash=$({ echo "$SPARSE_PKG=$SPARSE_VER"
	 printf '%s\n' "${MAKEARGS[@]}"
	 for f in "$pdir"/*; do
		 [ -f "$f" ] && { echo "${f##*/}"; cat "$f"; }
	 done; } | sha256sum | cut -d' ' -f1)

if [ "$(cat "$sdir/build.stamp" 2>/dev/null)" = "$hash" ] && [ -x "$bin" ]; then
	exit 0
fi
mkdir -p "$sdir" "$logs"
: > "$log"

# --- the source package, fetched privately and patched ---------------------
dsc=$sdir/dl/${SPARSE_PKG}_${SPARSE_VER#*:}.dsc
if [ ! -f "$dsc" ]; then
	fetch_debian12_source sparse "$SPARSE_PKG" "$SPARSE_VER" "$sdir" "SPARSE_VER in harness/sparse.sh"
fi
echo "sparse: unpacking $SPARSE_PKG $SPARSE_VER with Debian's patch series, then ${#series[@]} patch(es) from patches/sparse/series"
rm -rf "$sdir/build.stamp" "$src" "$obj"
dpkg-source -x "$dsc" "$src" >> "$log" 2>&1 ||
	{ echo "sparse: dpkg-source failed, see ${log#"$top"/}" >&2; exit 1; }
for p in "${series[@]}"; do
	if ! patch -d "$src" -p1 --fuzz=0 --no-backup-if-mismatch -s \
			< "$pdir/$p" >> "$log" 2>&1; then
		echo "sparse: patch patches/sparse/$p does not apply to $SPARSE_PKG $SPARSE_VER without fuzz, see ${log#"$top"/}" >&2
		exit 1
	fi
done

# --- build ------------------------------------------------------------------
# Out of tree (sparse's Makefile takes no O=, so a copy): src/ stays the
# patched source, build/ is what make wrote into.
echo "sparse: building sparse (ccache; log in ${log#"$top"/})"
t0=$SECONDS
cp -a "$src" "$obj"
make -C "$obj" -j"$JOBS" "${MAKEARGS[@]}" all >> "$log" 2>&1 ||
	{ grep -E 'error|Error' "$log" | tail -20
	  echo "sparse: build failed, see ${log#"$top"/}" >&2; exit 1; }
# sparse's own test-suite, with the tests our patches add: any failure of
# a test not marked known-to-fail (in the test itself) stops here.
echo "sparse: running sparse's test-suite"
make -C "$obj" -j"$JOBS" "${MAKEARGS[@]}" check >> "$log" 2>&1 ||
	{ tail -20 "$log"
	  echo "sparse: sparse's test-suite failed, see ${log#"$top"/}" >&2; exit 1; }
echo "$hash" > "$sdir/build.stamp"
dt=$((SECONDS - t0))
echo "sparse: built ${bin#"$top"/} in $((dt / 60))m$((dt % 60))s"
