// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: Debian 12's accel-config (3.5.3) and accel-config-test
 * against idxd on our QEMU's DSA model (the dsa machine's dsa0). They are
 * clients no one here wrote, copied into the initramfs with their
 * libraries by harness/mkinitramfs.sh.
 *
 * accel-config lists the devices, puts an engine into a group, makes wq0.0
 * a dedicated kernel work queue, enables the device and the work queue and
 * lists them enabled; the kernel's dmatest then copies through the work
 * queue's dmaengine channel; its configuration is saved, and the work
 * queue and the device are disabled again.
 *
 * accel-config-test's dsa_test submits from user space, which needs SVA
 * (PASID-granular translation); QEMU 7.2's VT-d has none. idxd enables a
 * dedicated user work queue that accel-config configures (it reports user
 * PASID support whenever CONFIG_INTEL_IDXD_SVM is set), but opening it
 * binds the process to the device and gets no PASID: dsa_test fails with
 * -ENOSPC, which is checked as such. iaa_user_test_runner.sh skips (77):
 * it looks for the IAA iax1 and, when iax1 has no pasid_enabled attribute,
 * says "No SVM support"; there is no IAA here at all (not modelled), which
 * is checked too. dsa_user_test_runner.sh is not run: see README
 * ("accel-config-test without SVA").
 *
 * Only the dsa variant has a DSA; elsewhere the test is one result
 * (tap_dsa_elsewhere()).
 */
#include <stdio.h>
#include <sys/wait.h>
#include "tap.h"
#include "dmatest.h"

#define NCHECKS		16
#define DMATEST_ITER	32
#define TESTDIR		"/usr/libexec/accel-config/test"
#define SAVED		"/tmp/accel-config-saved.conf"
#define DEV		"/sys/bus/dsa/devices/"
/* Not in the guest's PATH (/bin:/sbin) */
#define ACCFG		"/usr/bin/accel-config"

static char out[1 << 16];

/* Run a shell command line; its output (stdout and stderr) into out */
static TAP_PRINTF(1, 2) int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	FILE *f;
	size_t n = 0;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f) {
		out[0] = 0;
		return -1;
	}
	while (n < sizeof(out) - 1) {
		size_t r = fread(out + n, 1, sizeof(out) - 1 - n, f);

		if (!r)
			break;
		n += r;
	}
	out[n] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The last line of out, for a diagnostic */
static const char *tail(void)
{
	size_t n = strlen(out);
	char *p;

	while (n && out[n - 1] == '\n')
		out[--n] = 0;
	p = strrchr(out, '\n');
	return p ? p + 1 : out;
}

/* The last @n lines of out as diagnostics */
static void diag_out(int n)
{
	static char copy[sizeof(out)];
	char *p, *line;

	memcpy(copy, out, sizeof(out));
	p = copy + strlen(copy);
	while (n-- > 0 && p > copy) {
		for (p--; p > copy && p[-1] != '\n'; p--)
			;
	}
	for (line = strtok(p, "\n"); line; line = strtok(NULL, "\n"))
		tap_diag("| %s", line);
}

/* out without white space: accel-config's JSON as one line */
static void squeeze(void)
{
	char *s = out, *d = out;

	for (; *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\t')
			*d++ = *s;
	*d = 0;
}

/* Whether the JSON object of device @dev in out says "state":"enabled" */
static int listed_enabled(const char *dev)
{
	char key[64];
	char *p, *end;

	snprintf(key, sizeof(key), "\"dev\":\"%s\"", dev);
	p = strstr(out, key);
	if (!p)
		return 0;
	/* up to the next object (a device, group, work queue or engine) */
	end = strstr(p + 1, "\"dev\":");
	p = strstr(p, "\"state\":\"enabled\"");
	return p && (!end || p < end);
}

/* The last component of symlink @path ("" if none) */
static const char *link_base(const char *path)
{
	static char buf[400];
	char *p;
	int n;

	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, '/');
	return p ? p + 1 : buf;
}

/* dsa0's PCI function: /sys/bus/dsa/devices/dsa0 -> .../0000:00:01.0/dsa0 */
static void dsa0_function(char *fn, size_t len)
{
	char buf[400];
	int n = readlink(DEV "dsa0", buf, sizeof(buf) - 1);
	char *p;

	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, '/');
	if (p)
		*p = 0;
	p = strrchr(buf, '/');
	snprintf(fn, len, "%s", p ? p + 1 : "");
}

/*
 * wq0.0's dmaengine channel.  idxd registers one channel per kernel work
 * queue bound to its dmaengine driver, named dmaNchanM with the PCI
 * function as parent, and links neither way between the channel and the
 * work queue.  So: the channels whose device is dsa0's function, of which
 * there must be exactly one, while wq0.0 is dsa0's only work queue bound
 * to dmaengine.  (After the run, wq0.0's clients count shows that dmatest
 * holds that channel.)
 */
static int wq_channel(char *chan, size_t len, char *why, size_t wlen)
{
	char fn[64], path[600];
	DIR *d;
	struct dirent *e;
	int nchan = 0, nwq = 0, wq00 = 0;

	chan[0] = 0;
	dsa0_function(fn, sizeof(fn));
	d = opendir("/sys/class/dma");
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "dma", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/class/dma/%s/device", e->d_name);
		if (!fn[0] || strcmp(link_base(path), fn))
			continue;
		if (!nchan++)
			snprintf(chan, len, "%s", e->d_name);
	}
	if (d)
		closedir(d);
	d = opendir("/sys/bus/dsa/drivers/dmaengine");
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "wq0.", 4))
			continue;
		nwq++;
		wq00 |= !strcmp(e->d_name, "wq0.0");
	}
	if (d)
		closedir(d);
	snprintf(why, wlen, "dsa0 is %s; its channels: %d (%s); its WQs on dmaengine: %d%s",
		 fn[0] ? fn : "(unknown)", nchan, chan[0] ? chan : "none", nwq,
		 wq00 ? ", wq0.0 among them" : "");
	return nchan == 1 && nwq == 1 && wq00;
}

/* No IAA: neither a PCI function (8086:0cfe) nor an idxd iax device */
/* Run "accel-config @verb @obj"; it must succeed and leave @obj's state @state */
static void verb_state(const char *verb, const char *obj, const char *state)
{
	const char *dev = strchr(obj, '/') ? strchr(obj, '/') + 1 : obj;
	char name[128];
	int rc;

	rc = sh(ACCFG " %s %s 2>&1", verb, obj);
	snprintf(name, sizeof(name), "accel-config %s %s", verb, obj);
	tap_check(rc == 0 && !strcmp(sys(DEV "%s/state", dev), state), name,
		  "exit %d: %s; state %s", rc, tail(), sys(DEV "%s/state", dev));
}

static int no_iaa(void)
{
	char names[4][32];
	DIR *d = opendir("/sys/bus/dsa/devices");
	struct dirent *e;
	int iax = 0;

	while (d && (e = readdir(d)))
		iax += !strncmp(e->d_name, "iax", 3);
	if (d)
		closedir(d);
	return !iax && find_pci_devices(0x8086, 0x0cfe, names, 4) == 0;
}

int main(void)
{
	const char *variant = guest_arg("variant");
	char chan[300], summary[256], want[64], why[300], clients[16];
	int rc, ok, found;

	if (tap_dsa_elsewhere(variant, "the accel-config checks"))
		return tap_done();
	tap_plan(NCHECKS);

	/* --- accel-config: list, configure, enable, list --- */
	rc = sh(ACCFG " --version 2>&1");
	tap_check(rc == 0 && !strncmp(out, "3.5.3", 5),
		  "accel-config (Debian 12's 3.5.3) runs", "exit %d: %s", rc, tail());
	rc = sh(ACCFG " list -i 2>&1");
	squeeze();
	tap_check(rc == 0 && strstr(out, "\"dev\":\"dsa0\"") && strstr(out, "\"dev\":\"dsa1\""),
		  "accel-config list -i lists dsa0 and dsa1", "exit %d", rc);
	rc = sh(ACCFG " config-engine dsa0/engine0.0 --group-id=0 2>&1");
	tap_check(rc == 0 && !strcmp(sys(DEV "engine0.0/group_id"), "0"),
		  "accel-config config-engine puts engine0.0 into group 0",
		  "exit %d: %s; group_id %s", rc, tail(), sys(DEV "engine0.0/group_id"));
	rc = sh(ACCFG " config-wq dsa0/wq0.0 --group-id=0 --mode=dedicated "
		"--wq-size=16 --priority=10 --type=kernel --name=accel-config "
		"--driver-name=dmaengine 2>&1");
	tap_check(rc == 0 && !strcmp(sys(DEV "wq0.0/mode"), "dedicated") &&
		  !strcmp(sys(DEV "wq0.0/size"), "16") &&
		  !strcmp(sys(DEV "wq0.0/type"), "kernel") &&
		  !strcmp(sys(DEV "wq0.0/group_id"), "0"),
		  "accel-config config-wq makes wq0.0 a dedicated kernel WQ of 16 entries in group 0",
		  "exit %d: %s; mode %s size %s type %s", rc, tail(),
		  sys(DEV "wq0.0/mode"), sys(DEV "wq0.0/size"), sys(DEV "wq0.0/type"));
	verb_state("enable-device", "dsa0", "enabled");
	verb_state("enable-wq", "dsa0/wq0.0", "enabled");
	rc = sh(ACCFG " list 2>&1");
	squeeze();
	tap_check(rc == 0 && listed_enabled("dsa0") && listed_enabled("wq0.0"),
		  "accel-config list shows dsa0 and wq0.0 enabled", "exit %d", rc);

	/* --- the work queue works: dmatest on its channel --- */
	summary[0] = 0;
	found = wq_channel(chan, sizeof(chan), why, sizeof(why));
	tap_diag("%s", why);
	if (found)
		run_dmatest(chan, DMATEST_ITER, summary, sizeof(summary));
	/*
	 * dmatest holds the channel: a client of the WQ (wq0.0's clients
	 * count says it is that WQ's), which accel-config then refuses to
	 * disable
	 */
	snprintf(clients, sizeof(clients), "%s", sys(DEV "wq0.0/clients"));
	sh("rmmod dmatest 2>&1");
	snprintf(want, sizeof(want), "summary %d tests, 0 failures", DMATEST_ITER);
	tap_check(found && strstr(summary, want) && !strcmp(clients, "1"),
		  "dmatest: memcpy on the WQ accel-config enabled, every iteration verified",
		  "%s; wq0.0 clients while dmatest held %s: %s",
		  summary[0] ? summary : "no dmatest summary",
		  chan[0] ? chan : "no channel", clients);

	/* --- save, then disable (load-config is not run, see the README) --- */
	rc = sh(ACCFG " save-config -s " SAVED " 2>&1 && cat " SAVED);
	squeeze();
	tap_check(rc == 0 && strstr(out, "\"dev\":\"wq0.0\"") &&
		  strstr(out, "\"mode\":\"dedicated\""),
		  "accel-config save-config saves the configuration", "exit %d", rc);
	verb_state("disable-wq", "dsa0/wq0.0", "disabled");
	verb_state("disable-device", "dsa0", "disabled");
	/* --- accel-config-test: user space submission needs SVA --- */
	/* disable-device cleared the configuration: the engine again */
	rc = sh(ACCFG " config-engine dsa0/engine0.0 --group-id=0 2>&1 && "
		ACCFG " config-wq dsa0/wq0.1 --group-id=0 --mode=dedicated "
		"--wq-size=16 --priority=10 --type=user --name=dsa_test "
		"--driver-name=user 2>&1");
	tap_check(rc == 0 && !strcmp(sys(DEV "wq0.1/type"), "user") &&
		  !strcmp(sys(DEV "wq0.1/size"), "16"),
		  "accel-config config-wq makes wq0.1 a dedicated user WQ",
		  "exit %d: %s; type %s", rc, tail(), sys(DEV "wq0.1/type"));
	rc = sh(ACCFG " enable-device dsa0 2>&1 && " ACCFG " enable-wq dsa0/wq0.1 2>&1");
	diag_out(10);
	tap_check(rc == 0 && !strcmp(sys(DEV "wq0.1/state"), "enabled"),
		  "accel-config enables the user WQ dsa0/wq0.1",
		  "exit %d: %s; state %s, pasid_enabled %s", rc, tail(),
		  sys(DEV "wq0.1/state"), sys(DEV "dsa0/pasid_enabled"));
	/*
	 * Opening the WQ's character device binds the process's address space
	 * to it (SVA): VT-d without PASID support gives it no PASID.
	 */
	rc = sh(TESTDIR "/dsa_test -w 0 -l 4096 -o 3 2>&1");
	diag_out(5);
	ok = rc != 0 && strstr(out, "open: No space left on device") &&
	     strstr(out, "No usable wq found");
	sh("dmesg | tail -n 20");
	tap_check(ok && strstr(out, "pasid allocation failed: -28"),
		  "dsa_test (MEMMOVE from user space) cannot open the user WQ without SVA: no PASID (-ENOSPC)",
		  "exit %d; kernel: %s", rc, tail());
	rc = sh("cd " TESTDIR " && ./iaa_user_test_runner.sh 2>&1");
	tap_check(rc == 77 && strstr(out, "No SVM support") && no_iaa(),
		  "iaa_user_test_runner.sh skips (77): no iax1, and no IAA at all (not modelled)",
		  "exit %d: %s; %s", rc, tail(),
		  no_iaa() ? "no IAA function or iax device" : "an IAA is present");

	/* --- leave dsa0 as the next tests expect it: disabled, wq0.1 empty --- */
	sh(ACCFG " disable-wq dsa0/wq0.1 2>&1; " ACCFG " disable-device dsa0 2>&1");
	rc = sh(ACCFG " config-wq dsa0/wq0.1 --wq-size=0 --group-id=-1 2>&1");
	tap_check(!strcmp(sys(DEV "dsa0/state"), "disabled") &&
		  !strcmp(sys(DEV "wq0.1/size"), "0"),
		  "dsa0 disabled and wq0.1 emptied again by accel-config",
		  "dsa0 %s, wq0.1 size %s (config-wq exit %d: %s)",
		  sys(DEV "dsa0/state"), sys(DEV "wq0.1/size"), rc, tail());
	return tap_done();
}
