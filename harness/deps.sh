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
KSRC_SUITE=${IMS_KSRC_SUITE:-trixie-backports}
# The same .deb on snapshot.debian.org, for when the pinned version has left
# the live archive: snapshot serves a file by the SHA-1 of its content
# (/file/SHA1); the download must also match the SHA-256 recorded here (from
# trixie-backports' signed index when the pin was set). Bump with KSRC_VER.
KSRC_DEB_SHA1=94589443b986be97e5c0a149375aad80b208c7d6
KSRC_DEB_SHA256=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3
SNAPSHOT=${IMS_SNAPSHOT_URL:-https://snapshot.debian.org}

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
apt=$build/apt
rm -rf "$apt" "$deb"
mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/cache/archives/partial" "$deb"
# The machine's own Debian mirror (its debian.sources entry), else the CDN
uri=$(sed -n 's/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)\/\?[[:space:]]*$/\1/p' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
uri=${IMS_DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}
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

# The live archive, verified by Debian's archive key
live() {
	echo "deps: fetching $KSRC_PKG=$KSRC_VER from Debian's $KSRC_SUITE (private apt configuration, the machine's apt setup is untouched)"
	if ! apt-get "${aptopts[@]}" --error-on=any update -qq >/dev/null 2>"$apt/update.err"; then
		why="cannot read Debian's $KSRC_SUITE index from $uri: $(tr '\n' ' ' < "$apt/update.err" | cut -c1-200)"
		return 1
	fi
	offered=$(apt-cache "${aptopts[@]}" madison "$KSRC_PKG" || true)
	if ! grep -qF "| $KSRC_VER |" <<<"$offered"; then
		why="$KSRC_PKG version $KSRC_VER is not offered by Debian's $KSRC_SUITE ($uri)"
		return 1
	fi
	if ! (cd "$apt" && apt-get "${aptopts[@]}" download -qq "$KSRC_PKG=$KSRC_VER" >/dev/null); then
		why="downloading $KSRC_PKG=$KSRC_VER from $uri failed"
		return 1
	fi
}

# The same version from snapshot.debian.org, verified by the pinned SHA-256
snapshot() {
	local url=$SNAPSHOT/file/$KSRC_DEB_SHA1 f=$apt/${KSRC_PKG}_snapshot.deb
	echo "deps: $why; fetching the same version from $url"
	if ! /usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file \
		"$url" "$f" "SHA256:$KSRC_DEB_SHA256" >"$apt/snapshot.err" 2>&1; then
		rm -f "$f"
		if grep -q 'Hash Sum mismatch' "$apt/snapshot.err"; then
			why2="snapshot: $url does not have the pinned SHA-256 (hash sum mismatch)"
		else
			why2="snapshot: $(grep '^E: ' "$apt/snapshot.err" | tr '\n' ' ' | cut -c1-300)"
		fi
		return 1
	fi
	# apt-helper checked the hash; check it again, independently
	if [ "$(sha256sum < "$f" | cut -d' ' -f1)" != "$KSRC_DEB_SHA256" ]; then
		rm -f "$f"
		why2="snapshot: $url does not have the pinned SHA-256"
		return 1
	fi
}

why='' why2=''
if ! live; then
	if ! snapshot; then
		echo "deps: $KSRC_PKG=$KSRC_VER cannot be fetched: $why, and" \
		     "$why2. This project is pinned to that version: bump" \
		     "KSRC_VER and its checksums in harness/deps.sh deliberately" >&2
		exit 1
	fi
fi
dpkg-deb -x "$apt"/"$KSRC_PKG"_*.deb "$deb"
rm -f "$apt"/*.deb
[ -f "$tarball" ] || { echo "deps: $tarball missing after extraction" >&2; exit 1; }
echo "$KSRC_PKG=$KSRC_VER" > "$stamp"
