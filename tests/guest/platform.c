// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: the booted machine is the variant the harness asked for.
 *
 * Checks what the kernel really saw, not what QEMU was told: the edu devices
 * on the PCI bus, the IOMMU class devices, the VT-d caching-mode capability
 * bit, whether interrupts go through a remapping irqchip (/proc/interrupts
 * chip names start with "IR-"), and that the debugging set every test relies
 * on (lockdep, KASAN, kmemleak) is active. On dsa also the two DSA functions
 * at the addresses harness/check.py gives them, and that VT-d translates
 * their DMA.
 */
#include <dirent.h>
#include <sys/klog.h>
#include <unistd.h>
#include "tap.h"

static char klog[4 << 20];

static int count_pci(unsigned int vendor, unsigned int device)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char path[512], buf[64];
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 e->d_name);
		if (read_file(path, buf, sizeof(buf)) < 0 ||
		    strtoul(buf, NULL, 0) != vendor)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 e->d_name);
		if (read_file(path, buf, sizeof(buf)) >= 0 &&
		    strtoul(buf, NULL, 0) == device)
			n++;
	}
	closedir(d);
	return n;
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int klog_has(const char *s)
{
	return strstr(klog, s) != NULL;
}

int main(void)
{
	const char *variant = guest_arg("variant");
	const char *edu = guest_arg("edu");
	static char irqs[1 << 16];
	char buf[128], names[4][32];
	int remap, dsa, n;

	if (!variant)
		variant = "";
	dsa = !strcmp(variant, "dsa");
	tap_plan(dsa ? 11 : 9);
	n = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (n > (int)sizeof(klog) - 1)
		n = sizeof(klog) - 1;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, klog, n);
	klog[n > 0 ? n : 0] = 0;
	read_file("/proc/interrupts", irqs, sizeof(irqs));

	remap = !strcmp(variant, "vtd") || !strcmp(variant, "vtd-caching") ||
		!strcmp(variant, "amdvi") || dsa;
	tap_check(remap || !strcmp(variant, "none"),
		  dsa ? "variant is dsa: vtd with two DSA functions" :
		  "variant is one of vtd, vtd-caching, amdvi, none",
		  "variant '%s'", variant);

	n = count_pci(0x1234, 0x11e8);
	tap_check(edu && n == atoi(edu), "edu devices on the PCI bus match ims.edu",
		  "%d edu devices, ims.edu=%s", n, edu ? edu : "(unset)");

	/* The name follows the declared variant, not what was found */
	tap_ok(!!strstr(irqs, "IR-") == remap,
	       "interrupts %s a remapping irqchip (IR-*) in /proc/interrupts",
	       remap ? "use" : "do not use");

	if (!strncmp(variant, "vtd", 3) || dsa) {
		unsigned long long cap = 0;
		int cm;

		tap_ok(exists("/sys/class/iommu/dmar0"), "VT-d unit dmar0 registered");
		if (read_file("/sys/class/iommu/dmar0/intel-iommu/cap", buf,
			      sizeof(buf)) > 0)
			cap = strtoull(buf, NULL, 16);
		cm = !!(cap & (1ULL << 7));
		tap_check(cm == !strcmp(variant, "vtd-caching"),
			  strcmp(variant, "vtd-caching") ? "VT-d caching mode is off" :
			  "VT-d caching mode is on",
			  "caching mode %s (cap=%llx)", cm ? "on" : "off", cap);
	} else if (!strcmp(variant, "amdvi")) {
		tap_ok(klog_has("AMD-Vi: Interrupt remapping enabled"),
		       "guest logs 'AMD-Vi: Interrupt remapping enabled'");
		tap_ok(klog_has("Using strict mode due to virtualization"),
		       "AMD-Vi reports a virtual IOMMU (NpCache)");
	} else {
		tap_ok(!exists("/sys/class/iommu/dmar0") &&
		       !exists("/sys/class/iommu/ivhd0"), "no IOMMU registered");
		tap_ok(!klog_has("Enabled IRQ remapping") &&
		       !klog_has("Interrupt remapping enabled"),
		       "kernel did not enable interrupt remapping");
	}

	if (dsa) {
		/* The addresses harness/check.py gives them (dsa0, dsa1) */
		n = find_pci_devices(0x8086, 0x0b25, names, 4);
		tap_check(n == 2 && !strcmp(names[0], "0000:00:01.0") &&
			  !strcmp(names[1], "0000:00:06.0"),
			  "two DSA functions (8086:0b25), at 00:01.0 and 00:06.0",
			  "%d: %s %s", n, n > 0 ? names[0] : "-", n > 1 ? names[1] : "-");
		/* DMA remapping: the DSAs' DMA is translated, not passed through */
		n = read_file("/sys/bus/pci/devices/0000:00:01.0/iommu_group/type",
			      buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		tap_check(!strncmp(buf, "DMA", 3),
			  "VT-d translates the DSAs' DMA (DMA domain)",
			  "iommu_group/type %s", buf);
	}

	tap_ok(exists("/proc/lockdep"), "lockdep (PROVE_LOCKING) is active");
	tap_ok(klog_has("KernelAddressSanitizer initialized"), "KASAN is active");
	tap_ok(exists("/sys/kernel/debug/kmemleak"), "kmemleak is active");
	tap_ok(sysconf(_SC_NPROCESSORS_ONLN) >= 2, "at least 2 CPUs online");
	return tap_done();
}
