#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo run by "make run": IMS end to end on the vtd machine.
echo "== IMS for Linux demo: kernel $(uname -r), $(nproc) CPUs =="
echo
echo "-- interrupt remapping (kernel log) --"
dmesg | grep -E "DMAR-IR: Enabled|AMD-Vi: Interrupt remapping" | sed 's/^\[[^]]*\] //'
echo
modprobe ims-edu
edu=$(ls /sys/kernel/debug/ims-edu | head -n 1)
ctl=/sys/kernel/debug/ims-edu/$edu/ctl
echo "-- ims-edu bound to $edu: $(cat /sys/kernel/debug/ims-edu/$edu/mode) --"
case "$(cat /sys/kernel/debug/ims-edu/$edu/mode)" in
ims*) ;;
*) echo "IMS is not available on this machine; see the kernel log"; exit 0 ;;
esac
for slot in 0 1 2 3; do
	echo "alloc $slot" > "$ctl"
done
echo "allocated IMS slots 0-3; the device now fires each one with its own DMA"
for slot in 0 1 2 3; do
	echo "fire $slot" > "$ctl"
done
i=0
while [ "$i" -lt 100 ]; do
	done=$(awk '$3 >= 1' "/sys/kernel/debug/ims-edu/$edu/vectors" | wc -l)
	[ "$done" -ge 4 ] && break
	sleep 0.2
	i=$((i + 1))
done
echo
echo "-- /proc/interrupts (IMS vectors of $edu, and edu's own MSI) --"
head -n 1 /proc/interrupts
grep -E "IMS-EDU-$edu|ims-edu-msi" /proc/interrupts | head -n 6
echo
echo "-- the device's message store (/sys/kernel/debug/ims-edu/$edu/vectors) --"
echo "slot irq hits cpu0 cpu1 ..."
cat "/sys/kernel/debug/ims-edu/$edu/vectors"
echo
echo "-- the IMS core's view (/sys/kernel/debug/ims/$edu) --"
cat "/sys/kernel/debug/ims/$edu"
echo
fired=$(awk '$3 >= 1' "/sys/kernel/debug/ims-edu/$edu/vectors" | wc -l)
echo "summary: $fired of 4 IMS interrupts arrived. Each message lives in memory"
echo "the device reads (msg=high:low:data above); under VT-d the address names"
echo "an interrupt remapping entry, which is why IMS is allowed here and refused"
echo "on machines without trustworthy remapping."
