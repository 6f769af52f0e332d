/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP producer for the in-guest tests.  Each test program prints its
 * plan "1..N" first, with N fixed in the source (per declared machine
 * variant at most), then one "ok"/"not ok" line per check; the host harness
 * turns those into named results and compares them with the expected
 * results of the variant (harness/expected/VARIANT.txt).
 *
 * Result names must be stable: they are fixed text, never measured values,
 * so that a regression fails a check instead of renaming it.  Put what was
 * measured into a "# " diagnostic: tap_check() prints one before the result
 * (the harness shows it with a failure).
 */
#ifndef IMS_GUEST_TAP_H
#define IMS_GUEST_TAP_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))

static int tap_n, tap_failed, tap_planned = -1;

/* The plan: call it first, with the fixed number of checks that follow */
static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void tap_vdiag(const char *fmt, va_list ap)
{
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

static inline TAP_PRINTF(1, 2) void tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdiag(fmt, ap);
	va_end(ap);
}

static inline int tap_result(int cond, const char *name)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, name);
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

/* A check named @name (fixed text); @fmt: what was measured, as a diagnostic */
static inline TAP_PRINTF(3, 4) int tap_check(int cond, const char *name,
					     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdiag(fmt, ap);
	va_end(ap);
	return tap_result(cond, name);
}

/* A check whose name is formatted: keep the arguments fixed, not measured */
static inline TAP_PRINTF(2, 3) int tap_ok(int cond, const char *fmt, ...)
{
	char name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return tap_result(cond, name);
}

/*
 * A skipped check.  The reason must follow from the declared machine variant
 * (guest_arg("variant")), never from what the test found at run time: the
 * expected results list every allowed skip with its exact reason.
 */
static inline TAP_PRINTF(2, 3) void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

/* Exit status: 0 when every check passed and the plan was kept */
static inline int tap_done(void)
{
	if (tap_planned >= 0 && tap_n != tap_planned) {
		tap_diag("planned %d checks, ran %d", tap_planned, tap_n);
		return 1;
	}
	return tap_failed ? 1 : 0;
}

/* Value of "ims.<key>=" on the kernel command line (malloc'd), or NULL. */
static inline const char *guest_arg(const char *key)
{
	static char line[4096];
	char pat[64];
	char *p;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	snprintf(pat, sizeof(pat), "ims.%s=", key);
	for (p = strtok(line, " \n"); p; p = strtok(NULL, " \n")) {
		if (!strncmp(p, pat, strlen(pat))) {
			return strdup(p + strlen(pat));
		}
	}
	return NULL;
}

/* Read a whole (small) file into buf; returns length or -errno. */
static inline int read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return (int)n;
}

/* Write a string to a (sysfs) file; 0 or -errno */
static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * The value of a sysfs file whose path is a printf format, trailing
 * newlines removed ("" if unreadable). The buffers rotate, so that a few
 * values can be used in one expression.
 */
static inline TAP_PRINTF(1, 2) const char *sys(const char *fmt, ...)
{
	static char buf[8][512];
	static int k;
	char path[512];
	char *b = buf[k++ % 8];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	n = read_file(path, b, sizeof(buf[0]));
	if (n < 0)
		n = 0;
	b[n] = 0;
	while (n && b[n - 1] == '\n')
		b[--n] = 0;
	return b;
}

/* Write @val to a sysfs file: 0 or -errno, a failure also as a diagnostic */
static inline int sys_write(const char *path, const char *val)
{
	int rc = write_str(path, val);

	if (rc)
		tap_diag("write '%s' to %s: %s", val, path, strerror(-rc));
	return rc;
}

/* Sleep @ms milliseconds */
static inline void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline int pci_name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The PCI devices vendor:device, lowest address first, into names[max]
 * (readdir order of sysfs is not sorted). Returns how many there are, which
 * may be more than max.
 */
static inline int find_pci_devices(unsigned int vendor, unsigned int device,
				   char (*names)[32], int max)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	char path[512], buf[64];
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (read_file(path, buf, sizeof(buf)) < 0 || strtoul(buf, NULL, 0) != vendor)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		if (read_file(path, buf, sizeof(buf)) < 0 || strtoul(buf, NULL, 0) != device)
			continue;
		if (n < max)
			snprintf(names[n], 32, "%.31s", e->d_name);
		n++;
	}
	if (d)
		closedir(d);
	qsort(names, n < max ? n : max, 32, pci_name_cmp);
	return n;
}

/*
 * The machine variants split the device tests: the edu programs (ims_edu,
 * ims_bench, ims_isolation, vfio_edu) run on vtd and the other IOMMU
 * machines, the DSA programs on dsa (vtd with two DSA functions). Each
 * program calls one of these first; on a machine where it does not run it
 * prints its whole TAP (one result) and returns 1.
 */

/* An edu program on the dsa machine: one declared skip (vtd runs it) */
static inline int tap_edu_elsewhere(const char *variant, const char *what)
{
	if (!variant || strcmp(variant, "dsa"))
		return 0;
	tap_plan(1);
	tap_skip("runs on the vtd machine", "%s (variant 'dsa')", what);
	return 1;
}

/*
 * A DSA program off the dsa machine: one declared skip, but on vtd, where
 * nothing may skip, a check that the machine has no DSA function (the DSA
 * tests run on dsa).
 */
static inline int tap_dsa_elsewhere(const char *variant, const char *what)
{
	char names[4][32];
	int n;

	if (variant && !strcmp(variant, "dsa"))
		return 0;
	tap_plan(1);
	if (variant && !strcmp(variant, "vtd")) {
		n = find_pci_devices(0x8086, 0x0b25, names, 4);
		tap_check(n == 0, "no DSA on vtd: the DSA checks run on the dsa machine",
			  "%d DSA functions (8086:0b25)", n);
	} else {
		tap_skip("no DSA on this machine", "%s (variant '%s')", what,
			 variant ? variant : "(unset)");
	}
	return 1;
}

#endif
