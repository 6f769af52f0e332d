#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the harness needs, when they are missing, and
# fetch the pinned kernel source package (linux-source-7.3 from Debian 13's
# backports suite) into build/deb without touching the machine's apt setup.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${IMS_BUILD:-$top/build}
# The pinned kernel source: the one place it is set (harness/treecfg.py
# reads it from here). Bump it deliberately.
KSRC_PKG=linux-source-7.3
KSRC_VER=7.3.4-1~bpo13+1
KSRC_SUITE=trixie-backports

# accel-config, accel-config-test (Debian 12's 3.5.3): clients of idxd that
# harness/mkinitramfs.sh copies into the guest (tests/guest/accel_config.c).
pkgs=(gcc make bc bison flex libelf-dev libssl-dev cpio xz-utils gzip
      patch kmod python3 python3-yaml python3-ply python3-git perl ccache
      busybox-static libc6-dev uuid-dev git python3-sphinx
      gcc-aarch64-linux-gnu clang-19 gnuplot-nox
      debian-archive-keyring ca-certificates
      accel-config accel-config-test libaccel-config1)

# shellcheck source=harness/pkgs.sh
. "$(dirname "$0")/pkgs.sh"
PKGS_WHO=deps ensure_pkgs "${pkgs[@]}"

# --- the kernel source package, fetched privately --------------------------
deb=$build/deb
tarball=$deb/usr/src/$KSRC_PKG.tar.xz
stamp=$deb/.fetched
if [ -f "$tarball" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$KSRC_PKG=$KSRC_VER" ]; then
	exit 0
fi
echo "deps: fetching $KSRC_PKG=$KSRC_VER from Debian's $KSRC_SUITE (private apt configuration, the machine's apt setup is untouched)"
apt=$build/apt
rm -rf "$apt" "$deb"
mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/cache/archives/partial" "$deb"
# The machine's own Debian mirror (its debian.sources entry), else the CDN
uri=$(sed -n 's/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)\/\?[[:space:]]*$/\1/p' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
uri=${uri:-http://deb.debian.org/debian}
cat > "$apt/parts/ims-kernel.sources" <<SRC
Types: deb
URIs: $uri
Suites: $KSRC_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
aptopts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt/parts"
	 -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache"
	 -o APT::Sandbox::User=root -o Debug::NoLocking=1)
if ! apt-get "${aptopts[@]}" --error-on=any update -qq >/dev/null; then
	echo "deps: cannot read Debian's $KSRC_SUITE index from $uri (network?)" >&2
	exit 1
fi
offered=$(apt-cache "${aptopts[@]}" madison "$KSRC_PKG" || true)
if ! grep -qF "| $KSRC_VER |" <<<"$offered"; then
	echo "deps: $KSRC_PKG version $KSRC_VER is not offered by Debian's $KSRC_SUITE;" \
	     "this project is pinned to it: bump KSRC_VER in harness/deps.sh" \
	     "deliberately" >&2
	exit 1
fi
(cd "$apt" && apt-get "${aptopts[@]}" download -qq "$KSRC_PKG=$KSRC_VER" >/dev/null)
dpkg-deb -x "$apt"/"$KSRC_PKG"_*.deb "$deb"
rm -f "$apt"/*.deb
[ -f "$tarball" ] || { echo "deps: $tarball missing after extraction" >&2; exit 1; }
echo "$KSRC_PKG=$KSRC_VER" > "$stamp"
