#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build build/initramfs.cpio.gz: busybox-static, the guest init, the static
# in-guest test programs (tests/guest/*.c -> /tests/NAME.t), the demo, the
# kernel's modules and Debian's accel-config and accel-config-test (with
# bash, which accel-config-test's scripts need), with their libraries.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${IMS_BUILD:-$top/build}
# The bench machine (harness/bench.py) has its own kernel and initramfs and
# runs no in-guest test programs.
obj=${IMS_KOBJ:-$build/obj}
root=${IMS_INITRAMFS_ROOT:-$build/initramfs}
image=${IMS_INITRAMFS:-$build/initramfs.cpio.gz}
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,tests,lib/modules}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$top/tests/guest/init" "$root/init"
# copy_with_libs FILE...: each file at its own path in the initramfs, with
# the shared libraries and the dynamic loader ldd names for it.
copy_with_libs() {
	local f l
	for f in "$@"; do
		[ -e "$f" ] || { echo "initramfs: $f is missing (make deps)" >&2; exit 1; }
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
		for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
			[ -e "$root$l" ] && continue
			mkdir -p "$root$(dirname "$l")"
			cp -L "$l" "$root$l"
		done
	done
}
if [ "${IMS_GUEST_PROGRAMS:-1}" = 1 ]; then
	# accel-config-test: dsa_test, iaa_test, their runner scripts, configs
	copy_with_libs /bin/bash /usr/bin/accel-config \
		$(find /usr/libexec/accel-config/test -type f | LC_ALL=C sort)
fi
for f in "$top"/tests/guest/*.sh; do
	[ -e "$f" ] || continue
	install -m 0755 "$f" "$root/tests/$(basename "$f" .sh)"
done
mkdir -p "$build/guest-bin"
# The tests use the test kernel's UAPI (VFIO cdev and iommufd ioctls are
# newer than Debian 12's linux-libc-dev): build/obj/usr/include.
make -s -C "$build/src" O="$build/obj" ARCH=x86_64 headers >/dev/null
for c in "$top"/tests/guest/*.c; do
	[ -e "$c" ] && [ "${IMS_GUEST_PROGRAMS:-1}" = 1 ] || continue
	n=$(basename "$c" .c)
	out=$build/guest-bin/$n
	newer_h=
	[ -e "$out" ] && newer_h=$(find "$top/tests/guest" -name '*.h' -newer "$out" | head -n1)
	if [ ! -e "$out" ] || [ "$c" -nt "$out" ] || [ -n "$newer_h" ]; then
		gcc -static -O2 -Wall -Wextra -Werror -I"$top/tests/guest" \
			-I"$obj/usr/include" -o "$out" "$c"
	fi
	# demo_*.c are run by the demo, everything else is a test.
	case "$n" in
	demo*) cp "$out" "$root/tests/$n" ;;
	*) cp "$out" "$root/tests/$n.t" ;;
	esac
done
make -s -C "$build/src" O="$obj" ARCH=x86_64 INSTALL_MOD_PATH="$root" \
	INSTALL_MOD_STRIP=1 modules_install >/dev/null
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) \
	> "$image.tmp"
mv "$image.tmp" "$image"
echo "initramfs: $(du -h "$image" | cut -f1) with $(ls "$root/tests" | wc -l) test programs"
