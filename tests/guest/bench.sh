#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# The guest side of the benchmark (make bench, make check's bench stage;
# run by tests/guest/init with ims.mode=bench on the bench machine of
# harness/bench.py).  Gives the edu devices and the nvme controller to
# samples/ims/ims-bench.c with driver_override, runs its commands and
# prints their output between "BENCH-DATA NAME" and "BENCH-END NAME", with
# one TAP check per step (fixed plan).  Sizes on the command line:
# ims.bench_iters (set-up rounds), ims.bench_grow (growth limit),
# ims.bench_step and ims.bench_oreps (occupancy probes: every STEP held
# vectors, OREPS set-ups and tear-downs of one more), ims.bench_hold and
# ims.bench_mreps (vectors held for the memory figure, repetitions of it in
# a rotating order of the kinds), ims.bench_mask (mask rounds).
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
step=$(karg ims.bench_step)
oreps=$(karg ims.bench_oreps)
hold=$(karg ims.bench_hold)
mreps=$(karg ims.bench_mreps)
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
rotate() { # R WORDS...: the words rotated left by R
	r=$1
	shift
	while [ "$r" -gt 0 ]; do
		w=$1
		shift
		set -- "$@" "$w"
		r=$((r - 1))
	done
	echo "$@"
}
memread() { # NAME: memory counters as a block, once nothing is pending
	# Deferred frees first (RCU: irq descriptors, kernfs and debugfs
	# nodes), then every cache gives back its per-CPU and empty slabs, so
	# that the live objects are counted and what an earlier command freed
	# does not hide what the next one allocates
	echo quiesce > $D/ctl || return 1
	for c in /sys/kernel/slab/*; do
		[ -L "$c" ] || echo 1 > "$c/shrink"
	done
	echo 1 > /proc/sys/vm/stat_refresh
	{
		grep -E '^(Slab|VmallocUsed|Percpu):' /proc/meminfo
		# "slab CACHE OBJECTS OBJECT_SIZE SLAB_SIZE" of every cache
		# (aliases of a merged cache are symbolic links: skipped)
		for c in /sys/kernel/slab/*; do
			[ -L "$c" ] && continue
			read -r o _ < "$c/objects"
			read -r sz < "$c/object_size"
			read -r ssz < "$c/slab_size"
			echo "slab ${c##*/} $o $sz $ssz"
		done
	} | data "$1"
}

echo "1..20"
# The timings need the final clocksource: wait (up to 60 s) until the
# kernel has left tsc-early for its calibrated one
cs=/sys/devices/system/clocksource/clocksource0/current_clocksource
i=0
while [ "$(cat $cs)" = tsc-early ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
{
	echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "kernel=$(uname -r)"
	echo "memory_kb=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/meminfo)"
	echo "iommu=$(ls /sys/class/iommu 2>/dev/null | tr '\n' ' ')"
	echo "clocksource_start=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "pci=$(for d in /sys/bus/pci/devices/*; do echo "$(cat "$d/vendor"):$(cat "$d/device")"; done | tr '\n' ' ')"
} | data machine
echo "iters=$iters grow=$grow step=$step oreps=$oreps hold=$hold mreps=$mreps mask=$mask" |
	data params

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
data devices < $D/devices
for k in $KINDS; do
	grep -q "^kind=$k " $D/devices
	check $? "$k device bound"
done

cmd setup "setup $iters"
check $? "set-up and tear-down of every kind"

# Growth, its tear-down newest first (lifo) and oldest first (fifo), for
# every kind
for order in lifo fifo; do
	for k in $KINDS; do
		[ $order = lifo ] && data "vector-$k" < /sys/kernel/debug/irq/domains/VECTOR
		cmd "grow-$order-$k" "grow $k $grow $order"
		check $? "growth of $k, freed $order"
	done
done
# The cost of one more vector at a given number held, measured right away
for k in $KINDS; do
	cmd "occupancy-$k" "occupancy $k $grow $step $oreps"
	check $? "occupancy probes of $k"
done

# Memory: mreps times, the kinds in a rotating order
r=0
st_ims_mem=0 st_ims_mmio=0 st_msix=0
while [ $r -lt "$mreps" ]; do
	for k in $(rotate $((r % 3)) $KINDS); do
		memread "mem-before-$k-$r"
		rc=$?
		cmd "hold-$k-$r" "hold $k $hold"
		rc=$((rc + $?))
		memread "mem-after-$k-$r"
		rc=$((rc + $?))
		echo release > $D/ctl
		rc=$((rc + $?))
		v=st_$(echo $k | tr - _)
		eval "$v=\$((\$$v + rc))"
	done
	r=$((r + 1))
done
for k in $KINDS; do
	v=st_$(echo $k | tr - _)
	eval "check \$$v \"memory of the vectors of $k\""
done

cmd mask "mask $mask"
check $? "mask and unmask of every kind"

{
	echo "clocksource_end=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)"
} | data conditions

# Unloading with vectors held frees them (bench_remove())
echo "hold ims-mem 4" > $D/ctl && echo "hold msix 4" > $D/ctl
rc=$?
[ $rc = 0 ] && [ "$(grep -c ims-bench /proc/interrupts)" -ge 8 ]
rc=$((rc + $?))
rmmod ims-bench
check $((rc + $?)) "ims-bench module unloads with vectors held"
! grep -q ims-bench /proc/interrupts
check $? "no vector of the benchmark is left"
[ $n = 20 ] && [ $failed = 0 ]
