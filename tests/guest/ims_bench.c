// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: the benchmark module (samples/ims/ims-bench.c) on the test
 * kernel, under lockdep, KASAN and kmemleak, with tiny sizes.
 *
 * The bench machine (make bench) runs the module on the production kernel,
 * where nothing checks its locking or its error paths. Here, on vtd, both
 * edu devices are given to it (there is no MSI-X device of its kind on the
 * test machines): every command runs once, bad commands are refused with
 * their errno and leave nothing behind, an output that does not fit fails
 * with -EFBIG and frees what it set up, and the module unloads with vectors
 * held. On the machines without IMS the binding must fail cleanly.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/klog.h>
#include <unistd.h>
#include "tap.h"

#define D	"/sys/kernel/debug/ims-bench"
#define NEDU	2

#define CHECKS_COMMON	4	/* devices, module load, unload, nothing left */
#define CHECKS_NO_IMS	1
#define CHECKS_VTD	10

static char edus[4][32];
static char out[16384];

/* A command: 0 or -errno; its output in out[] */
static int cmd(const char *fmt, ...)
{
	char c[64];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(c, sizeof(c), fmt, ap);
	va_end(ap);
	ret = write_str(D "/ctl", c);
	if (read_file(D "/out", out, sizeof(out)) < 0)
		out[0] = 0;
	return ret;
}

/* Lines of out[] that start with @prefix */
static int lines(const char *prefix)
{
	const char *p = out;
	int n = 0;

	while (*p) {
		if (!strncmp(p, prefix, strlen(prefix)))
			n++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

/* Interrupts named "ims-bench" in /proc/interrupts */
static int bench_irqs(void)
{
	static char buf[1 << 20];
	const char *p = buf;
	int n = 0;

	if (read_file("/proc/interrupts", buf, sizeof(buf)) < 0)
		return -1;
	while ((p = strstr(p, "ims-bench"))) {
		n++;
		p++;
	}
	return n;
}

/* The IMS debugfs file of an edu device (there while it has an IMS domain) */
static int ims_debugfs_has_edu(int n)
{
	char path[256];
	int i, found = 0;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/ims/%s", edus[i]);
		found += access(path, F_OK) == 0;
	}
	return found;
}

/* The value of @key= in the first line of out[] that starts with @prefix */
static long field(const char *prefix, const char *key)
{
	char pat[32];
	const char *p = out, *end, *v;

	snprintf(pat, sizeof(pat), " %s=", key);
	while (p && *p) {
		end = strchr(p, '\n');
		if (!strncmp(p, prefix, strlen(prefix))) {
			v = strstr(p, pat);
			if (v && (!end || v < end))
				return strtol(v + strlen(pat), NULL, 10);
			return -1;
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}

/* The IMS core found a vector ims-bench left requested (freed or leaked it) */
static int klog_has_left_handler(void)
{
	static char log[1 << 22];
	int n = klogctl(3, log, sizeof(log) - 1);	/* SYSLOG_ACTION_READ_ALL */
	char *line, *save;

	if (n < 0)
		return -1;
	log[n] = 0;
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "ims-bench ") &&
		    (strstr(line, "still has a handler") || strstr(line, "still have a handler")))
			return 1;
	return 0;
}

static void bind_edus(int n)
{
	char path[256];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
			 edus[i]);
		write_str(path, "ims-bench");
		write_str("/sys/bus/pci/drivers_probe", edus[i]);
	}
}

/* Later tests bind the edu devices to their own drivers again */
static void unbind_edus(int n)
{
	char path[256];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
			 edus[i]);
		write_str(path, "\n");
	}
}

static void test_vtd(void)
{
	static const char * const bad[] = {
		"setup 0", "setup 10 junk", "setup", "grow ims-mem 5 fifo x",
		"grow ims-mem 5 sideways", "grow ims-mem 0", "hold ims-mem 0",
		"occupancy ims-mem 8 0 1", "occupancy ims-mem 8 2 0", "mask 100001",
		"frobnicate", "frobnicate ims-mem 5", "setup10", "mask 5 6",
		"hold ims-mem 4 4", "occupancy ims-mem 8 2", "grow ims-mem -1",
		"setup  4",
	};
	char devs[1024];
	int ret, i, refused = 0, leaks;

	devs[0] = 0;
	read_file(D "/devices", devs, sizeof(devs));
	tap_check(strstr(devs, "kind=ims-mem ") && strstr(devs, "kind=ims-mmio ") &&
		  !strstr(devs, "kind=msix "), "both edu devices bound (ims-mem, ims-mmio)",
		  "devices: %s", devs);

	ret = cmd("setup 4");
	tap_check(!ret && lines("setup kind=ims-mem n=4 ") == 1 &&
		  lines("setup kind=ims-mmio n=4 ") == 1 && lines("done") == 1 &&
		  field("setup kind=ims-mem ", "total_median_ns") > 0 &&
		  field("setup kind=ims-mem ", "doorbells") >= 4 &&
		  field("setup kind=ims-mmio ", "doorbells") == 0,
		  "setup 4: both kinds, the memory kind rang its doorbell",
		  "ret %d, out: %s", ret, out);

	ret = cmd("grow ims-mem 8 fifo");
	tap_check(!ret && lines("grow kind=ims-mem max=8 got=8 stop_errno=0 order=fifo") == 1 &&
		  lines("g ims-mem ") == 8 && lines("done") == 1,
		  "grow ims-mem 8 fifo: 8 vectors, one record each", "ret %d, out: %s", ret, out);

	ret = cmd("occupancy ims-mmio 8 2 2");
	tap_check(!ret && lines("o ims-mmio ") == 5 &&
		  lines("occupancy kind=ims-mmio max=8 step=2 reps=2 held=8 stop_errno=0") == 1,
		  "occupancy ims-mmio 8 2 2: 5 probes", "ret %d, out: %s", ret, out);

	ret = cmd("mask 4");
	tap_check(!ret && lines("mask kind=ims-mem n=4 ") == 1 &&
		  lines("mask kind=ims-mmio n=4 ") == 1,
		  "mask 4: both kinds", "ret %d, out: %s", ret, out);

	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		ret = cmd("%s", bad[i]);
		if (ret == -EINVAL)
			refused++;
		else
			tap_diag("'%s': %d", bad[i], ret);
	}
	ret = cmd("grow msix 4");
	leaks = bench_irqs();
	tap_check(refused == (int)(sizeof(bad) / sizeof(bad[0])) && ret == -ENODEV &&
		  leaks == 0, "bad commands: -EINVAL, a missing kind -ENODEV, nothing left",
		  "%d of %zu refused, msix %d, %d vectors left", refused,
		  sizeof(bad) / sizeof(bad[0]), ret, leaks);

	/* 300 records do not fit in the 4 KiB the module was loaded with */
	ret = cmd("grow ims-mem 300");
	leaks = bench_irqs();
	tap_check(ret == -EFBIG && leaks == 0,
		  "an output that does not fit: -EFBIG, its vectors freed",
		  "ret %d, %d vectors left", ret, leaks);

	tap_ok(cmd("quiesce") == 0 && lines("done") == 1, "quiesce");

	ret = cmd("hold ims-mem 8");
	ret = ret ?: cmd("hold ims-mmio 8");
	i = cmd("hold ims-mem 8");
	tap_check(!ret && i == -EBUSY && bench_irqs() == 16,
		  "hold 8 of each kind (a second hold: -EBUSY)",
		  "ret %d, again %d, %d vectors", ret, i, bench_irqs());

	devs[0] = 0;
	read_file(D "/devices", devs, sizeof(devs));
	tap_check(strstr(devs, "held=8\n") != NULL, "devices shows the held vectors",
		  "devices: %s", devs);
}

static void test_no_ims(const char *variant)
{
	char devs[1024], path[256];
	int i, bound = 0;

	devs[0] = 0;
	read_file(D "/devices", devs, sizeof(devs));
	for (i = 0; i < NEDU; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", edus[i]);
		bound += access(path, F_OK) == 0;
	}
	tap_check(!strstr(devs, "kind=") && !bound,
		  "no IMS: the edu devices are refused", "%s: %d bound, devices: %s",
		  variant, bound, devs);
}

int main(void)
{
	const char *variant = guest_arg("variant");
	int nedu, vtd;

	if (tap_edu_elsewhere(variant, "the ims-bench checks"))
		return tap_done();
	if (!variant)
		variant = "";
	vtd = !strcmp(variant, "vtd");
	tap_plan(CHECKS_COMMON + (vtd ? CHECKS_VTD : CHECKS_NO_IMS));
	nedu = find_pci_devices(0x1234, 0x11e8, edus, 4);
	tap_check(nedu == NEDU, "two edu devices", "%d edu devices", nedu);
	tap_ok(system("modprobe ims-bench out_size=4096") == 0,
	       "ims-bench module loads (4 KiB output)");
	if (nedu < NEDU)
		return tap_done();
	bind_edus(NEDU);
	if (vtd)
		test_vtd();
	else
		test_no_ims(variant);
	/* With vectors held on vtd: bench_remove() frees them */
	tap_ok(system("rmmod ims-bench") == 0, "module unloads (vectors held on vtd)");
	/* bench_remove() frees what it holds: the IMS core need not */
	tap_check(bench_irqs() == 0 && access(D, F_OK) != 0 && !ims_debugfs_has_edu(NEDU) &&
		  klog_has_left_handler() == 0,
		  "nothing left after unload (interrupts, debugfs, IMS tables)",
		  "%d vectors, IMS core freed a requested vector: %d", bench_irqs(),
		  klog_has_left_handler());
	unbind_edus(NEDU);
	return tap_done();
}
