#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build Linux 7.3's own VFIO selftests (tools/testing/selftests/vfio of the
# pinned kernel source, unmodified) that tests/guest/vfio_dsa runs against
# the DSA model, and install them into the initramfs root given as $1, under
# /selftests/vfio.  Static binaries (libuuid.a from Debian's uuid-dev,
# glibc's static libraries), built against the test kernel's UAPI headers
# (build/obj/usr/include, which harness/mkinitramfs.sh installs first).
# Built with the selftests' own Makefile into build/vfio-selftests/;
# incremental.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${IMS_BUILD:-$top/build}
obj=${IMS_KOBJ:-$build/obj}
root=$1
src=$build/src/tools/testing/selftests/vfio
out=$build/vfio-selftests
progs=(vfio_pci_driver_test vfio_pci_device_test)

[ -f "$src/Makefile" ] || { echo "vfio-selftests: $src is missing (make prepare)" >&2; exit 1; }
mkdir -p "$out"
# LDFLAGS replaces the Makefile's "-pthread" (a command-line variable
# wins), so it is given again.
if ! make -s -C "$src" OUTPUT="$out" ARCH=x86_64 \
		KHDR_INCLUDES="-isystem $obj/usr/include" \
		LDFLAGS="-static -pthread" \
		"${progs[@]/#/$out/}" > "$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	echo "vfio-selftests: build failed (log: ${out#"$top"/}/build.log)" >&2
	exit 1
fi
mkdir -p "$root/selftests/vfio"
for p in "${progs[@]}"; do
	install -m 0755 "$out/$p" "$root/selftests/vfio/$p"
done
