#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the harness needs, when they are missing.
set -euo pipefail
KVER_PKG=6.12.117-1~deb12u1
pkgs=(gcc make bc bison flex libelf-dev libssl-dev cpio xz-utils gzip
      patch rsync kmod python3 python3-ply python3-git perl ccache sparse qemu-system-x86
      busybox-static libc6-dev git python3-sphinx)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
have_src=$(dpkg-query -W -f='${Status} ${Version}' linux-source-6.12 2>/dev/null || true)
case "$have_src" in
*"ok installed $KVER_PKG") ;;
*) missing+=("linux-source-6.12=$KVER_PKG") ;;
esac
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
if ! apt-cache madison linux-source-6.12 | grep -q "| $KVER_PKG |"; then
	echo "deps: linux-source-6.12 version $KVER_PKG is not offered by apt;" \
	     "this project is pinned to it and cannot build without it" >&2
	exit 1
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
