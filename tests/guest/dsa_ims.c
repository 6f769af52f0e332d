// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: IMS end to end through the real idxd driver on our QEMU's
 * DSA model (patches/qemu/0004, "-device intel-dsa,x-test-control=on" on
 * the vtd machine).
 *
 * Does what a user does: configures a dedicated kernel work queue through
 * sysfs (no PASID: QEMU 7.2's VT-d has none, so idxd has no system PASID)
 * and enables it, then loads the KUnit module idxd_ims_e2e
 * (drivers/dma/idxd/ims_kunit_e2e.c) with that work queue. Its suite
 * submits descriptors through the work queue's IMS portal and checks the
 * interrupts, the mask, a PASID mismatch, a revocation, an FLR and an
 * unbind/rebind; the harness reads its results from debugfs after this
 * program (the module stays loaded for that). Here: what user space sees
 * of that, the software error idxd logged for the PASID mismatch and that
 * nothing is left behind.
 *
 * Only the vtd variant has a DSA; elsewhere the test is one declared skip.
 */
#include <sys/klog.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"

#define NCHECKS		7
#define DSA		"/sys/bus/dsa/devices/dsa0"
#define WQ		"/sys/bus/dsa/devices/wq0.0"
#define SWERR_IMS_PASID	0x1c

static char klog[4 << 20];

/* The value of a sysfs file, trailing newline removed ("" if unreadable) */
static const char *sys(const char *path)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];
	int n = read_file(path, b, sizeof(buf[0]));

	if (n < 0)
		n = 0;
	b[n] = 0;
	while (n && b[n - 1] == '\n')
		b[--n] = 0;
	return b;
}

static int sys_write(const char *path, const char *val)
{
	int rc = write_str(path, val);

	if (rc)
		tap_diag("write '%s' to %s failed: %d", val, path, rc);
	return rc;
}

static int run(char *const argv[])
{
	pid_t pid = fork();
	int st = 0;

	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

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
	char *modprobe[] = { "modprobe", "idxd_ims_e2e", "wq=wq0.0", NULL };
	static char irqs[1 << 16];
	int ok, rc;

	if (!variant || strcmp(variant, "vtd")) {
		tap_plan(1);
		tap_skip("no DSA on this machine", "the DSA IMS checks (variant '%s')",
			 variant ? variant : "(unset)");
		return tap_done();
	}
	tap_plan(NCHECKS);

	/* --- a dedicated kernel work queue without PASID --- */
	if (!strcmp(sys(DSA "/state"), "enabled"))
		sys_write("/sys/bus/dsa/drivers/idxd/unbind", "dsa0");
	ok = !sys_write("/sys/bus/dsa/devices/engine0.0/group_id", "0") &&
	     !sys_write(WQ "/group_id", "0") &&
	     !sys_write(WQ "/mode", "dedicated") &&
	     !sys_write(WQ "/size", "16") &&
	     !sys_write(WQ "/priority", "10") &&
	     !sys_write(WQ "/type", "kernel") &&
	     !sys_write(WQ "/name", "ims-e2e") &&
	     !sys_write(WQ "/driver_name", "dmaengine");
	sys_write("/sys/bus/dsa/drivers/idxd/bind", "dsa0");
	sys_write("/sys/bus/dsa/drivers/dmaengine/bind", "wq0.0");
	tap_check(ok && !strcmp(sys(WQ "/state"), "enabled"),
		  "wq0.0 enabled: dedicated, kernel", "wq0.0 state %s mode %s type %s",
		  sys(WQ "/state"), sys(WQ "/mode"), sys(WQ "/type"));
	/* Kernel work queues carry the system PASID when idxd has one */
	tap_check(klog_has("No in-kernel DMA with PASID"),
		  "idxd has no system PASID: kernel work queues have none",
		  "idxd did not log 'No in-kernel DMA with PASID'");

	/* --- the KUnit suite idxd_ims_e2e runs on load --- */
	rc = run(modprobe);
	tap_check(rc == 0, "the KUnit module idxd_ims_e2e loads and runs on wq0.0",
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
	irqs[0] = 0;
	read_file("/proc/interrupts", irqs, sizeof(irqs) - 1);
	tap_check(!strstr(irqs, "idxd-ims-e2e"),
		  "no interrupt of the test is left in /proc/interrupts",
		  "found idxd-ims-e2e in /proc/interrupts");
	/* Stays loaded: the harness reads the suite's results from debugfs */
	return tap_done();
}
