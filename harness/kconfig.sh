#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Generate build/obj/.config from allnoconfig + the fragments (the test
# configuration ims.config, then guest.config with what only the guest
# machines need), then verify that every option they set survived
# olddefconfig.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${IMS_BUILD:-$top/build}
mk=(make -s -C "$build/src" O="$build/obj" ARCH=x86_64)

mkdir -p "$build/obj"
frag=$build/obj/.ims-fragment
cat "$top/harness/configs/ims.config" "$top/harness/configs/guest.config" > "$frag"
old=$build/obj/.config.prev
[ -f "$build/obj/.config" ] && cp "$build/obj/.config" "$old"
KCONFIG_ALLCONFIG=$frag "${mk[@]}" allnoconfig >/dev/null
"${mk[@]}" olddefconfig >/dev/null
# Keep the old file (and its timestamp) when nothing changed.
if [ -f "$old" ] && cmp -s "$old" "$build/obj/.config"; then
	touch -r "$old" "$build/obj/.config"
fi
rm -f "$old"

bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n)
		sym=${line%%=*}
		if grep -q "^$sym=" "$build/obj/.config"; then
			echo "kconfig: $sym asked off but is $(grep "^$sym=" "$build/obj/.config")" >&2
			bad=1
		fi ;;
	CONFIG_*=*)
		if ! grep -qx "$line" "$build/obj/.config"; then
			got=$(grep -E "^(# )?${line%%=*}[= ]" "$build/obj/.config" || echo "not present")
			echo "kconfig: fragment asks $line, got: $got" >&2
			bad=1
		fi ;;
	esac
done < "$frag"
if [ "$bad" != 0 ]; then
	echo "kconfig: options were dropped by Kconfig (unmet dependencies); fix harness/configs/ims.config or guest.config" >&2
	exit 1
fi
echo "kconfig: .config verified against ims.config + guest.config"
