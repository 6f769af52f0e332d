#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo run by "make run": what the booted IMS test machine looks like.
echo "== IMS for Linux demo: kernel $(uname -r), $(nproc) CPUs =="
echo
echo "-- interrupt remapping (kernel log) --"
dmesg | grep -E "DMAR-IR|AMD-Vi: Interrupt|IRQ remapping" | sed 's/^\[[^]]*\] //'
echo
echo "-- edu devices (QEMU's educational PCI device, 1234:11e8) --"
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] &&
		echo "$(basename "$d")  msi parent: $(ls /sys/kernel/debug/irq/domains | grep -m1 -E 'INTEL-IR|AMD-IR|VECTOR')"
done
echo
echo "-- /proc/interrupts (remapped lines) --"
grep -E "IR-" /proc/interrupts | head -8
echo
echo "summary: the guest boots with VT-d interrupt remapping; every message-"
echo "signalled interrupt goes through the remapping table (IR-* chips above)."
