# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by harness/deps.sh and harness/qemu.sh: install the Debian packages
# of "$@" that are missing, saying so in one line prefixed with $PKGS_WHO.
# apt waits for another apt/dpkg instead of failing on its lock.
ensure_pkgs() {
	local sudo='' p missing=()
	[ "$(id -u)" = 0 ] || sudo=sudo
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "${PKGS_WHO:-deps}: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 \
		update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 \
		install -y -qq --no-install-recommends "${missing[@]}" \
		>/dev/null 2> >(grep -v '^debconf: ' >&2)
}
