// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: unloading idxd, unbinding a DSA and unloading an IMS
 * client while the client holds live IMS vectors leave nothing behind.
 *
 * The client is the module idxd_ims_hold (drivers/dma/idxd/ims_hold_test.c):
 * at load it takes three IMS vectors of wq0.0, proves each live with a NOOP
 * and its completion interrupt, and holds them until its unload or until
 * the device goes away (IDXD_IMS_EVENT_REMOVING). Here, on dsa0:
 *
 * - with the client loaded, dsa0 counts its vectors and /proc/interrupts
 *   shows them; idxd refuses to unload (the client uses its symbols);
 * - the client's unload frees them; then idxd unloads, its IMS domains go
 *   with it and kmemleak finds nothing new; idxd loads again with its IMS
 *   domains and the client loads again;
 * - an unbind of dsa0's PCI function while the client holds vectors tells
 *   the client REMOVING, and the vectors are freed; the function binds
 *   again with its IMS domain, and the client's unload has nothing left to
 *   free.
 *
 * Runs after dsa_ims (alphabetical order), whose KUnit module idxd_ims_e2e
 * also holds idxd: the guest's init has read its results from debugfs
 * right after dsa_ims, so it is unloaded here first. (dsa unloads dmatest
 * after its run: a channel dmatest holds keeps a reference on idxd.) idxd
 * loads again with its built-in KUnit suite, which runs again; init
 * reports a suite once, so that run is not reported. The kernel log is
 * checked by the harness: a double free, a warning or a lockdep report
 * fails the run.
 *
 * Only the dsa variant has a DSA; elsewhere the test is one result
 * (tap_dsa_elsewhere()).
 */
#include <libgen.h>
#include <limits.h>
#include <sys/syscall.h>
#include "dsa_wq.h"

#define NCHECKS		17
#define NVECS		3
#define DSA0		"/sys/bus/dsa/devices/dsa0"
#define DSA1		"/sys/bus/dsa/devices/dsa1"
#define HELD		"/sys/module/idxd_ims_hold/parameters/held"
#define KMEMLEAK	"/sys/kernel/debug/kmemleak"
#define MAX_LEAKS	4096

static char buf[1 << 20];

/* delete_module(2) as rmmod does it: 0 or -errno */
static int unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* Lines of @path that contain @a and, if not NULL, @b */
static int count_lines(const char *path, const char *a, const char *b)
{
	char *line, *save;
	int n = 0;

	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += strstr(line, a) && (!b || strstr(line, b));
	return n;
}

/* Entries of directory @dir whose name contains @needle */
static int count_entries(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !strstr(e->d_name, needle))
			continue;
		tap_diag("%s/%s", dir, e->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* The modules holding idxd, into a diagnostic; how many */
static int idxd_holders(void)
{
	DIR *d = opendir("/sys/module/idxd/holders");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		tap_diag("idxd is held by %s", e->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static int client_load(void)
{
	char *argv[] = { "modprobe", "idxd_ims_hold", "wq=wq0.0", "nr=3", NULL };
	int rc = run(argv);

	tap_diag("modprobe idxd_ims_hold: exit %d, held '%s', dsa0 ims_in_use '%s'",
		 rc, sys(HELD), sys(DSA0 "/ims_in_use"));
	return rc == 0 && atoi(sys(HELD)) == NVECS;
}

static int dsa_in_use(const char *dsa)
{
	const char *s = sys("%s/ims_in_use", dsa);

	return *s ? atoi(s) : -1;
}

/* The PCI address of @dsa (its conf device's parent) into @bdf, "" if none */
static const char *dsa_pci(const char *dsa, char *bdf, size_t len)
{
	char path[PATH_MAX];

	bdf[0] = 0;
	if (realpath(dsa, path))
		snprintf(bdf, len, "%s", basename(dirname(path)));
	return bdf;
}

/* The IMS irq domains of the PCI functions @bdf0 and @bdf1 */
static int dsa_ims_domains(const char *bdf0, const char *bdf1)
{
	const char *dir = "/sys/kernel/debug/irq/domains";
	char name[2][96];

	snprintf(name[0], sizeof(name[0]), "IDXD-IMS-%s", bdf0);
	snprintf(name[1], sizeof(name[1]), "IDXD-IMS-%s", bdf1);
	return count_entries(dir, name[0]) + count_entries(dir, name[1]);
}

/*
 * kmemleak: scan, and collect the addresses of the objects it reports
 * into @addr (at most MAX_LEAKS); how many, -1 if kmemleak cannot scan.
 */
static int kmemleak_objects(unsigned long long *addr)
{
	const char *tag = "unreferenced object 0x";
	char *p;
	int n = 0;

	/* An object is reported when two scans found it unreferenced */
	if (write_str(KMEMLEAK, "scan"))
		return -1;
	msleep(1000);
	if (write_str(KMEMLEAK, "scan") || read_file(KMEMLEAK, buf, sizeof(buf)) < 0)
		return -1;
	for (p = strstr(buf, tag); p && n < MAX_LEAKS; p = strstr(p + 1, tag))
		addr[n++] = strtoull(p + strlen(tag), NULL, 16);
	return n;
}

static unsigned long long leaks_before[MAX_LEAKS], leaks_after[MAX_LEAKS];

/* Objects reported after idxd's unload which were not before */
static int kmemleak_new(int before)
{
	int i, j, after, n = 0;

	/*
	 * kmemleak reports no object younger than 5 s: the client's vectors
	 * and idxd's domains were allocated a second or two before
	 */
	sleep(6);
	after = kmemleak_objects(leaks_after);

	if (before < 0 || after < 0) {
		tap_diag("kmemleak could not scan (before %d, after %d)", before, after);
		return -1;
	}
	for (i = 0; i < after; i++) {
		for (j = 0; j < before && leaks_before[j] != leaks_after[i]; j++)
			;
		if (j == before) {
			tap_diag("new unreferenced object %#llx (see %s)",
				 leaks_after[i], KMEMLEAK);
			n++;
		}
	}
	return n;
}

int main(void)
{
	const char *variant = guest_arg("variant");
	char *reload[] = { "modprobe", "idxd", NULL };
	char bdf0[64], bdf1[64];
	int rc, n, m, leaks, domains;

	if (tap_dsa_elsewhere(variant, "the DSA IMS unload checks"))
		return tap_done();
	tap_plan(NCHECKS);

	tap_check(dsa_kernel_wq(0), "wq0.0 enabled: dedicated, kernel", "dsa0");
	/* dsa_ims's KUnit module: its results were read when dsa_ims ended */
	if (module_loaded("idxd_ims_e2e"))
		tap_diag("unloading idxd_ims_e2e: %d", unload("idxd_ims_e2e"));
	n = idxd_holders();
	tap_check(n == 0 && !strcmp(sys("/sys/module/idxd/refcnt"), "0"),
		  "before the client nothing holds idxd: no module, no reference",
		  "%d modules hold idxd, refcnt '%s'", n, sys("/sys/module/idxd/refcnt"));
	leaks = kmemleak_objects(leaks_before);
	dsa_pci(DSA0, bdf0, sizeof(bdf0));
	dsa_pci(DSA1, bdf1, sizeof(bdf1));
	domains = dsa_ims_domains(bdf0, bdf1);

	/* --- the client holds three live vectors --- */
	tap_check(client_load(),
		  "the client idxd_ims_hold loads and proves 3 vectors live on wq0.0",
		  "see above");
	n = dsa_in_use(DSA0);
	tap_check(n == NVECS, "dsa0's ims_in_use counts the client's 3 vectors",
		  "ims_in_use %d", n);
	n = count_lines("/proc/interrupts", "IDXD-IMS", NULL);
	m = count_lines("/proc/interrupts", "IDXD-IMS", "idxd-ims-hold");
	tap_check(n == NVECS && m == NVECS,
		  "/proc/interrupts shows 3 IDXD-IMS lines, the client's",
		  "%d IDXD-IMS lines, %d of them idxd-ims-hold", n, m);

	/* --- idxd cannot go while the client uses it --- */
	idxd_holders();
	rc = unload("idxd");
	n = dsa_in_use(DSA0);
	tap_check((rc == -EWOULDBLOCK || rc == -EBUSY) && module_loaded("idxd") &&
		  n == NVECS && atoi(sys(HELD)) == NVECS,
		  "idxd refuses to unload while the client holds vectors, which stay",
		  "delete_module(idxd): %s; ims_in_use %d, held '%s'",
		  rc ? strerror(-rc) : "success", n, sys(HELD));

	/* --- the client's unload frees them, then idxd goes --- */
	rc = unload("idxd_ims_hold");
	tap_check(rc == 0 && !module_loaded("idxd_ims_hold"), "the client unloads",
		  "delete_module(idxd_ims_hold): %s", rc ? strerror(-rc) : "success");
	n = dsa_in_use(DSA0);
	m = count_lines("/proc/interrupts", "IDXD-IMS", NULL);
	tap_check(n == 0 && m == 0,
		  "after the client's unload no vector is in use and no IMS interrupt is left",
		  "ims_in_use %d, %d IDXD-IMS lines in /proc/interrupts", n, m);
	n = idxd_holders();
	tap_diag("idxd refcnt '%s'", sys("/sys/module/idxd/refcnt"));
	rc = unload("idxd");
	tap_check(rc == 0 && !module_loaded("idxd"), "idxd unloads once the client is gone",
		  "%d holders; delete_module(idxd): %s", n, rc ? strerror(-rc) : "success");
	/* Only theirs: idxd_ims's KUnit cases leak one on an edu by design */
	n = dsa_ims_domains(bdf0, bdf1);
	m = count_lines("/proc/interrupts", "IDXD-IMS", NULL);
	tap_check(domains == 2 && n == 0 && m == 0,
		  "the IMS irq domains of both DSAs went with idxd",
		  "IMS domains of %s and %s in irq debugfs: %d before, %d after; "
		  "%d IDXD-IMS interrupts",
		  bdf0, bdf1, domains, n, m);
	n = kmemleak_new(leaks);
	tap_check(n == 0, "kmemleak finds no new unreferenced object after idxd's unload",
		  "%d new (%d before)", n, leaks);

	/* --- idxd again, and the client again --- */
	rc = run(reload);
	tap_check(rc == 0 && !strcmp(sys(DSA0 "/ims_size"), "256") &&
		  !strcmp(sys(DSA1 "/ims_size"), "256") && dsa_in_use(DSA0) == 0,
		  "idxd loads again: dsa0 and dsa1 are back with their IMS domains",
		  "modprobe idxd: exit %d; ims_size dsa0 '%s' dsa1 '%s'", rc,
		  sys(DSA0 "/ims_size"), sys(DSA1 "/ims_size"));
	tap_check(dsa_kernel_wq(0), "wq0.0 enabled again on the new idxd", "dsa0");
	tap_check(client_load() && dsa_in_use(DSA0) == NVECS,
		  "the client loads again and proves 3 vectors live", "see above");

	/* --- an unbind while the client holds them: REMOVING --- */
	domains = dsa_ims_domains(bdf0, "none");
	sys_write("/sys/bus/pci/drivers/idxd/unbind", bdf0);
	n = count_lines("/proc/interrupts", "idxd-ims-hold", NULL);
	m = dsa_ims_domains(bdf0, "none");
	tap_check(!strcmp(sys(HELD), "0") && n == 0 && domains == 1 && m == 0 &&
		  access(DSA0, F_OK),
		  "an unbind of dsa0 while the client holds vectors frees them (REMOVING)",
		  "%s unbound: held '%s', %d idxd-ims-hold interrupts, "
		  "IMS domains %d before, %d after",
		  bdf0, sys(HELD), n, domains, m);
	sys_write("/sys/bus/pci/drivers/idxd/bind", bdf0);
	n = dsa_in_use(DSA0);
	tap_check(!strcmp(sys(DSA0 "/ims_size"), "256") && n == 0,
		  "dsa0 binds again with its IMS domain and no vector in use",
		  "ims_size '%s', ims_in_use %d", sys(DSA0 "/ims_size"), n);
	rc = unload("idxd_ims_hold");
	n = dsa_in_use(DSA0);
	tap_check(rc == 0 && n == 0,
		  "the client unloads after the unbind, with nothing left to free",
		  "delete_module(idxd_ims_hold): %s; ims_in_use %d",
		  rc ? strerror(-rc) : "success", n);
	return tap_done();
}
