// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: IMS end to end through the real idxd driver on our QEMU's
 * DSA model (patches/qemu/0004, the dsa machine: dsa0 with interrupt
 * handle commands, dsa1 without; both with x-test-control=on).
 *
 * Does what a user does: configures a dedicated kernel work queue on each
 * device through sysfs (no PASID: QEMU 7.2's VT-d has none, so idxd has no
 * system PASID) and enables them, then loads the KUnit module idxd_ims_e2e
 * (drivers/dma/idxd/ims_kunit_e2e.c) with wq0.0 and, for its suite of a
 * device without handle commands, wq1.0. Its suites submit descriptors
 * through the work queues' IMS portals and check the interrupts, the mask,
 * a PASID mismatch, a revocation, the drain on free, an FLR, halts and an
 * unbind/rebind; the harness reads their results from debugfs after this
 * program (the module stays loaded for that). Here: what user space sees
 * of that, the software error idxd logged for the PASID mismatch and that
 * nothing is left behind on either device.
 *
 * Only the dsa variant has a DSA; elsewhere the test is one result
 * (tap_dsa_elsewhere()).
 */
#include <sys/klog.h>
#include <unistd.h>
#include "dsa_wq.h"

#define NCHECKS		9
#define DSA		"/sys/bus/dsa/devices/dsa0"
#define DSA1		"/sys/bus/dsa/devices/dsa1"
#define SWERR_IMS_PASID	0x1c

static char klog[4 << 20];

static void klog_read(void)
{
	int n = klogctl(3, klog, sizeof(klog) - 1);

	klog[n > 0 ? n : 0] = 0;
}

static int klog_has(const char *s)
{
	klog_read();
	return strstr(klog, s) != NULL;
}

/* Whether idxd logged a software error with @code ("err[0]: 0x...") */
static int swerr_logged(unsigned int code)
{
	char *p;

	klog_read();
	for (p = strstr(klog, "err[0]: "); p; p = strstr(p + 1, "err[0]: ")) {
		unsigned long long v = strtoull(p + 8, NULL, 16);

		if ((v & 1) && ((v >> 8) & 0xff) == code)
			return 1;
	}
	return 0;
}

int main(void)
{
	const char *variant = guest_arg("variant");
	char *modprobe[] = { "modprobe", "idxd_ims_e2e", "wq=wq0.0",
			     "wq_no_handle_cmds=wq1.0", NULL };
	static char irqs[1 << 16];
	int rc;

	if (tap_dsa_elsewhere(variant, "the DSA IMS checks"))
		return tap_done();
	tap_plan(NCHECKS);

	/* --- a dedicated kernel work queue without PASID on each --- */
	tap_check(dsa_kernel_wq(0), "wq0.0 enabled: dedicated, kernel", "dsa0");
	tap_check(dsa_kernel_wq(1), "wq1.0 enabled on dsa1: dedicated, kernel", "dsa1");
	/* Kernel work queues carry the system PASID when idxd has one */
	tap_check(klog_has("No in-kernel DMA with PASID"),
		  "idxd has no system PASID: kernel work queues have none",
		  "idxd did not log 'No in-kernel DMA with PASID'");

	/* --- the KUnit suite idxd_ims_e2e runs on load --- */
	rc = run(modprobe);
	tap_check(rc == 0, "the KUnit module idxd_ims_e2e loads and runs on wq0.0 and wq1.0",
		  "modprobe exit %d", rc);
	tap_check(swerr_logged(SWERR_IMS_PASID),
		  "idxd logged the device's software error 0x1c for the PASID mismatch",
		  "no 'err[0]:' line with error 0x%x in the kernel log", SWERR_IMS_PASID);

	/* --- nothing left behind by the unbind/rebind case --- */
	tap_check(!strcmp(sys(DSA "/ims_size"), "256"),
		  "after the unbind and rebind dsa0 is back with its IMS domain",
		  "dsa0 ims_size '%s'", sys(DSA "/ims_size"));
	tap_check(!strcmp(sys(DSA "/ims_in_use"), "0"),
		  "no IMS vector is left in use", "dsa0 ims_in_use '%s'",
		  sys(DSA "/ims_in_use"));
	tap_check(!strcmp(sys(DSA1 "/ims_size"), "256") &&
		  !strcmp(sys(DSA1 "/ims_in_use"), "0"),
		  "dsa1 is back with its IMS domain, no vector left in use",
		  "dsa1 ims_size '%s' ims_in_use '%s'", sys(DSA1 "/ims_size"),
		  sys(DSA1 "/ims_in_use"));
	irqs[0] = 0;
	read_file("/proc/interrupts", irqs, sizeof(irqs) - 1);
	tap_check(!strstr(irqs, "idxd-ims-e2e"),
		  "no interrupt of the test is left in /proc/interrupts",
		  "found idxd-ims-e2e in /proc/interrupts");
	/* Stays loaded: the harness reads the suite's results from debugfs */
	return tap_done();
}
