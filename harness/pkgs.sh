# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by harness/deps.sh, qemu.sh and sparse.sh. ensure_pkgs: install the
# Debian packages of "$@" that are missing, saying so in one line prefixed with $PKGS_WHO.
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

# fetch_debian12_source WHO PKG VER DIR KNOB: download the .dsc (and its
# files) of Debian 12's source package PKG=VER into DIR/dl through a
# private apt configuration (DIR/apt: a deb-src entry for bookworm,
# bookworm-updates and bookworm-security); the machine's apt setup is
# untouched. Exits with one line naming KNOB when the pin is not offered.
fetch_debian12_source() {
	local who=$1 pkg=$2 ver=$3 dir=$4 knob=$5
	local apt=$dir/apt dsc=$dir/dl/${pkg}_${ver#*:}.dsc aptopts offered
	echo "$who: fetching $pkg=$ver (Debian 12 source package, private apt configuration; the machine's apt setup is untouched)"
	rm -rf "$apt" "$dir/dl"
	mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/cache/archives/partial" "$dir/dl"
	cat > "$apt/parts/ims-$pkg.sources" <<-SRC
	Types: deb-src
	URIs: http://deb.debian.org/debian
	Suites: bookworm bookworm-updates
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	Types: deb-src
	URIs: http://deb.debian.org/debian-security
	Suites: bookworm-security
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	SRC
	aptopts=(-o Dir::Etc::SourceList=/dev/null
		 -o Dir::Etc::SourceParts="$apt/parts"
		 -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache"
		 -o APT::Sandbox::User=root -o Debug::NoLocking=1)
	if ! apt-get "${aptopts[@]}" --error-on=any update -qq >/dev/null; then
		echo "$who: cannot read Debian 12's source index (network?)" >&2
		exit 1
	fi
	offered=$(apt-cache "${aptopts[@]}" madison "$pkg" || true)
	# madison pads the version column: compare it trimmed.
	if ! awk -F'|' -v v="$ver" '{ gsub(/ /, "", $2) } $2 == v { f = 1 }
			END { exit !f }' <<< "$offered"; then
		echo "$who: source package $pkg version $ver is not offered by Debian 12 (bookworm, bookworm-updates, bookworm-security); this project is pinned to it: bump $knob deliberately and rebase patches/$who/" >&2
		exit 1
	fi
	(cd "$dir/dl" && apt-get "${aptopts[@]}" source --download-only -qq \
		"$pkg=$ver" >/dev/null)
	[ -f "$dsc" ] || { echo "$who: $dsc missing after the download" >&2; exit 1; }
}

# read_series FILE: the patch names of a series file (comments and blank
# lines dropped) into the array "series"; none if FILE does not exist.
read_series() {
	local line
	series=()
	[ -f "$1" ] || return 0
	while read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		line=$(echo "$line" | xargs)
		[ -n "$line" ] && series+=("$line")
	done < "$1"
}
