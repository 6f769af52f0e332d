/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP producer for the in-guest tests.  Each test program prints
 * "1..N", then one "ok"/"not ok" line per check; the host harness turns
 * those into named results.
 */
#ifndef IMS_GUEST_TAP_H
#define IMS_GUEST_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

static inline void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

static inline int tap_done(void)
{
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

#endif
