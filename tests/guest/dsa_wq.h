/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the DSA programs (dsa_ims, dsa_ims_unload): a dedicated kernel
 * work queue configured through sysfs, as a user does, and a command run
 * to its exit status.
 */
#ifndef IMS_GUEST_DSA_WQ_H
#define IMS_GUEST_DSA_WQ_H

#include <sys/wait.h>
#include "tap.h"

/* Write @val to /sys/bus/dsa/devices/@obj/@attr: 0 or an error */
static int dsa_set(const char *obj, const char *attr, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/dsa/devices/%s/%s", obj, attr);
	return sys_write(path, val);
}

/*
 * A dedicated kernel work queue wq@id.0 of size 16 on group 0 of dsa@id,
 * without PASID when idxd has no system PASID, enabled on the dmaengine
 * driver. Returns whether it is enabled; its state goes to a diagnostic.
 */
static int dsa_kernel_wq(int id)
{
	char dev[16], engine[16], wq[16], path[128];
	int ok;

	snprintf(dev, sizeof(dev), "dsa%d", id);
	snprintf(engine, sizeof(engine), "engine%d.0", id);
	snprintf(wq, sizeof(wq), "wq%d.0", id);
	snprintf(path, sizeof(path), "/sys/bus/dsa/devices/%s/state", dev);
	if (!strcmp(sys("%s", path), "enabled"))
		sys_write("/sys/bus/dsa/drivers/idxd/unbind", dev);
	ok = !dsa_set(engine, "group_id", "0") && !dsa_set(wq, "group_id", "0") &&
	     !dsa_set(wq, "mode", "dedicated") && !dsa_set(wq, "size", "16") &&
	     !dsa_set(wq, "priority", "10") && !dsa_set(wq, "type", "kernel") &&
	     !dsa_set(wq, "name", "ims-e2e") && !dsa_set(wq, "driver_name", "dmaengine");
	sys_write("/sys/bus/dsa/drivers/idxd/bind", dev);
	sys_write("/sys/bus/dsa/drivers/dmaengine/bind", wq);
	snprintf(path, sizeof(path), "/sys/bus/dsa/devices/%s/state", wq);
	tap_diag("%s state %s", wq, sys("%s", path));
	return ok && !strcmp(sys("%s", path), "enabled");
}

/* Run @argv (a NULL-terminated vector): its exit status, -1 if none */
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

#endif
