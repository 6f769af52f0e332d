// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: IMS end to end with the ims-edu sample driver.
 *
 * On the vtd machine the edu devices post their stored messages with their
 * own DMA and the interrupts must arrive: once per fire, on the CPU the
 * affinity names, across CPU hotplug, not while masked (then once on
 * unmask), beside edu's own MSI, with bad input rejected and nothing left
 * behind after free, exhaustion, device removal and module unload. On the
 * other machines IMS is refused and the driver falls back to edu's MSI.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/klog.h>
#include <time.h>
#include <unistd.h>
#include "tap.h"

#define MAXV	4096
#define NEDU	2	/* the machines have two edu devices */

/*
 * The plan is fixed before the first check: the checks of each part, for the
 * part the declared variant runs (vtd: IMS; the others: the MSI fallback).
 */
#define CHECKS_COMMON	4	/* devices, module load, unload, debugfs clean */
#define CHECKS_FALLBACK	(NEDU + 5)
#define CHECKS_VTD	(NEDU + 6 + 3 + 5 + 5 + 3 + 12 + 2 + 4 + 5)

struct vec {
	int slot, irq, hits, cpu[8];
	unsigned int ctrl, status, hi, lo, data;
};

static char edus[4][32];
static int nedu;

/* A command to a device's ctl file: 0 or -errno */
static int ctl(const char *bdf, const char *fmt, ...)
{
	char path[128], cmd[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "/sys/kernel/debug/ims-edu/%s/ctl", bdf);
	return write_str(path, cmd);
}

static int read_dev_file(const char *bdf, const char *name, char *buf, size_t len)
{
	char path[320];

	snprintf(path, sizeof(path), "/sys/kernel/debug/ims-edu/%s/%s", bdf, name);
	return read_file(path, buf, len);
}

static struct vec vecs[MAXV];

static int read_vectors(const char *bdf)
{
	static char buf[1 << 20];
	char *line, *save = NULL;
	int n = 0;

	if (read_dev_file(bdf, "vectors", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line && n < MAXV;
	     line = strtok_r(NULL, "\n", &save)) {
		struct vec *v = &vecs[n];
		char *p;
		int c = 0;

		memset(v, 0, sizeof(*v));
		v->slot = strtol(line, &p, 10);
		v->irq = strtol(p, &p, 10);
		v->hits = strtol(p, &p, 10);
		while (*p == ' ' && p[1] != 'c' && c < 8)
			v->cpu[c++] = strtol(p, &p, 10);
		sscanf(p, " ctrl=%x status=%x msg=%x:%x:%x", &v->ctrl, &v->status,
		       &v->hi, &v->lo, &v->data);
		n++;
	}
	return n;
}

static struct vec *get_vec(const char *bdf, int slot)
{
	int i, n = read_vectors(bdf);

	for (i = 0; i < n; i++)
		if (vecs[i].slot == slot)
			return &vecs[i];
	return NULL;
}

static int hits(const char *bdf, int slot)
{
	struct vec *v = get_vec(bdf, slot);

	return v ? v->hits : -1;
}

/* Wait until the slot has at least want hits; returns the final count */
static int wait_hits(const char *bdf, int slot, int want, int ms)
{
	int h = hits(bdf, slot);

	for (; h < want && ms > 0; ms -= 50) {
		msleep(50);
		h = hits(bdf, slot);
	}
	return h;
}

static int msi_count(const char *bdf)
{
	char buf[32];

	return read_dev_file(bdf, "msi", buf, sizeof(buf)) < 0 ? -1 : atoi(buf);
}

static int set_affinity(int irq, const char *mask)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity", irq);
	return write_str(path, mask);
}

static int count_in_file(const char *path, const char *needle)
{
	static char buf[1 << 18];
	char *p = buf;
	int n = 0;

	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	while ((p = strstr(p, needle))) {
		n++;
		p++;
	}
	return n;
}

static int klog_has(const char *s)
{
	static char klog[1 << 22];
	int n = klogctl(3, klog, sizeof(klog) - 1);

	klog[n > 0 ? n : 0] = 0;
	return strstr(klog, s) != NULL;
}

static int dir_has_entry_with(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	while (d && (e = readdir(d)))
		if (strstr(e->d_name, needle))
			found = 1;
	if (d)
		closedir(d);
	return found;
}

/*
 * An entry of the IMS core's debugfs directory that names an edu device
 * (other devices, such as the vtd machine's DSA, keep theirs).
 */
static int ims_debugfs_has_edu(void)
{
	DIR *d = opendir("/sys/kernel/debug/ims");
	struct dirent *e;
	char path[512], id[32];
	int found = 0;

	while (d && (e = readdir(d))) {
		if (!strchr(e->d_name, ':'))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 e->d_name);
		if (read_file(path, id, sizeof(id)) > 0 &&
		    strtoul(id, NULL, 0) == 0x11e8)
			found = 1;
	}
	if (d)
		closedir(d);
	return found;
}

static void test_fallback(const char *variant)
{
	char buf[128];
	int i, m;

	for (i = 0; i < NEDU; i++) {
		buf[0] = 0;
		read_dev_file(edus[i], "mode", buf, sizeof(buf));
		tap_check(!strncmp(buf, "msi (IMS refused: -95)", 22),
			  i ? "edu1: IMS refused with -EOPNOTSUPP, driver uses edu's MSI" :
			  "edu0: IMS refused with -EOPNOTSUPP, driver uses edu's MSI",
			  "%s on %s: mode '%s'", edus[i], variant, strtok(buf, "\n"));
	}
	tap_ok(ctl(edus[0], "alloc any") == -EOPNOTSUPP, "alloc answers -EOPNOTSUPP");
	tap_ok(ctl(edus[0], "fire 0") == -EOPNOTSUPP, "fire answers -EOPNOTSUPP");
	m = msi_count(edus[0]);
	tap_ok(ctl(edus[0], "raise") == 0, "raise edu's own MSI");
	for (i = 0; i < 40 && msi_count(edus[0]) < m + 1; i++)
		msleep(50);
	tap_check(msi_count(edus[0]) == m + 1, "edu's own MSI still arrives",
		  "MSI count %d -> %d", m, msi_count(edus[0]));
	tap_ok(klog_has("IMS refused by"), "the kernel logged why IMS was refused");
}

static void test_vectors(const char *d0)
{
	char path[128], needle[64];
	int i, ok = 1, total = 0, n, h;

	for (i = 0; i < 32; i++)
		ok &= ctl(d0, "alloc any") == 0;
	n = read_vectors(d0);
	tap_check(ok && n == 32, "32 vectors allocated at any free slot",
		  "%d vectors", n);

	for (i = 0; i < 32; i++)
		ctl(d0, "fire %d", i);
	for (i = 0; i < 32; i++)
		wait_hits(d0, i, 1, 20000);
	msleep(500);
	n = read_vectors(d0);
	for (i = 0, ok = 1; i < n; i++) {
		ok &= vecs[i].hits == 1;
		total += vecs[i].hits;
	}
	tap_check(ok && total == 32, "each of 32 fired slots counted exactly one interrupt",
		  "%d interrupts in total", total);

	snprintf(needle, sizeof(needle), "IR-IMS-EDU-%s", d0);
	n = count_in_file("/proc/interrupts", needle);
	tap_check(n == 32, "/proc/interrupts shows 32 IR-IMS-EDU lines of edu0",
		  "%d lines of %s", n, needle);
	snprintf(path, sizeof(path), "/sys/kernel/debug/ims/%s", d0);
	tap_check(count_in_file(path, " yes\n") == 32 && count_in_file(path, "IMS-EDU") == 1,
		  "debugfs ims/ lists the 32 slots of edu0 with handlers", "%s", path);
	snprintf(needle, sizeof(needle), "IMS-EDU-%s", d0);
	tap_check(dir_has_entry_with("/sys/kernel/debug/irq/domains", needle),
		  "the IMS domain is in the irq debugfs hierarchy", "domain %s", needle);
	h = hits(d0, 0);
	tap_check(h == 1, "no spurious interrupt", "slot 0 counted %d", h);
}

/* A vector that is not there reads as all zero (and fails the checks) */
static struct vec vec_or_zero(const char *bdf, int slot)
{
	struct vec *v = get_vec(bdf, slot), none = { .slot = -1, .irq = -1 };

	return v ? *v : none;
}

static void test_affinity(const char *d0)
{
	struct vec before, v;
	int c0, c1, ok;

	before = vec_or_zero(d0, 0);
	ok = before.slot == 0 && set_affinity(before.irq, "2") == 0;
	v = vec_or_zero(d0, 0);
	tap_check(ok && v.hi == before.hi && v.lo == before.lo && v.data == before.data,
		  "affinity to CPU1: stored message unchanged under remapping",
		  "slot 0 message %x:%x:%x, before %x:%x:%x", v.hi, v.lo, v.data,
		  before.hi, before.lo, before.data);
	c1 = v.cpu[1];
	ctl(d0, "fire 0");
	wait_hits(d0, 0, before.hits + 1, 15000);
	v = vec_or_zero(d0, 0);
	tap_check(ok && v.cpu[1] == c1 + 1, "next fire lands on CPU1",
		  "CPU1 count %d -> %d", c1, v.cpu[1]);
	c0 = v.cpu[0];
	set_affinity(v.irq, "1");
	ctl(d0, "fire 0");
	wait_hits(d0, 0, before.hits + 2, 15000);
	v = vec_or_zero(d0, 0);
	tap_check(ok && v.cpu[0] == c0 + 1 && v.hits == before.hits + 2,
		  "back to CPU0: next fire lands there", "CPU0 count %d -> %d, hits %d -> %d",
		  c0, v.cpu[0], before.hits, v.hits);
}

static void test_hotplug(const char *d0)
{
	const char *cpu1 = "/sys/devices/system/cpu/cpu1/online";
	struct vec v = vec_or_zero(d0, 1);
	int h, ok, c0, got;

	h = v.hits;
	ok = v.slot == 1 && set_affinity(v.irq, "2") == 0;
	ok = ok && write_str(cpu1, "0") == 0;
	tap_check(ok, "CPU1 offline with live vectors aimed at it", "slot 1 irq %d", v.irq);
	v = vec_or_zero(d0, 1);
	c0 = v.cpu[0];
	ctl(d0, "fire 1");
	got = wait_hits(d0, 1, h + 1, 15000);
	tap_check(ok && got == h + 1, "vector moved: fire with CPU1 offline arrives",
		  "hits %d -> %d", h, got);
	v = vec_or_zero(d0, 1);
	tap_check(ok && v.cpu[0] == c0 + 1, "it arrived on CPU0", "CPU0 count %d -> %d",
		  c0, v.cpu[0]);
	tap_ok(write_str(cpu1, "1") == 0, "CPU1 online again");
	ctl(d0, "fire 1");
	got = wait_hits(d0, 1, h + 2, 15000);
	tap_check(ok && got == h + 2, "fire after online arrives, none lost",
		  "hits %d -> %d", h, got);
}

static void test_mask(const char *d0)
{
	struct vec *v;
	int h = hits(d0, 2), i;

	tap_ok(ctl(d0, "mask 2") == 0, "mask slot 2");
	v = get_vec(d0, 2);
	tap_check(v && (v->ctrl & 1), "stored control word has the mask bit",
		  "control word %#x", v ? v->ctrl : 0);
	ctl(d0, "fire 2");
	/* The device reads the slot when it gets to the fire: wait for that */
	for (i = 0; i < 300; i++) {
		v = get_vec(d0, 2);
		if (!v || (v->status & 1))
			break;
		msleep(50);
	}
	msleep(500);
	v = get_vec(d0, 2);
	tap_check(v && v->hits == h && (v->status & 1),
		  "fire while masked: not delivered, pending set",
		  "hits %d -> %d, status %#x", h, v ? v->hits : -1, v ? v->status : 0);
	tap_ok(ctl(d0, "unmask 2") == 0, "unmask slot 2");
	wait_hits(d0, 2, h + 1, 15000);
	msleep(1000);
	v = get_vec(d0, 2);
	tap_check(v && v->hits == h + 1 && !(v->status & 1),
		  "unmask delivered the pending interrupt exactly once",
		  "hits %d -> %d, status %#x", h, v ? v->hits : -1, v ? v->status : 0);
}

static void test_beside_msi(const char *d0)
{
	int m = msi_count(d0), i;

	tap_ok(ctl(d0, "raise") == 0, "raise edu's own MSI with IMS vectors live");
	for (i = 0; i < 40 && msi_count(d0) < m + 1; i++)
		msleep(50);
	tap_check(msi_count(d0) == m + 1, "edu's own MSI arrives beside IMS",
		  "MSI count %d -> %d", m, msi_count(d0));
	i = count_in_file("/proc/interrupts", "ims-edu-msi");
	tap_check(i == nedu, "edu MSI lines (IR-PCI-MSI) beside the IMS lines",
		  "%d ims-edu-msi lines for %d devices", i, nedu);
}

static void test_bad_input(const char *d0)
{
	int n = read_vectors(d0);
	struct vec *v;

	tap_ok(ctl(d0, "alloc 5000") == -ERANGE, "alloc beyond the table: -ERANGE");
	tap_ok(ctl(d0, "alloc 0") == -EBUSY, "alloc a slot in use: -EBUSY");
	tap_ok(ctl(d0, "alloc any pasid=100000") == -EINVAL,
	       "a PASID wider than the 20-bit field: -EINVAL");
	tap_ok(ctl(d0, "fire 2000") == -ENOENT, "fire an unallocated slot: -ENOENT");
	tap_ok(ctl(d0, "free 2000") == -ENOENT, "free an unallocated slot: -ENOENT");
	tap_ok(ctl(d0, "bogus") == -EINVAL, "unknown command: -EINVAL");
	tap_ok(ctl(d0, "alloc any pasid=zz") == -EINVAL, "malformed PASID: -EINVAL");
	tap_ok(ctl(d0, "unmask 0") == -EINVAL, "unmask of an unmasked slot: -EINVAL");
	tap_check(read_vectors(d0) == n, "bad input changed nothing",
		  "%d vectors before, %d after", n, read_vectors(d0));
	tap_ok(ctl(d0, "free 3") == 0 && ctl(d0, "free 3") == -ENOENT,
	       "double free: -ENOENT the second time");
	tap_ok(ctl(d0, "alloc 100 pasid=abcde") == 0, "alloc with a PASID cookie");
	v = get_vec(d0, 100);
	tap_check(v && v->ctrl == (0xabcdeU << 12 | 1 << 3),
		  "PASID encoded in the stored control word", "control word %#x",
		  v ? v->ctrl : 0);
}

static void test_free_in_flight(const char *d0)
{
	tap_ok(ctl(d0, "fire 4") == 0 && ctl(d0, "free 4") == 0,
	       "free a slot with a fire in flight");
	msleep(1000);
	tap_ok(get_vec(d0, 4) == NULL, "slot 4 is gone");
}

static void test_exhaustion(const char *d1)
{
	int n = 0, ret;

	while ((ret = ctl(d1, "alloc any")) == 0 && n < MAXV)
		n++;
	tap_check(ret == -ENOSPC && n > 100, "allocation until the parent refuses, then -ENOSPC",
		  "%d vectors allocated on %s before refusal (%d)", n, d1, ret);
	tap_ok(ctl(d1, "free_all") == 0 && read_vectors(d1) == 0, "free all");
	tap_ok(ctl(d1, "alloc any") == 0 && get_vec(d1, 0), "allocate again after free all");
	tap_ok(ctl(d1, "fire 0") == 0 && wait_hits(d1, 0, 1, 15000) == 1,
	       "and it fires");
}

static void test_remove_rescan(const char *d0)
{
	char path[128], buf[64];
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", d0);
	i = read_vectors(d0);
	tap_check(write_str(path, "1") == 0, "remove edu0 with live vectors",
		  "%s with %d live vectors", d0, i);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", d0);
	tap_ok(access(path, F_OK) != 0, "device gone");
	tap_ok(write_str("/sys/bus/pci/rescan", "1") == 0, "rescan");
	buf[0] = 0;
	for (i = 0; i < 100 && read_dev_file(d0, "mode", buf, sizeof(buf)) < 0; i++)
		msleep(50);
	tap_check(!strncmp(buf, "ims", 3), "device back, driver bound, IMS again",
		  "mode '%s'", strtok(buf, "\n"));
	tap_ok(ctl(d0, "alloc 7") == 0 && ctl(d0, "fire 7") == 0 &&
	       wait_hits(d0, 7, 1, 15000) == 1, "the device works again after rescan");
}

int main(void)
{
	const char *variant = guest_arg("variant");
	char buf[128];
	int i;

	if (tap_edu_elsewhere(variant, "the edu IMS checks"))
		return tap_done();
	if (!variant)
		variant = "";
	/* Which part runs follows the declared variant: vtd accepts IMS */
	tap_plan(CHECKS_COMMON + (strcmp(variant, "vtd") ? CHECKS_FALLBACK : CHECKS_VTD));
	nedu = find_pci_devices(0x1234, 0x11e8, edus, 4);
	if (nedu > 4)
		nedu = 4;
	tap_check(nedu == NEDU, "two edu devices", "%d edu devices", nedu);
	tap_ok(system("modprobe ims-edu") == 0, "ims-edu module loads");
	if (nedu < NEDU)
		return tap_done();

	if (strcmp(variant, "vtd")) {
		test_fallback(variant);
	} else {
		for (i = 0; i < NEDU; i++) {
			buf[0] = 0;
			read_dev_file(edus[i], "mode", buf, sizeof(buf));
			tap_check(!strncmp(buf, "ims slots=2048", 14),
				  i ? "edu1: IMS on vtd" : "edu0: IMS on vtd",
				  "%s: mode '%s'", edus[i], strtok(buf, "\n"));
		}
		test_vectors(edus[0]);
		test_affinity(edus[0]);
		test_hotplug(edus[0]);
		test_mask(edus[0]);
		test_beside_msi(edus[0]);
		test_bad_input(edus[0]);
		test_free_in_flight(edus[0]);
		test_exhaustion(edus[1]);
		test_remove_rescan(edus[0]);
	}
	tap_ok(system("rmmod ims-edu") == 0, "module unloads with vectors allocated");
	tap_ok(access("/sys/kernel/debug/ims-edu", F_OK) != 0 &&
	       !ims_debugfs_has_edu(),
	       "nothing left in debugfs after unload");
	return tap_done();
}
