/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's dmatest module on one dmaengine channel, for the in-guest
 * tests of the DSA (tests/guest/dsa.c, tests/guest/accel_config.c).
 */
#ifndef IMS_GUEST_DMATEST_H
#define IMS_GUEST_DMATEST_H

#include <sys/klog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "tap.h"

#define DMATEST_WAIT	90	/* seconds */

static char dmatest_klog[4 << 20];

static int dmatest_klog_read(void)
{
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, dmatest_klog,
			sizeof(dmatest_klog) - 1);

	dmatest_klog[n > 0 ? n : 0] = 0;
	return n > 0 ? n : 0;
}

static int dmatest_param(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/dmatest/parameters/%s", name);
	return write_str(path, val);
}

/*
 * Unload dmatest, which releases its channels: before the work queue
 * leaves dmaengine, since idxd frees a channel when it unregisters it and
 * a held one keeps a reference on the idxd module. 0 or -errno.
 */
static inline int dmatest_unload(void)
{
	return syscall(SYS_delete_module, "dmatest", O_NONBLOCK) ? -errno : 0;
}

/*
 * Run @iterations memcpy tests on @chan and put dmatest's summary line of
 * this run into @summary: 0, -1 if it could not start, -2 if no summary
 * came (a device that never completes leaves the thread stuck in the
 * driver: dmatest's own "wait" would wait for ever). Only log lines after
 * the start count, so that an earlier run on a channel of the same name is
 * not taken for this one.
 */
static int run_dmatest(const char *chan, int iterations, char *summary, size_t len)
{
	char arg[320];
	pid_t pid;
	int st = 0, i, start;
	char *p, *q;

	pid = fork();
	if (!pid) {
		execlp("modprobe", "modprobe", "dmatest", NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		tap_diag("modprobe dmatest failed (status %#x)", st);
		return -1;
	}
	snprintf(arg, sizeof(arg), "%d", iterations);
	start = dmatest_klog_read();
	if (dmatest_param("timeout", "2000") || dmatest_param("iterations", arg) ||
	    dmatest_param("threads_per_chan", "1") ||
	    dmatest_param("test_buf_size", "8192") ||
	    dmatest_param("channel", chan) || dmatest_param("run", "1")) {
		tap_diag("setting dmatest's parameters failed");
		return -1;
	}
	snprintf(arg, sizeof(arg), "%s-copy0: summary ", chan);
	for (i = 0; i < DMATEST_WAIT * 10; i++) {
		if (dmatest_klog_read() > start && strstr(dmatest_klog + start, arg))
			break;
		usleep(100000);
	}
	if (i == DMATEST_WAIT * 10) {
		tap_diag("no dmatest summary after %d s", DMATEST_WAIT);
		return -2;
	}
	p = strstr(dmatest_klog + start, arg);
	q = strchr(p, '\n');
	snprintf(summary, len, "%.*s", q ? (int)(q - p) : (int)strlen(p), p);
	return 0;
}

#endif
