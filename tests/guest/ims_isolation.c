// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: interrupt isolation between two devices.
 *
 * IMS is safe only because an interrupt remapping unit validates who posts
 * a message: the remapping entry names its device (VT-d: the IRTE's source
 * ID; AMD-Vi: the device's own remapping table). edu0 ("A") posts, with its
 * own DMA, the interrupt message of edu1 ("B"), through the ims-edu test
 * hook "post"; then B posts the same message as the positive control. The
 * message is one of B's IMS vectors where IMS is accepted (vtd), otherwise
 * B's MSI message from its config space.
 *
 * That a device's DMA carries its requester ID at all is our QEMU's patch
 * patches/qemu/0003; without it VT-d skips the source-id check (and A's
 * forged write is delivered) and AMD-Vi looks the write up in the
 * southbridge IOAPIC's table instead of B's.
 *
 * What each machine must show follows from the declared variant:
 *   vtd, vtd-caching  VT-d blocks A's write and records the fault (source
 *                     ID A, the entry's index, reason 0x26: source-id
 *                     verification failure; our QEMU's patch 0005), which
 *                     the guest's DMAR driver logs; B's own write is
 *                     delivered and records nothing.
 *   amdvi             AMD-Vi looks A's write up in A's own table: nothing
 *                     reaches B; B's own write is delivered.
 *   none              no remapping: A's forged write reaches B. That is why
 *                     IMS is refused there.
 * The post hook polls its DMA transfers, so the posted message is the only
 * interrupt a post causes.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/klog.h>
#include <time.h>
#include <unistd.h>
#include "tap.h"

#define TARGET_SLOT	5

static char edus[2][32];

/* A command to a device's ctl file: 0 or -errno */
static int ctl(const char *bdf, const char *fmt, ...)
{
	char path[128], cmd[64];
	va_list ap;
	int fd, ret = 0;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "/sys/kernel/debug/ims-edu/%s/ctl", bdf);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Interrupts of Linux irq @irq on all CPUs, from /proc/interrupts */
static long irq_count(int irq)
{
	static char buf[1 << 18];
	char *line, *save = NULL, *p;
	long sum = 0;

	if (irq <= 0 || read_file("/proc/interrupts", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strtol(line, &p, 10) != irq || *p != ':')
			continue;
		for (p++; ; ) {
			char *end;
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			sum += v;
			p = end;
		}
		return sum;
	}
	return -1;
}

/* Wait until @irq counted @want or more, then a little longer for extras */
static long settle(int irq, long want)
{
	int ms;

	for (ms = 0; ms < 5000 && irq_count(irq) < want; ms += 50)
		msleep(50);
	msleep(500);
	return irq_count(irq);
}

/* How many times the kernel log holds @s */
static int klog_count(const char *s)
{
	static char klog[1 << 22];
	int n = klogctl(3, klog, sizeof(klog) - 1);
	char *p = klog;

	klog[n > 0 ? n : 0] = 0;
	for (n = 0; (p = strstr(p, s)); p++)
		n++;
	return n;
}

/* The interrupt_index a VT-d remappable format message names */
static unsigned int vtd_index(uint64_t addr, uint32_t data)
{
	unsigned int index = (addr >> 5 & 0x7fff) | (addr >> 2 & 1) << 15;

	if (addr & 8)	/* SHV: the subhandle in the data is added */
		index += data & 0xffff;
	return index;
}

struct target {
	int irq;
	uint64_t addr;
	uint32_t data;
};

/* B's IMS vector at TARGET_SLOT (vtd) */
static int ims_target(const char *bdf, struct target *t)
{
	static char buf[1 << 16];
	char path[128], *line, *save = NULL;
	unsigned int hi, lo, data;
	int slot, irq;

	if (ctl(bdf, "alloc %d", TARGET_SLOT))
		return -1;
	snprintf(path, sizeof(path), "/sys/kernel/debug/ims-edu/%s/vectors", bdf);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *m = strstr(line, "msg=");

		if (sscanf(line, "%d %d", &slot, &irq) != 2 || slot != TARGET_SLOT || !m ||
		    sscanf(m, "msg=%x:%x:%x", &hi, &lo, &data) != 3)
			continue;
		t->irq = irq;
		t->addr = (uint64_t)hi << 32 | lo;
		t->data = data;
		return 0;
	}
	return -1;
}

/* B's MSI: the Linux irq from msi_irqs/, the message from config space */
static int msi_target(const char *bdf, struct target *t)
{
	unsigned char cfg[256];
	char path[128];
	struct dirent *e;
	DIR *d;
	int fd, n, pos, hops;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs", bdf);
	d = opendir(path);
	t->irq = -1;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			t->irq = atoi(e->d_name);
	if (d)
		closedir(d);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, cfg, sizeof(cfg));
	close(fd);
	if (n != (int)sizeof(cfg) || !(cfg[0x06] & 0x10))
		return -1;
	for (pos = cfg[0x34] & 0xfc, hops = 0; pos && hops < 48;
	     pos = cfg[pos + 1] & 0xfc, hops++) {
		int is64;

		if (pos > 0xf0 || cfg[pos] != 0x05)	/* MSI */
			continue;
		is64 = cfg[pos + 2] & 0x80;
		t->addr = cfg[pos + 4] | cfg[pos + 5] << 8 | cfg[pos + 6] << 16 |
			  (uint32_t)cfg[pos + 7] << 24;
		if (is64)
			t->addr |= (uint64_t)(cfg[pos + 8] | cfg[pos + 9] << 8 |
					      cfg[pos + 10] << 16 |
					      (uint32_t)cfg[pos + 11] << 24) << 32;
		pos += is64 ? 12 : 8;
		t->data = cfg[pos] | cfg[pos + 1] << 8;
		return t->irq > 0 ? 0 : -1;
	}
	return -1;
}

int main(void)
{
	const char *variant = guest_arg("variant");
	struct target t = { .irq = -1 };
	int ims, vtd, amdvi, none, ret;
	long before, after, blocked_want, own_want;
	char fault_a[160], fault_b[80];
	int faults_a = 0, faults_b = 0;
	const char *a, *b;

	if (tap_edu_elsewhere(variant, "the isolation checks"))
		return tap_done();
	if (!variant)
		variant = "";
	ims = !strcmp(variant, "vtd");
	vtd = !strncmp(variant, "vtd", 3);
	amdvi = !strcmp(variant, "amdvi");
	none = !strcmp(variant, "none");
	/* What B counts: A's forged write, then B's own post */
	blocked_want = none ? 1 : 0;
	own_want = 1;

	tap_plan(10);
	tap_check(vtd || amdvi || none, "variant is one of vtd, vtd-caching, amdvi, none",
		  "variant '%s'", variant);
	ret = find_pci_devices(0x1234, 0x11e8, edus, 2);
	tap_check(ret == 2, "two edu devices", "%d edu devices", ret);
	tap_ok(system("modprobe ims-edu") == 0, "ims-edu module loads");
	if (ret != 2)
		return tap_done();
	a = edus[0];
	b = edus[1];

	ret = ims ? ims_target(b, &t) : msi_target(b, &t);
	tap_check(!ret && (t.addr >> 20) == 0xfee,
		  ims ? "the target: an IMS vector of edu1 and its stored message" :
		  "the target: edu1's MSI and its message from config space",
		  "%s irq %d, message %#llx:%#x", b, t.irq, (unsigned long long)t.addr, t.data);
	tap_ok(ctl(a, "post 0x1000 0x0") == -EINVAL,
	       "the post hook refuses an address outside the interrupt range");

	snprintf(fault_a, sizeof(fault_a),
		 "[INTR-REMAP] Request device [%s] fault index 0x%x [fault reason 0x26]", a,
		 vtd_index(t.addr, t.data));
	snprintf(fault_b, sizeof(fault_b), "[INTR-REMAP] Request device [%s]", b);
	faults_a = klog_count(fault_a);
	before = irq_count(t.irq);
	ret = ctl(a, "post %#llx %#x", (unsigned long long)t.addr, t.data);
	tap_check(ret == 0, "edu0 posts edu1's message with its DMA", "post: %d", ret);
	after = settle(t.irq, before + blocked_want);
	tap_check(after - before == blocked_want,
		  vtd ? "VT-d blocks edu0's write of edu1's message (source-id check)" :
		  amdvi ? "AMD-Vi does not deliver edu0's write of edu1's message to edu1" :
		  "without remapping edu0's forged write reaches edu1 (IMS is refused here)",
		  "edu1 irq %d counted %ld (want %ld)", t.irq, after - before, blocked_want);

	faults_a = klog_count(fault_a) - faults_a;

	faults_b = klog_count(fault_b);
	before = irq_count(t.irq);
	ret = ctl(b, "post %#llx %#x", (unsigned long long)t.addr, t.data);
	after = settle(t.irq, before + own_want);
	tap_check(ret == 0 && after - before == own_want,
		  "edu1's own write of the same message is delivered once",
		  "post: %d, edu1 irq %d counted %ld (want %ld)", ret, t.irq, after - before,
		  own_want);
	faults_b = klog_count(fault_b) - faults_b;

	if (vtd)
		tap_check(faults_a == 1 && faults_b == 0,
			  "VT-d recorded one fault for edu0's write (source-id), none for edu1's",
			  "'%s' logged %d times; faults naming edu1: %d", fault_a, faults_a,
			  faults_b);
	else
		tap_skip(amdvi ? "QEMU's AMD-Vi does not report interrupt remapping faults" :
			 "no interrupt remapping unit on this machine",
			 "the remapping unit recorded the blocked write as a fault");

	tap_ok(system("rmmod ims-edu") == 0, "ims-edu unloads");
	return tap_done();
}
