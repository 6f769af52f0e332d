#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# The guest side of the benchmark (make bench, make check's bench stage;
# run by tests/guest/init with ims.mode=bench on the bench machine of
# harness/bench.py).  Gives the edu devices and the nvme controller to
# samples/ims/ims-bench.c with driver_override, runs its commands and
# prints their output between "BENCH-DATA NAME" and "BENCH-END NAME", with
# one TAP check per step (fixed plan).  Sizes: ims.bench_iters,
# ims.bench_grow, ims.bench_hold and ims.bench_mask on the command line.
D=/sys/kernel/debug/ims-bench
KINDS="ims-mem ims-mmio msix"

karg() {
	set -f
	for w in $(cat /proc/cmdline); do
		case "$w" in "$1"=*) set +f; echo "${w#*=}"; return ;; esac
	done
	set +f
}
iters=$(karg ims.bench_iters)
grow=$(karg ims.bench_grow)
hold=$(karg ims.bench_hold)
mask=$(karg ims.bench_mask)

n=0
failed=0
check() { # STATUS NAME: one TAP result, ok when STATUS is 0
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
data() { # NAME: stdin as a data block
	echo "BENCH-DATA $1"
	cat
	echo "BENCH-END $1"
}
cmd() { # NAME COMMAND: run a benchmark command, its output as a block
	echo "$2" > $D/ctl
	rc=$?
	data "$1" < $D/out
	[ $rc = 0 ] || echo "# '$2' failed"
	return $rc
}
meminfo() { # NAME: exact memory counters as a block
	# Give empty slabs back first, so that what an earlier command freed
	# does not hide what the next one allocates
	for c in /sys/kernel/slab/*/shrink; do
		echo 1 > "$c"
	done
	echo 1 > /proc/sys/vm/stat_refresh
	grep -E '^(Slab|VmallocUsed|Percpu):' /proc/meminfo | data "$1"
}

echo "1..14"
{
	echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "kernel=$(uname -r)"
	echo "memory_kb=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/meminfo)"
	echo "iommu=$(ls /sys/class/iommu 2>/dev/null | tr '\n' ' ')"
} | data machine
echo "iters=$iters grow=$grow hold=$hold mask=$mask" | data params

modprobe ims-bench
check $? "ims-bench module loads"
# The edu devices (1234:11e8) and QEMU's nvme (1b36:0010), in PCI address
# order: the first edu becomes ims-mem, the second ims-mmio
for d in /sys/bus/pci/devices/*; do
	case "$(cat "$d/vendor"):$(cat "$d/device")" in
	0x1234:0x11e8 | 0x1b36:0x0010)
		echo ims-bench > "$d/driver_override"
		echo "${d##*/}" > /sys/bus/pci/drivers_probe
		;;
	esac
done
sed 's/^/# /' $D/devices
for k in $KINDS; do
	grep -q "^kind=$k " $D/devices
	check $? "$k device bound"
done

cmd setup "setup $iters"
check $? "set-up and tear-down of every kind"

for k in $KINDS; do
	data "vector-$k" < /sys/kernel/debug/irq/domains/VECTOR
	cmd "grow-$k" "grow $k $grow"
	check $? "growth of $k"
done
# The same growth freed in allocation order: does the tear-down of an IMS
# vector depend on where it sits among the allocated ones?
cmd grow-fifo-ims-mem "grow ims-mem $grow fifo"
check $? "growth of ims-mem, freed in allocation order"

for k in $KINDS; do
	meminfo "mem-before-$k"
	cmd "hold-$k" "hold $k $hold"
	rc=$?
	meminfo "mem-after-$k"
	echo release > $D/ctl
	check $((rc + $?)) "memory of the vectors of $k"
done

cmd mask "mask $mask"
check $? "mask and unmask of every kind"

rmmod ims-bench
check $? "ims-bench module unloads with its devices bound"
[ $n = 14 ] && [ $failed = 0 ]
