#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make kunit-py: the IMS KUnit suites of kernel/irq/ the upstream way, with
# the kernel's own tools/testing/kunit/kunit.py on the prepared tree
# (build/src): kernel/irq/.kunitconfig, built in build/kunit, booted on
# Debian's qemu-system-x86_64 with the VT-d machine of
# tools/testing/kunit/qemu_configs/x86_64_vtd.py.  Not part of make check:
# it builds a kernel of its own.
#
# kunit.py always asks QEMU for KVM first (-accel kvm -accel hvf -accel
# tcg).  Where /dev/kvm exists but cannot run a guest (a VM without nested
# virtualization: QEMU starts on KVM and the guest never boots), KVM=0 (the
# default) runs kunit.py in a private mount namespace whose /dev/kvm is
# /dev/null, so that QEMU falls back to TCG as every other guest of the
# harness does.  KVM=1 leaves /dev/kvm alone.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${IMS_BUILD:-$TOP/build}
JOBS=${JOBS:-2}
TIMEOUT=${KUNIT_PY_TIMEOUT:-1200}

cmd=(./tools/testing/kunit/kunit.py run --kunitconfig=kernel/irq
     --qemu_config=tools/testing/kunit/qemu_configs/x86_64_vtd.py
     --build_dir="$BUILD/kunit" --jobs="$JOBS" --timeout="$TIMEOUT"
     "--make_options=CC=ccache gcc")

command -v qemu-system-x86_64 >/dev/null || {
	echo "kunit-py: qemu-system-x86_64 is missing (Debian: qemu-system-x86)" >&2
	exit 1
}
cd "$BUILD/src"
echo "kunit-py: (cd build/src &&$(printf ' %q' "${cmd[@]}"))"
if [ "${KVM:-0}" = 1 ] || [ ! -e /dev/kvm ]; then
	exec "${cmd[@]}"
fi
# As root a mount namespace is enough; otherwise a user namespace too.
ns=(--mount)
[ "$(id -u)" = 0 ] || ns=(--map-root-user --mount)
exec unshare "${ns[@]}" sh -c 'mount --bind /dev/null /dev/kvm && exec "$@"' \
	kunit-py "${cmd[@]}"
