// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: Linux 7.3's own VFIO selftests (tools/testing/selftests/vfio,
 * built by harness/vfio_selftests.sh) against our QEMU's DSA model, bound to
 * vfio-pci.  vfio_pci_driver_test drives the device with the selftests'
 * userspace DSA driver (lib/drivers/dsa/dsa.c, written by Intel for real
 * DSAs): reset, group and work queue configuration, MEMMOVE and BATCH
 * descriptors written with MOVDIR64B, completion records, software errors
 * and an MSI-X completion interrupt read from an eventfd, in each of the five
 * IOMMU modes (VFIO type1 and type1v2 containers, iommufd's compatibility
 * container for both, iommufd with the device cdev).  vfio_pci_device_test
 * checks config space, the BARs, MSI-X triggering and reset.
 *
 * The selftests' DSA driver refuses a device whose interrupt handles must be
 * requested (CMDCAP REQUEST_INT_HANDLE), so the machine has a DSA with
 * int-handle-cmds=off: the test finds it by its CMDCAP, moves it from idxd
 * to vfio-pci (driver_override; vfio-pci loaded with disable_denylist=1,
 * since its denylist has 8086:0b25 for errata of Sapphire Rapids' DSA, as
 * on real hardware), runs both programs with its address, maps
 * each kselftest case to one result of the same name and gives the device
 * back to idxd, and vfio-pci back to how it found it (unloaded, or loaded
 * with the denylist on).  A kselftest SKIP fails, except the one declared
 * below, which is a check of its own: the DSA has MSI-X and no MSI
 * capability, as idxd expects, so vfio_pci_irq_test.msi must skip.
 *
 * kselftest gives every case a fixed 30 s (TEST_TIMEOUT_DEFAULT, not
 * settable from outside); cases take 5 to 16 s here under TCG.  A result
 * fails when any case takes more than SLOW_CASE seconds, so that the
 * margin shrinking is seen before a loaded host turns it into a timeout.
 *
 * Elsewhere (no DSA without handle commands) the test is one declared skip.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"

#define BIN_DIR		"/selftests/vfio"

#define REG_GENCAP	0x10
#define REG_CMDCAP	0xb0
#define GENCAP_CMD_CAP	(1u << 4)
#define CMD_REQUEST_INT_HANDLE	13

#define NMODES		5
#define NDRV		7
#define NDEV		5
/* main(): 11 of its own; the two programs: one per case and one each */
#define NCHECKS		(11 + NMODES * NDRV + 1 + NDEV + 1)

/* The slowest a kselftest case may be: its limit is 30 s */
#define SLOW_CASE	25.0
#define DSA1		"/sys/bus/dsa/devices/dsa1"
#define DENYLIST	"/sys/module/vfio_pci/parameters/disable_denylist"

#define SHMEM_THP	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/* The declared machines with a DSA without interrupt-handle commands */
static const char *const dsa_variants[] = {
	"dsa",
};

/* FIXTURE_VARIANT_ADD_ALL_IOMMU_MODES() of the 7.3 selftests */
static const char *const modes[NMODES] = {
	"vfio_type1_iommu", "vfio_type1v2_iommu", "iommufd_compat_type1",
	"iommufd_compat_type1v2", "iommufd",
};

static const char *const drv_tests[NDRV] = {
	"init_remove", "memcpy_success", "memcpy_from_unmapped_iova",
	"memcpy_to_unmapped_iova", "send_msi", "mix_and_match", "memcpy_storm",
};

static const char *const dev_tests[NDEV] = {
	"vfio_pci_device_test.config_space_read_write",
	"vfio_pci_device_test.validate_bars",
	"vfio_pci_device_test.reset",
	"vfio_pci_irq_test.msix.enable_trigger_disable",
	"vfio_pci_irq_test.msi.enable_trigger_disable",
};

/*
 * The one kselftest SKIP allowed: a check that it happened, and why (the
 * machine has nothing that may skip)
 */
#define MSI_CASE	"vfio_pci_irq_test.msi.enable_trigger_disable"
#define MSI_RESULT	MSI_CASE " skips (the DSA has MSI-X, no MSI capability)"

static char bdf[32];
static int msi_cap, msix_cap;	/* capability offsets in config space */
static char dev[300];		/* /sys/bus/pci/devices/BDF */
static double slowest;		/* the slowest kselftest case, seconds */
static char slowest_name[128];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The driver bound to the device ("" if none) */
static const char *driver(void)
{
	static char buf[300];
	char path[400];
	char *p;
	int n;

	snprintf(path, sizeof(path), "%s/driver", dev);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, '/');
	return p ? p + 1 : buf;
}

static int dev_write(const char *file, const char *val)
{
	char path[400];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dev, file);
	rc = write_str(path, val);
	if (rc)
		tap_diag("write '%s' to %s: %s", val, path, strerror(-rc));
	return rc;
}

/*
 * GENCAP and CMDCAP of a DSA, read through resource0 (the driver bound to
 * it keeps running: reads have no side effect).  0 on success.
 */
static int dsa_caps(const char *name, uint64_t *gencap, uint32_t *cmdcap)
{
	char path[400];
	volatile uint8_t *bar;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", name);
	fd = open(path, O_RDONLY | O_SYNC);
	if (fd < 0)
		return -errno;
	bar = mmap(NULL, 0x1000, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (bar == MAP_FAILED)
		return -errno;
	*gencap = *(volatile uint64_t *)(bar + REG_GENCAP);
	*cmdcap = *(volatile uint32_t *)(bar + REG_CMDCAP);
	munmap((void *)bar, 0x1000);
	return 0;
}

/* Offset of capability @id in the device's config space, 0 if none */
static int pci_cap(int id)
{
	unsigned char cfg[256];
	char path[400];
	int fd, n, pos, hops;

	snprintf(path, sizeof(path), "%s/config", dev);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, cfg, sizeof(cfg));
	close(fd);
	if (n < 64 || !(cfg[0x06] & 0x10))	/* status: capability list */
		return 0;
	for (pos = cfg[0x34] & ~3, hops = 0; pos >= 0x40 && hops < 48;
	     pos = cfg[pos + 1] & ~3, hops++)
		if (cfg[pos] == id)
			return pos;
	return 0;
}

/* Lines of /proc/interrupts naming @what */
static int irq_lines(const char *what)
{
	static char buf[1 << 16];
	char *line;
	int n = 0;

	if (read_file("/proc/interrupts", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		n += strstr(line, what) != NULL;
	return n;
}

/*
 * /dev/kmsg opened at its end: reading it gives only what the kernel logs
 * from now on (the log buffer, 128 KiB, may wrap meanwhile; counting lines
 * in the whole buffer before and after could not tell)
 */
static int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		tap_diag("/dev/kmsg: %s", strerror(errno));
	else
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * The kernel log records since kmsg_mark() that contain both @a[i] and @b,
 * into @count[i]; closes @fd
 */
static void kmsg_count(int fd, const char *const *a, int *count, int n,
		       const char *b)
{
	char rec[2048];
	ssize_t len;
	int i;

	for (i = 0; i < n; i++)
		count[i] = 0;
	while (fd >= 0) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten before it was read */
		if (len <= 0)
			break;
		rec[len] = 0;
		for (i = 0; i < n; i++)
			count[i] += strstr(rec, a[i]) && strstr(rec, b);
	}
	if (fd >= 0)
		close(fd);
}

struct kcase {
	const char *name;
	int done;
};

/*
 * Run a kselftest harness program with the device's address and report one
 * result per expected case, named as the program names it, as each case
 * ends; its output goes before the result as diagnostics.  Cases that never
 * report (the program crashed or hung) fail at the end, and one more result
 * says whether the program exited 0 with nothing unexpected.  Always
 * n + 1 results.
 */
static void run_kselftest(const char *prog, struct kcase *cases, int n)
{
	char path[256], line[1024], name[512], totals[256] = "";
	int pfd[2], st = 0, i, unexpected = 0, ran = 0;
	double t0 = now(), tcase = now();
	pid_t pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", BIN_DIR, prog);
	if (pipe(pfd) < 0) {
		tap_diag("pipe: %s", strerror(errno));
		goto missing;
	}
	fflush(stdout);
	pid = fork();
	if (!pid) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execl(path, prog, bdf, NULL);
		printf("exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		tap_diag("fork: %s", strerror(errno));
		goto missing;
	}
	f = fdopen(pfd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n'), *hash;
		int ok = !strncmp(line, "ok ", 3);
		int k;

		if (nl)
			*nl = 0;
		if (!ok && strncmp(line, "not ok ", 7)) {
			printf("# %s\n", line);
			if (!strncmp(line, "# Totals:", 9))
				snprintf(totals, sizeof(totals), "%.200s", line + 2);
			if (strstr(line, " RUN "))
				tcase = now();
			continue;
		}
		/* "ok N NAME[ # SKIP why]" / "not ok N NAME[ #  why]" */
		if (sscanf(line + (ok ? 3 : 7), "%*u %511s", name) != 1) {
			printf("# %s\n", line);
			continue;
		}
		hash = strstr(line, " # ");
		for (k = 0; k < n; k++)
			if (!cases[k].done && !strcmp(cases[k].name, name))
				break;
		if (k == n) {
			tap_diag("unexpected kselftest result: %s", line);
			unexpected++;
			continue;
		}
		cases[k].done = 1;
		ran++;
		tap_diag("kselftest: %s (%.1f s)", line, now() - tcase);
		if (now() - tcase > slowest) {
			slowest = now() - tcase;
			snprintf(slowest_name, sizeof(slowest_name), "%.127s", name);
		}
		if (!strcmp(name, MSI_CASE)) {
			tap_check(ok && hash && !strncmp(hash, " # SKIP", 7) &&
				  !msi_cap && msix_cap, MSI_RESULT,
				  "MSI capability at %#x, MSI-X at %#x", msi_cap,
				  msix_cap);
		} else if (hash && !strncmp(hash, " # SKIP", 7)) {
			tap_diag("a kselftest SKIP that is not declared fails");
			tap_result(0, name);
		} else {
			tap_result(ok, name);
		}
	}
	if (f)
		fclose(f);
	waitpid(pid, &st, 0);
missing:
	for (i = 0; i < n; i++) {
		const char *what = cases[i].name;

		if (cases[i].done)
			continue;
		if (!strcmp(what, MSI_CASE))
			what = MSI_RESULT;
		tap_ok(0, "%s", what);
	}
	tap_check(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !unexpected &&
		  ran == n, prog,
		  "%s: status %#x, %d of %d cases reported, %d unexpected, %s, %.0f s",
		  prog, st, ran, n, unexpected, totals[0] ? totals : "no totals",
		  now() - t0);
}

static void rebind_idxd(void)
{
	char path[400];

	if (!strcmp(driver(), "vfio-pci"))
		sys_write("/sys/bus/pci/drivers/vfio-pci/unbind", bdf);
	dev_write("driver_override", "\n");
	snprintf(path, sizeof(path), "%s", bdf);
	sys_write("/sys/bus/pci/drivers_probe", path);
}

/*
 * idxd's device for the function is dsa1 again (idxd names devices by the
 * lowest free number; dsa0 keeps 0), a child of the function, with its IMS
 * domain: a probe that failed after binding would leave no dsa1
 */
static int dsa1_back(char *why, size_t len)
{
	char link[400], target[400];
	const char *ims = sys(DSA1 "/ims_size");
	int n;

	snprintf(link, sizeof(link), "%s", DSA1);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	snprintf(why, len, "%s -> '%.200s', ims_size '%s'", DSA1, target, ims);
	snprintf(link, sizeof(link), "/%s/dsa1", bdf);
	return n > 0 && strstr(target, link) && !strcmp(ims, "256");
}

int main(void)
{
	const char *variant = guest_arg("variant");
	char names[8][32], path[400], ksname[NMODES * NDRV][96], thp_old[32];
	struct kcase drv[NMODES * NDRV], devc[NDEV];
	static const char *const faults[2] = {
		"DMA Read NO_PASID", "DMA Write NO_PASID",
	};
	int n, i, j, found = 0, runs = 0, ok, thp_ok, kmsg, nfault[2];
	int vfio_loaded;
	char denylist_old[8] = "";
	uint64_t gencap = 0;
	uint32_t cmdcap = 0;
	double t0 = now();

	for (i = 0; variant && i < (int)(sizeof(dsa_variants) /
					 sizeof(dsa_variants[0])); i++)
		runs |= !strcmp(variant, dsa_variants[i]);
	/* vtd checks that it has no DSA, the others skip, as the DSA tests */
	if (!runs && tap_dsa_elsewhere(variant, "the VFIO selftests on a DSA"))
		return tap_done();
	tap_plan(NCHECKS);

	/* --- the DSA without interrupt-handle commands --- */
	n = find_pci_devices(0x8086, 0x0b25, names, 8);
	for (i = 0; i < n && i < 8; i++) {
		int rc = dsa_caps(names[i], &gencap, &cmdcap);

		tap_diag("DSA %s: GENCAP %#llx CMDCAP %#x%s", names[i],
			 (unsigned long long)gencap, cmdcap,
			 rc ? " (resource0 unreadable)" : "");
		if (rc)
			continue;
		if ((gencap & GENCAP_CMD_CAP) &&
		    (cmdcap & (1u << CMD_REQUEST_INT_HANDLE)))
			continue;
		if (!found++)
			snprintf(bdf, sizeof(bdf), "%.31s", names[i]);
	}
	tap_check(found == 1, "one DSA without interrupt-handle commands",
		  "%d of %d DSA functions; using %s", found, n,
		  bdf[0] ? bdf : "(none)");
	if (found != 1) {
		/* nothing to run the selftests on: the remaining checks fail */
		for (i = 1; i < NCHECKS; i++)
			tap_ok(0, "check %d of the VFIO selftests on the DSA", i + 1);
		return tap_done();
	}
	snprintf(dev, sizeof(dev), "/sys/bus/pci/devices/%s", bdf);
	tap_check(!strcmp(driver(), "idxd"), "idxd probed it first",
		  "driver %s", driver());

	/* --- from idxd to vfio-pci --- */
	/*
	 * vfio-pci refuses 8086:0b25 by default (its denylist: errata of
	 * Sapphire Rapids' DSA); the selftests on such a DSA need the
	 * denylist off, here as on real hardware.
	 */
	ok = 1;
	vfio_loaded = !access("/sys/module/vfio_pci", F_OK);
	if (read_file(DENYLIST, path, sizeof(path)) > 0)
		snprintf(denylist_old, sizeof(denylist_old), "%.1s", path);
	tap_diag("vfio-pci %s, disable_denylist '%s'",
		 vfio_loaded ? "loaded" : "not loaded", denylist_old);
	if (vfio_loaded && denylist_old[0] != 'Y')
		ok &= system("rmmod vfio-pci") == 0;
	ok &= system("modprobe vfio-pci disable_denylist=1") == 0;
	ok &= !dev_write("driver_override", "vfio-pci");
	if (driver()[0])
		ok &= !dev_write("driver/unbind", bdf);
	ok &= !sys_write("/sys/bus/pci/drivers_probe", bdf);
	tap_check(ok && !strcmp(driver(), "vfio-pci"),
		  "it moves from idxd to vfio-pci (driver_override)",
		  "driver %s", driver());
	snprintf(path, sizeof(path), "%s/iommu_group/devices", dev);
	{
		DIR *d = opendir(path);
		struct dirent *e;
		int others = 0, self = 0;

		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (!strcmp(e->d_name, bdf))
				self++;
			else
				others++;
		}
		if (d)
			closedir(d);
		snprintf(path, sizeof(path), "%s/vfio-dev", dev);
		d = opendir(path);
		tap_check(self == 1 && !others && d,
			  "it is alone in its IOMMU group and has a VFIO device cdev",
			  "group members: self %d, others %d; %s %s", self,
			  others, path, d ? "present" : "missing");
		if (d)
			closedir(d);
	}

	/*
	 * Each selftest case pins a 1 GiB shared anonymous region: in 2 MiB
	 * shmem folios, not 4 KiB pages, or populating it alone takes longer
	 * under TCG than the 30 s the selftests give a case.
	 */
	thp_old[0] = 0;
	if (read_file(SHMEM_THP, path, sizeof(path)) > 0 && strchr(path, '[')) {
		char *b = strchr(path, '['), *e = strchr(b, ']');

		if (e)
			snprintf(thp_old, sizeof(thp_old), "%.*s", (int)(e - b - 1), b + 1);
	}
	thp_ok = thp_old[0] && !sys_write(SHMEM_THP, "always");
	tap_diag("shmem_enabled was '%s'", thp_old);

	/* --- the selftests --- */
	msi_cap = pci_cap(0x05);
	msix_cap = pci_cap(0x11);
	for (i = 0; i < NDEV; i++)
		devc[i] = (struct kcase){ dev_tests[i], 0 };
	run_kselftest("vfio_pci_device_test", devc, NDEV);
	for (i = 0; i < NMODES; i++)
		for (j = 0; j < NDRV; j++) {
			char *s = ksname[i * NDRV + j];

			snprintf(s, sizeof(ksname[0]), "vfio_pci_driver_test.%s.%s",
				 modes[i], drv_tests[j]);
			drv[i * NDRV + j] = (struct kcase){ s, 0 };
		}
	/*
	 * The memcpys from and to an unmapped IOVA fault in the vIOMMU, with
	 * the DSA's requester ID: its DMA is translated, not let through.
	 * Only faults logged while the driver test ran count: earlier tests
	 * (dsa, dsa_ims) use the same function.
	 */
	kmsg = kmsg_mark();
	run_kselftest("vfio_pci_driver_test", drv, NMODES * NDRV);
	kmsg_count(kmsg, faults, nfault, 2, bdf);
	tap_check(nfault[0] > 0 && nfault[1] > 0,
		  "the unmapped-IOVA memcpys fault in VT-d with the DSA's requester ID",
		  "DMAR read faults %d, write faults %d naming %s while the driver test ran",
		  nfault[0], nfault[1], bdf);
	tap_check(slowest > 0 && slowest <= SLOW_CASE,
		  "every kselftest case took at most 25 s (kselftest allows 30)",
		  "slowest: %s, %.1f s", slowest_name[0] ? slowest_name : "none",
		  slowest);
	n = irq_lines("vfio-msix");
	tap_check(n == 0, "no VFIO interrupt is left after the selftests",
		  "%d vfio-msix lines in /proc/interrupts", n);

	/* --- and back: shmem folios, idxd --- */
	thp_ok &= !sys_write(SHMEM_THP, thp_old);
	read_file(SHMEM_THP, path, sizeof(path));
	tap_check(thp_ok, "2 MiB shmem folios while the selftests ran, then back",
		  "shmem_enabled '%s' -> always -> %s", thp_old, path);
	rebind_idxd();
	tap_check(!strcmp(driver(), "idxd"), "it goes back to idxd",
		  "driver %s, %.0f s in all", driver(), now() - t0);
	ok = dsa1_back(path, sizeof(path));
	tap_check(ok, "idxd probed it again: dsa1 with its IMS domain (ims_size 256)",
		  "%s", path);

	/*
	 * vfio-pci as it was: not loaded, or loaded with its denylist as it
	 * was (on, unless whoever loaded it had turned it off)
	 */
	path[0] = 0;
	if (!vfio_loaded) {
		ok = system("rmmod vfio-pci") == 0 &&
		     access("/sys/module/vfio_pci", F_OK) != 0;
	} else if (denylist_old[0] == 'Y') {
		ok = read_file(DENYLIST, path, sizeof(path)) > 0 && path[0] == 'Y';
	} else {
		ok = system("rmmod vfio-pci") == 0 &&
		     system("modprobe vfio-pci") == 0 &&
		     read_file(DENYLIST, path, sizeof(path)) > 0 && path[0] == 'N';
	}
	read_file(DENYLIST, path, sizeof(path));
	tap_check(ok, "vfio-pci is back as it was: the denylist is not left off",
		  "vfio-pci was %s (disable_denylist '%s'); now %s",
		  vfio_loaded ? "loaded" : "not loaded", denylist_old,
		  access("/sys/module/vfio_pci", F_OK) ? "not loaded" : path);
	return tap_done();
}
