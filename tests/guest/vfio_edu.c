// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: a userspace VFIO client of the edu mediated device sample
 * (samples/ims/ims-edu-mdev.c) and the VFIO emulated MSI-X helper, through
 * the legacy group/container path (type1) and the iommufd cdev path.
 *
 * On the vtd machine every vector is a host IMS vector of the parent edu
 * device, posted by the device's DMA; elsewhere IMS is refused and the
 * vectors are emulated (the documented fallback). The same checks run on
 * both, with the expectations of the backend; a few only mean something
 * with host vectors (exhaustion of the parent's table).
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include "tap.h"

/* vfio-pci's region layout, which mdev drivers follow (kernel internal) */
#define REGION(i)	((off_t)(i) << 40)
#define NVEC		4
#define NR_SLOTS	6	/* ims-edu's table per edu device, for exhaustion */
#define BAR0		REGION(VFIO_PCI_BAR0_REGION_INDEX)
#define CFG		REGION(VFIO_PCI_CONFIG_REGION_INDEX)
#define REG_ID		0x000
#define REG_NVEC	0x004
#define REG_DOORBELL	0x008
#define REG_DROPPED	0x00c
#define TABLE		0x1000
#define PBA		0x1800
#define FUZZ_OPS	3000

/* The checks of one client path (client()) and of the whole test */
#define CHECKS_CLIENT	25
/* main(): 20 of its own, the two client paths, nosync(): 3 */
#define CHECKS		(20 + 2 * CHECKS_CLIENT + 3)

static const char *uuids[] = {
	"8e6d7b2a-0001-4b7e-9c55-000000000001",
	"8e6d7b2a-0002-4b7e-9c55-000000000002",
	"8e6d7b2a-0003-4b7e-9c55-000000000003",
};

static char edu[32];
static int ims;		/* the declared machine has IMS (vtd) */

/* The edu device (1234:11e8) with the lowest address */
static void find_edu(void)
{
	char found[1][32] = { "" };

	find_pci_devices(0x1234, 0x11e8, found, 1);
	snprintf(edu, sizeof(edu), "%s", found[0]);
}

static int mdev_create(const char *type, const char *uuid)
{
	char path[256];

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/ims-edu-%s/create", edu, type);
	return write_str(path, uuid);
}

static int mdev_remove(const char *uuid)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuid);
	return write_str(path, "1");
}

static int mdev_exists(const char *uuid)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", uuid);
	return access(path, F_OK) == 0;
}

/* Host vectors of an instance: its lines in /proc/interrupts */
static int host_vectors(const char *uuid)
{
	static char buf[1 << 18];
	int n = 0;
	char *p;

	if (read_file("/proc/interrupts", buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; (p = strstr(p, uuid)); p++)
		n++;
	return n;
}

/*
 * The /proc/interrupts line of the host vector of @vector of an instance:
 * the text is read into @buf; returns where its name starts, or NULL.
 */
static char *host_vector_line(const char *uuid, int vector, char *buf,
			      size_t len)
{
	char needle[96];

	if (read_file("/proc/interrupts", buf, len) < 0)
		return NULL;
	snprintf(needle, sizeof(needle), "vfio-msix-emul[%d](%s)", vector, uuid);
	return strstr(buf, needle);
}

/* Linux irq of the host vector of @vector of an instance, or -1 */
static int host_irq(const char *uuid, int vector)
{
	static char buf[1 << 18];
	char *p = host_vector_line(uuid, vector, buf, sizeof(buf));
	char *line;

	if (!p)
		return -1;
	for (line = p; line > buf && line[-1] != '\n'; line--)
		;
	return atoi(line);
}

/*
 * Host slot (hardware irq) of the host vector of @vector of an instance, or
 * -1: the field before the name in its /proc/interrupts line ("3-edge").
 */
static int host_slot(const char *uuid, int vector)
{
	static char buf[1 << 18];
	char *p = host_vector_line(uuid, vector, buf, sizeof(buf));
	char *q;

	if (!p)
		return -1;
	for (q = p; q > buf && q[-1] == ' '; q--)
		;
	while (q > buf && q[-1] != ' ')
		q--;
	return isdigit((unsigned char)*q) ? atoi(q) : -1;
}

/* The producer an irqbypass consumer on @efd meets: its host irq, or -1 */
static int bypass_irq(int efd)
{
	char s[16], buf[16];

	snprintf(s, sizeof(s), "%d", efd);
	if (write_str("/sys/kernel/debug/ims-edu-mdev/irqbypass", s))
		return -2;
	if (read_file("/sys/kernel/debug/ims-edu-mdev/irqbypass", buf, sizeof(buf)) < 0)
		return -2;
	return atoi(buf);
}

/* The legacy path: container, group (type1), device fd */
struct client {
	int container, group, iommufd, dev;
};

static int open_type1(const char *uuid, struct client *c)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[256], link[256];
	ssize_t n;
	int ret;

	memset(c, -1, sizeof(*c));
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	c->container = open("/dev/vfio/vfio", O_RDWR);
	c->group = open(path, O_RDWR);
	if (c->container < 0 || c->group < 0)
		return -errno;
	if (ioctl(c->group, VFIO_GROUP_GET_STATUS, &st) || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -ENODEV;
	if (ioctl(c->group, VFIO_GROUP_SET_CONTAINER, &c->container))
		return -errno;
	if (ioctl(c->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	ret = ioctl(c->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (ret < 0)
		return -errno;
	c->dev = ret;
	return 0;
}

/* The cdev path: /dev/vfio/devices/vfioX bound to /dev/iommu, an IOAS attached */
static int open_iommufd(const char *uuid, struct client *c)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	char path[256], name[64] = "";
	struct dirent *e;
	DIR *d;

	memset(c, -1, sizeof(*c));
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/vfio-dev", uuid);
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "vfio", 4))
			snprintf(name, sizeof(name), "%.60s", e->d_name);
	if (d)
		closedir(d);
	if (!name[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	c->dev = open(path, O_RDWR);
	c->iommufd = open("/dev/iommu", O_RDWR);
	if (c->dev < 0 || c->iommufd < 0)
		return -errno;
	bind.iommufd = c->iommufd;
	if (ioctl(c->dev, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return -errno;
	if (ioctl(c->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return -errno;
	attach.pt_id = alloc.out_ioas_id;
	if (ioctl(c->dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return -errno;
	return 0;
}

static void client_close(struct client *c)
{
	if (c->dev >= 0)
		close(c->dev);
	if (c->group >= 0)
		close(c->group);
	if (c->container >= 0)
		close(c->container);
	if (c->iommufd >= 0)
		close(c->iommufd);
	memset(c, -1, sizeof(*c));
}

static int rd32(int dev, off_t off, uint32_t *v)
{
	return pread(dev, v, 4, off) == 4 ? 0 : -errno;
}

static int wr32(int dev, off_t off, uint32_t v)
{
	return pwrite(dev, &v, 4, off) == 4 ? 0 : -errno;
}

static int set_irqs_at(int dev, uint32_t index, uint32_t flags, uint32_t start, uint32_t count,
		       const void *data, size_t size)
{
	char buf[sizeof(struct vfio_irq_set) + 256];
	struct vfio_irq_set *s = (void *)buf;

	s->argsz = sizeof(*s) + size;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	memcpy(s->data, data, size);
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

static int set_irqs(int dev, uint32_t flags, uint32_t start, uint32_t count, const void *data,
		    size_t size)
{
	return set_irqs_at(dev, VFIO_PCI_MSIX_IRQ_INDEX, flags, start, count, data, size);
}

/* The device request eventfd (fd -1 detaches) */
static int set_req(int dev, int fd)
{
	return set_irqs_at(dev, VFIO_PCI_REQ_IRQ_INDEX,
			   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &fd,
			   sizeof(fd));
}

static int set_eventfds(int dev, uint32_t start, uint32_t count, const int *fds)
{
	return set_irqs(dev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			start, count, fds, count * sizeof(int));
}

static int disable_irqs(int dev)
{
	return set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL, 0);
}

/* Count of an eventfd, read without blocking (and so reset to zero) */
static uint64_t efd_take(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Wait up to @ms for the eventfd to become readable */
static int efd_wait(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* Ring the doorbell of @vector and wait for one delivery on @efd */
static int fire_and_wait(int dev, int vector, int efd)
{
	if (wr32(dev, BAR0 + REG_DOORBELL, vector))
		return 0;
	return efd_wait(efd, 5000);
}

static int table_mask(int dev, int vector, int masked)
{
	return wr32(dev, BAR0 + TABLE + vector * 16 + 12, masked);
}

/*
 * One client path on one instance: every check here runs through @c.
 * CHECKS_CLIENT checks, named with the path's prefix.
 */
static void client(const char *path, const char *uuid, struct client *c)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	int efd[NVEC], fds[NVEC], i, j, ok, dev = c->dev, nullfd, nefd, slot, slot2;
	uint64_t counts[NVEC];
	uint32_t v, v2, pba, dropped;
	uint8_t bools[NVEC] = { 1, 0, 1, 0 };
	uint8_t cfg[0x4c];

	ok = !ioctl(dev, VFIO_DEVICE_GET_INFO, &info);
	tap_diag("flags %#x regions %u irqs %u", info.flags, info.num_regions, info.num_irqs);
	tap_ok(ok && (info.flags & VFIO_DEVICE_FLAGS_PCI) && info.num_regions == 9 &&
	       info.num_irqs == 5, "%s: device info: a PCI device with 9 regions and 5 irq indexes",
	       path);

	/* Config space in dword reads, as a VMM reads it */
	ok = 1;
	for (i = 0; i < (int)sizeof(cfg); i += 4)
		ok &= pread(dev, &cfg[i], 4, CFG + i) == 4;
	tap_diag("config read %d", ok);
	ok = ok && cfg[0] == 0x34 && cfg[1] == 0x12 && cfg[2] == 0xe9 && cfg[3] == 0x11 &&
	     (cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST) && cfg[PCI_CAPABILITY_LIST] == 0x40 &&
	     cfg[0x40] == PCI_CAP_ID_MSIX && (cfg[0x42] | cfg[0x43] << 8) == NVEC - 1 &&
	     cfg[0x44] == 0x00 && cfg[0x45] == 0x10 && cfg[0x48] == 0x00 && cfg[0x49] == 0x18;
	tap_ok(ok, "%s: config space: own IDs 1234:11e9, MSI-X capability of %d vectors, table and PBA in BAR0",
	       path, NVEC);

	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	ok = !ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri) && ri.size == 0x2000 &&
	     ri.offset == (uint64_t)BAR0;
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ok = ok && !ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri) && ri.size == 256;
	ri.index = VFIO_PCI_NUM_REGIONS;
	ok = ok && ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri) && errno == EINVAL;
	tap_ok(ok, "%s: region info: BAR0 8 KiB, config 256 bytes, bad index EINVAL", path);

	/* A dword read that straddles into the capability; a dword Command write */
	v = 0xffffffff;
	v2 = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ok = pread(dev, &v, 4, CFG + 0x3e) == 4 && v == PCI_CAP_ID_MSIX << 16 &&
	     pwrite(dev, &v2, 4, CFG + PCI_COMMAND) == 4 && !rd32(dev, CFG + PCI_COMMAND, &v2) &&
	     (v2 & 0xffff) == (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	tap_diag("0x3e: %#x, command %#x", v, v2);
	tap_ok(ok, "%s: config: a read straddling into the capability, a dword Command write", path);

	ii.index = VFIO_PCI_MSIX_IRQ_INDEX;
	ok = !ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii) && ii.count == NVEC &&
	     (ii.flags & VFIO_IRQ_INFO_EVENTFD) && !(ii.flags & VFIO_IRQ_INFO_NORESIZE);
	ii.index = VFIO_PCI_INTX_IRQ_INDEX;
	ok = ok && !ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii) && ii.count == 0;
	ii.index = VFIO_PCI_REQ_IRQ_INDEX;
	ok = ok && !ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii) && ii.count == 1 &&
	     (ii.flags & VFIO_IRQ_INFO_EVENTFD);
	tap_ok(ok, "%s: irq info: %d dynamic MSI-X vectors, no INTx, one request eventfd", path,
	       NVEC);

	ok = !rd32(dev, BAR0 + REG_ID, &v) && v == 0x010011e9 &&
	     !rd32(dev, BAR0 + REG_NVEC, &v2) && v2 == NVEC;
	tap_diag("id %#x nvec %u", v, v2);
	tap_ok(ok, "%s: BAR0 registers: ID and NVEC", path);

	/* Attach eventfds: host vectors appear only now (dynamic allocation) */
	v = host_vectors(uuid);
	for (i = 0; i < NVEC; i++)
		fds[i] = efd[i] = eventfd(0, EFD_NONBLOCK);
	ok = !set_eventfds(dev, 0, NVEC, fds);
	j = host_vectors(uuid);
	tap_diag("set_irqs %d host vectors before %u after %d", ok, v, j);
	tap_ok(ok && v == 0 && j == (ims ? NVEC : 0),
	       "%s: SET_IRQS eventfds: %s", path,
	       ims ? "one host IMS vector per attached eventfd" : "emulated vectors, no host vector");

	/* Doorbells: vector i fired i + 1 times, each delivery counted */
	ok = 1;
	for (i = 0; i < NVEC; i++)
		for (j = 0; j <= i; j++)
			ok &= fire_and_wait(dev, i, efd[i]) && efd_take(efd[i]) == 1;
	msleep(ims ? 500 : 10);
	for (i = 0; i < NVEC; i++)
		counts[i] = efd_take(efd[i]);
	ok = ok && !counts[0] && !counts[1] && !counts[2] && !counts[3];
	tap_ok(ok, "%s: doorbells give exact eventfd counts on the right vectors", path);

	/* Loopback */
	ok = !set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, NVEC,
		       NULL, 0);
	for (i = 0; i < NVEC; i++)
		ok &= efd_take(efd[i]) == 1;
	tap_ok(ok, "%s: DATA_NONE loopback signals every vector once", path);
	ok = !set_irqs(dev, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 0, NVEC,
		       bools, NVEC);
	for (i = 0; i < NVEC; i++)
		ok &= efd_take(efd[i]) == bools[i];
	tap_ok(ok, "%s: DATA_BOOL loopback signals the vectors set", path);

	/* Mask through the emulated table: pending in the PBA, one delivery on unmask */
	ok = !table_mask(dev, 1, 1) && !wr32(dev, BAR0 + REG_DOORBELL, 1);
	msleep(ims ? 1500 : 50);
	ok = ok && !efd_take(efd[1]) && !rd32(dev, BAR0 + PBA, &pba);
	tap_diag("pba %#x", pba);
	tap_ok(ok && pba == 2, "%s: a masked vector does not fire, the PBA shows it pending", path);
	ok = !table_mask(dev, 1, 0) && efd_wait(efd[1], 5000);
	msleep(ims ? 500 : 10);
	ok = ok && efd_take(efd[1]) == 1 && !rd32(dev, BAR0 + PBA, &pba) && pba == 0;
	tap_ok(ok, "%s: unmask delivers the pending event exactly once", path);
	/* Function mask in the capability masks every vector */
	v = 0x4000 | (NVEC - 1);
	ok = pwrite(dev, &v, 2, CFG + 0x42) == 2 && !wr32(dev, BAR0 + REG_DOORBELL, 2);
	msleep(ims ? 1500 : 50);
	ok = ok && !efd_take(efd[2]) && !rd32(dev, BAR0 + PBA, &pba) && pba == 4;
	v = NVEC - 1;
	ok = ok && pwrite(dev, &v, 2, CFG + 0x42) == 2 && efd_wait(efd[2], 5000) &&
	     efd_take(efd[2]) == 1;
	tap_ok(ok, "%s: function mask holds every vector, one delivery on clear", path);

	/* Doorbells outside the instance's vectors are dropped */
	ok = !rd32(dev, BAR0 + REG_DROPPED, &dropped) && !wr32(dev, BAR0 + REG_DOORBELL, NVEC) &&
	     !wr32(dev, BAR0 + REG_DOORBELL, 0xffffffff);
	msleep(ims ? 500 : 10);
	for (i = 0; i < NVEC; i++)
		ok &= !efd_take(efd[i]);
	ok = ok && !rd32(dev, BAR0 + REG_DROPPED, &v) && v == dropped + 2;
	tap_ok(ok, "%s: doorbells beyond the instance's vectors are dropped", path);

	/* Detach one vector: its host vector goes, the others stay */
	fds[0] = -1;
	ok = !set_eventfds(dev, 3, 1, fds) && host_vectors(uuid) == (ims ? NVEC - 1 : 0) &&
	     !wr32(dev, BAR0 + REG_DOORBELL, 3) && !rd32(dev, BAR0 + REG_DROPPED, &v) &&
	     v == dropped + 3 && fire_and_wait(dev, 0, efd[0]) && efd_take(efd[0]) == 1;
	tap_ok(ok, "%s: detaching one vector frees its host vector and leaves the others", path);
	fds[0] = efd[3];
	ok = !set_eventfds(dev, 3, 1, fds) && fire_and_wait(dev, 3, efd[3]) &&
	     efd_take(efd[3]) == 1;
	tap_ok(ok, "%s: reattaching a vector delivers again", path);

	/*
	 * Swapping the eventfd of a live vector, as a VMM does on every guest
	 * mask and unmask, keeps its host vector and the event the device holds
	 * for it. Vector 0 is detached first: a vector that moved would take
	 * its lower slot.
	 */
	nefd = eventfd(0, EFD_NONBLOCK);
	slot = host_slot(uuid, 1);
	fds[0] = -1;
	ok = !set_eventfds(dev, 0, 1, fds) && !table_mask(dev, 1, 1) &&
	     !wr32(dev, BAR0 + REG_DOORBELL, 1);
	msleep(ims ? 1500 : 50);
	ok = ok && !rd32(dev, BAR0 + PBA, &pba) && pba == 2;
	fds[0] = nefd;
	ok = ok && !set_eventfds(dev, 1, 1, fds);
	slot2 = host_slot(uuid, 1);
	ok = ok && !rd32(dev, BAR0 + PBA, &pba) && pba == 2 && !table_mask(dev, 1, 0) &&
	     efd_wait(nefd, 5000);
	msleep(ims ? 500 : 10);
	counts[0] = efd_take(nefd);
	counts[1] = efd_take(efd[1]);
	tap_diag("slot %d -> %d, pba after swap %#x, new %llu old %llu", slot, slot2, pba,
		 (unsigned long long)counts[0], (unsigned long long)counts[1]);
	tap_ok(ok && slot2 == slot && (!ims || slot > 0) && counts[0] == 1 && !counts[1] &&
	       host_vectors(uuid) == (ims ? NVEC - 1 : 0),
	       "%s: swapping the eventfd of a masked vector keeps its host vector and delivers the pending event once, on the new eventfd",
	       path);
	/* Swap back while a doorbell's event is in flight */
	fds[0] = efd[1];
	ok = !wr32(dev, BAR0 + REG_DOORBELL, 1) && !set_eventfds(dev, 1, 1, fds);
	slot2 = host_slot(uuid, 1);
	ok = ok && (efd_wait(efd[1], 5000) || efd_wait(nefd, 1));
	msleep(ims ? 800 : 10);
	counts[0] = efd_take(nefd);
	counts[1] = efd_take(efd[1]);
	tap_diag("slot %d -> %d, new %llu old %llu", slot, slot2, (unsigned long long)counts[0],
		 (unsigned long long)counts[1]);
	tap_ok(ok && slot2 == slot && counts[0] + counts[1] == 1,
	       "%s: swapping the eventfd while an event is in flight delivers it exactly once, same host vector",
	       path);
	close(nefd);
	fds[0] = efd[0];
	ok = !set_eventfds(dev, 0, 1, fds) && fire_and_wait(dev, 0, efd[0]) &&
	     efd_take(efd[0]) == 1 && host_vectors(uuid) == (ims ? NVEC : 0);
	tap_ok(ok, "%s: the detached vector attaches again after the swaps", path);

	/* Bad input: a clear errno and nothing changed */
	{
		char buf[sizeof(struct vfio_irq_set) + 16];
		struct vfio_irq_set *s = (void *)buf;
		int bad = 0, before = host_vectors(uuid);

		nullfd = open("/dev/null", O_RDONLY);
		memset(buf, 0, sizeof(buf));
#define BAD(err, ...) do { struct vfio_irq_set t = { __VA_ARGS__ }; *s = t; \
		if (!ioctl(dev, VFIO_DEVICE_SET_IRQS, s) || errno != (err)) { \
			bad++; tap_diag("line %d: errno %d", __LINE__, errno); } } while (0)
		BAD(EINVAL, .argsz = 8, .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		    .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 1);
		BAD(EINVAL, .argsz = sizeof(*s), .flags = VFIO_IRQ_SET_DATA_EVENTFD |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 1);
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_INTX_IRQ_INDEX, .count = 1);
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = 9, .count = 1);
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_MSIX_IRQ_INDEX,
		    .start = NVEC, .count = 1);
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_MSIX_IRQ_INDEX,
		    .start = 1, .count = 0xffffffff);
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
		    .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 1);
		/* vfio-pci: an action other than TRIGGER has no handler */
		BAD(ENOTTY, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_ACTION_MASK,
		    .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 1);
		BAD(ENOTTY, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE,
		    .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 1);
		BAD(ENOTTY, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_UNMASK, .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 1);
		BAD(ENOTTY, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_MASK, .index = VFIO_PCI_REQ_IRQ_INDEX, .count = 1);
		/* Indexes without interrupts, with otherwise valid arguments */
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_MSI_IRQ_INDEX, .count = 1);
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_ERR_IRQ_INDEX, .count = 1);
		/* One past the end, a short BOOL payload, the request index's one vector */
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_MSIX_IRQ_INDEX,
		    .count = NVEC + 1);
		BAD(EINVAL, .argsz = sizeof(*s) + NVEC - 1, .flags = VFIO_IRQ_SET_DATA_BOOL |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = NVEC);
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_REQ_IRQ_INDEX, .start = 1,
		    .count = 1);
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_REQ_IRQ_INDEX, .count = 2);
		BAD(EINVAL, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE | 0x1000 |
		    VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 1);
		BAD(ENOTTY, .argsz = sizeof(buf), .flags = VFIO_IRQ_SET_DATA_NONE |
		    VFIO_IRQ_SET_ACTION_MASK, .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 1);
		/* Eventfd data that is not an eventfd: nothing attached, nothing freed */
		s->argsz = sizeof(*s) + 8;
		s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		s->index = VFIO_PCI_MSIX_IRQ_INDEX;
		s->start = 0;
		s->count = 2;
		((int *)s->data)[0] = -1;
		((int *)s->data)[1] = nullfd;
		if (!ioctl(dev, VFIO_DEVICE_SET_IRQS, s) || errno != EINVAL)
			bad++;
		((int *)s->data)[1] = 1000;
		if (!ioctl(dev, VFIO_DEVICE_SET_IRQS, s) || errno != EBADF)
			bad++;
		close(nullfd);
		ok = !bad && host_vectors(uuid) == before && fire_and_wait(dev, 0, efd[0]) &&
		     efd_take(efd[0]) == 1;
		tap_diag("%d bad results, host vectors %d -> %d", bad, before, host_vectors(uuid));
		tap_ok(ok, "%s: SET_IRQS bad argsz, index, start, count, flags and fds: EINVAL/EBADF/ENOTTY, nothing changed",
		       path);
	}

	/* The device request index: one eventfd, loopback, detached with -1 */
	{
		int req = eventfd(0, EFD_NONBLOCK);
		uint8_t one = 1;

		ok = !set_req(dev, req) &&
		     !set_irqs_at(dev, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL, 0) &&
		     efd_take(req) == 1 &&
		     !set_irqs_at(dev, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_DATA_BOOL |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &one, 1) &&
		     efd_take(req) == 1 && !set_req(dev, -1) &&
		     set_irqs_at(dev, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				 VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL, 0) == -EINVAL &&
		     !efd_take(req);
		tap_ok(ok, "%s: request index: one eventfd, loopback, detached with -1", path);
		close(req);
	}

	/* Region accesses at bad offsets and sizes */
	{
		uint8_t b[16];
		int bad = 0;

		bad += pread(dev, b, 4, BAR0 + 0x2000) != -1 || errno != EINVAL;
		bad += pread(dev, b, 4, BAR0 + 0x1ffe) != -1 || errno != EINVAL;
		bad += pread(dev, b, 2, BAR0 + REG_ID) != -1 || errno != EINVAL;
		bad += pwrite(dev, b, 16, BAR0 + REG_DOORBELL) != -1 || errno != EINVAL;
		bad += pread(dev, b, 4, BAR0 + TABLE + 2) != -1 || errno != EINVAL;
		bad += pread(dev, b, 4, CFG + 254) != -1 || errno != EINVAL;
		bad += pread(dev, b, 4, REGION(VFIO_PCI_BAR2_REGION_INDEX)) != -1 ||
		       errno != EINVAL;
		bad += pread(dev, b, 4, REGION(20)) != -1 || errno != EINVAL;
		tap_ok(!bad, "%s: region reads and writes at bad offsets and sizes: EINVAL", path);
	}

	/* Disable: count 0 with DATA_NONE frees everything */
	ok = !disable_irqs(dev) && host_vectors(uuid) == 0 &&
	     !wr32(dev, BAR0 + REG_DOORBELL, 0);
	msleep(ims ? 1000 : 10);
	ok = ok && !efd_take(efd[0]);
	tap_ok(ok, "%s: count 0 with DATA_NONE disables and frees every host vector", path);
	ok = set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL, 0) ==
	     -EINVAL && disable_irqs(dev) == -EINVAL;
	tap_ok(ok, "%s: loopback and disable of a disabled index: EINVAL", path);

	/* Close with live vectors */
	for (i = 0; i < NVEC; i++)
		fds[i] = efd[i];
	ok = !set_eventfds(dev, 0, NVEC, fds) && host_vectors(uuid) == (ims ? NVEC : 0);
	client_close(c);
	ok = ok && host_vectors(uuid) == 0;
	tap_ok(ok, "%s: closing with live vectors frees them", path);
	for (i = 0; i < NVEC; i++)
		close(efd[i]);
}

/*
 * Bounded fuzz: seeded random SET_IRQS (mostly well formed: attach, swap,
 * detach, loopback, disable, mask actions, the request index, device
 * reset; some garbage) and region operations, checked against a model of
 * the device: the return of each call, the eventfd counts loopback gives,
 * the number of host vectors, and at the end a doorbell on every vector
 * reaching the eventfd the model says. Doorbell writes are left out of the
 * random region operations so that every count is known. @avail host slots
 * are free for the instance (another instance holds the rest).
 */
#define FUZZ_POOL	3

struct fuzz_model {
	int enabled, att[NVEC], req;
	uint64_t want[FUZZ_POOL];
	/* What the run reached: swaps, attaches, ENOSPC, bad fds, loopbacks */
	int swaps, attaches, nospc, badfd, loops;
};

static int fuzz_used(const struct fuzz_model *m)
{
	int i, n = 0;

	for (i = 0; i < NVEC; i++)
		n += m->att[i] >= 0;
	return n;
}

/* Eventfd counts and host vectors as the model says; 0 or why not */
static int fuzz_verify(const char *uuid, const int *pool, struct fuzz_model *m, char *why,
		       size_t len)
{
	int k, hv = host_vectors(uuid);
	uint64_t got;

	for (k = 0; k < FUZZ_POOL; k++) {
		got = efd_take(pool[k]);
		if (got != m->want[k]) {
			snprintf(why, len, "eventfd %d counted %llu, model %llu", k,
				 (unsigned long long)got, (unsigned long long)m->want[k]);
			return -1;
		}
		m->want[k] = 0;
	}
	if (hv != (ims ? fuzz_used(m) : 0)) {
		snprintf(why, len, "%d host vectors, model %d", hv, ims ? fuzz_used(m) : 0);
		return -1;
	}
	return 0;
}

static int fuzz(int dev, const char *uuid, unsigned int seed, int avail, char *why, size_t len)
{
	char buf[sizeof(struct vfio_irq_set) + 64];
	struct vfio_irq_set *s = (void *)buf;
	struct fuzz_model m = { .req = -1 };
	int pool[FUZZ_POOL], fds[NVEC], idx[NVEC], nullfd, closedfd, n, ret, want, i, k;
	int start, count, used, bad;
	uint32_t dropped, v;
	uint8_t b[16], bools[NVEC];
	off_t off;

	for (k = 0; k < FUZZ_POOL; k++)
		pool[k] = eventfd(0, EFD_NONBLOCK);
	for (i = 0; i < NVEC; i++)
		m.att[i] = -1;
	nullfd = open("/dev/null", O_RDONLY);
	closedfd = dup(nullfd);
	close(closedfd);
	why[0] = 0;
	/* A known state: reset disables the index */
	if (ioctl(dev, VFIO_DEVICE_RESET)) {
		snprintf(why, len, "reset: errno %d", errno);
		return 0;
	}

	srand(seed);
	for (n = 0; n < FUZZ_OPS; n++) {
		int r = rand() % 16, kind = rand() % 10;

		start = rand() % NVEC;
		count = 1 + rand() % (NVEC - start);
		want = 0;
		if (r < 8 && kind <= 2) {
			/* Eventfds from the pool, -1, or a bad descriptor */
			bad = 0;
			for (i = 0; i < count; i++) {
				k = rand() % 8;
				idx[i] = k < 5 ? k % FUZZ_POOL : -1;
				fds[i] = k < 5 ? pool[idx[i]] : k < 7 ? -1 : rand() % 2 ? nullfd : closedfd;
				if (k == 7 && !bad)
					bad = fds[i] == nullfd ? -EINVAL : -EBADF;
			}
			ret = set_eventfds(dev, start, count, fds);
			if (bad) {
				want = bad;
				m.badfd++;
			} else {
				/*
				 * Swaps keep their slot, detaches free one, attaches
				 * take one; a failed attach detaches the vectors of
				 * the call up to it (vfio-pci's unwinding)
				 */
				used = fuzz_used(&m);
				for (i = 0; i < count && !want; i++) {
					int *a = &m.att[start + i];

					if (idx[i] >= 0 && *a < 0 && ims && used >= avail)
						want = -ENOSPC;
					else if (idx[i] >= 0 && *a < 0)
						used++, m.attaches++;
					else if (idx[i] < 0 && *a >= 0)
						used--;
					else if (idx[i] >= 0)
						m.swaps++;
					if (!want)
						*a = idx[i];
				}
				if (want) {
					m.nospc++;
					while (i--)
						m.att[start + i] = -1;
					if (!m.enabled)
						for (i = 0; i < NVEC; i++)
							m.att[i] = -1;
				} else {
					m.enabled = 1;
				}
			}
		} else if (r < 8 && kind <= 4) {
			/* Loopback: NONE signals every attached vector, BOOL the ones set */
			for (i = 0; i < count; i++)
				bools[i] = kind == 3 || rand() % 2;
			if (kind == 3)
				ret = set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
					       start, count, NULL, 0);
			else
				ret = set_irqs(dev, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
					       start, count, bools, count);
			want = m.enabled ? 0 : -EINVAL;
			m.loops += !want;
			for (i = 0; !want && i < count; i++)
				if (bools[i] && m.att[start + i] >= 0)
					m.want[m.att[start + i]]++;
		} else if (r < 8 && kind == 5) {
			ret = disable_irqs(dev);
			want = m.enabled ? 0 : -EINVAL;
			m.enabled = 0;
			for (i = 0; i < NVEC; i++)
				m.att[i] = -1;
		} else if (r < 8 && kind == 6) {
			k = rand() % 3;
			ret = set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | (k == 0 ? VFIO_IRQ_SET_ACTION_MASK :
				       k == 1 ? VFIO_IRQ_SET_ACTION_UNMASK : 0), start, count, NULL, 0);
			want = -ENOTTY;
		} else if (r < 8 && kind == 7) {
			/* The request index: attach from the pool, detach, loopback */
			k = rand() % 4;
			if (k < 3) {
				i = k < 2 ? pool[k] : -1;
				ret = set_req(dev, i);
				m.req = k < 2 ? k : -1;
			} else {
				ret = set_irqs_at(dev, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
						  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL, 0);
				want = m.req >= 0 ? 0 : -EINVAL;
				if (m.req >= 0)
					m.want[m.req]++;
			}
		} else if (r < 8 && kind == 8) {
			ret = ioctl(dev, VFIO_DEVICE_RESET) ? -errno : 0;
			m.enabled = 0;
			for (i = 0; i < NVEC; i++)
				m.att[i] = -1;
		} else if (r < 10) {
			/* Garbage: never a single data type with TRIGGER alone */
			s->argsz = rand() % 2 ? (unsigned int)(sizeof(*s) + rand() % 40) :
				   (unsigned int)rand();
			s->flags = (1u << (rand() % 6)) | (rand() % 8 ? 0 : rand() | 0x100);
			s->index = rand() % 8 ? VFIO_PCI_MSIX_IRQ_INDEX : rand() % 12;
			s->start = rand() % 8 ? rand() % (NVEC + 1) : rand();
			s->count = rand() % 8 ? rand() % (NVEC + 1) : rand();
			for (i = 0; i < 8; i++)
				((int *)s->data)[i] = rand() % 3 ? pool[0] : rand() % 2 ? -1 : rand() % 40;
			ret = ioctl(dev, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
			/* A lone data type passes validation: no action, ENOTTY */
			want = ret == -ENOTTY ? -ENOTTY : -EINVAL;
		} else {
			/* Region accesses anywhere but the doorbell */
			off = rand() % 3 ? BAR0 : rand() % 2 ? CFG : REGION(rand() % 12);
			off += rand() % 2 ? rand() % 0x2010 : rand() % 0x110;
			i = 1 << (rand() % 5);
			memset(b, rand(), sizeof(b));
			if (r % 2) {
				ret = pread(dev, b, i, off);
			} else {
				if (off >= BAR0 + REG_DOORBELL - 8 && off < BAR0 + REG_DOORBELL + 4)
					off = BAR0 + REG_DROPPED;
				ret = pwrite(dev, b, i, off);
			}
			ret = ret < 0 ? -errno : 0;
			if (ret && ret != -EINVAL) {
				snprintf(why, len, "op %d: region %#llx size %d: errno %d", n,
					 (unsigned long long)off, i, -ret);
				break;
			}
			continue;
		}
		if (ret != want) {
			snprintf(why, len, "op %d (r %d kind %d start %d count %d): %d, model %d", n,
				 r, kind, start, count, ret, want);
			break;
		}
		if (!(n % 50) && fuzz_verify(uuid, pool, &m, why, len))
			break;
	}

	/*
	 * A known end state (the random one is often disabled): as many
	 * vectors attached as there are slots, the last one detached; then,
	 * every vector unmasked, a doorbell reaches the model's eventfd or is
	 * dropped
	 */
	for (i = 0; i < NVEC; i++) {
		fds[i] = i < NVEC - 1 && i < avail ? pool[i % FUZZ_POOL] : -1;
		m.att[i] = fds[i] >= 0 ? i % FUZZ_POOL : -1;
	}
	m.enabled = 1;
	if (!why[0] && ((ret = set_eventfds(dev, 0, NVEC, (int[]){ -1, -1, -1, -1 })) ||
			(ret = set_eventfds(dev, 0, NVEC, fds))))
		snprintf(why, len, "final attach: %d", ret);
	if (!why[0] && !fuzz_verify(uuid, pool, &m, why, len)) {
		v = 0;
		ret = pwrite(dev, &v, 2, CFG + 0x42) == 2 ? 0 : -1;
		for (i = 0; i < NVEC; i++)
			ret |= table_mask(dev, i, 0);
		ret |= rd32(dev, BAR0 + REG_DROPPED, &dropped);
		for (i = 0; !ret && i < NVEC; i++) {
			if (wr32(dev, BAR0 + REG_DOORBELL, i))
				ret = -1;
			else if (m.att[i] >= 0 && (!efd_wait(pool[m.att[i]], 5000) ||
						   efd_take(pool[m.att[i]]) != 1))
				ret = -1;
			else if (m.att[i] < 0)
				dropped++;
			if (ret)
				snprintf(why, len, "doorbell %d: no delivery on eventfd %d", i,
					 m.att[i]);
		}
		msleep(ims ? 800 : 10);
		if (!ret && (rd32(dev, BAR0 + REG_DROPPED, &v) || v != dropped ||
			     fuzz_verify(uuid, pool, &m, why, len)))
			snprintf(why, len, "dropped %u, model %u, or late deliveries", v, dropped);
	}
	tap_diag("%d operations: %d attaches, %d swaps, %d ENOSPC, %d bad fds, %d loopbacks",
		 n, m.attaches, m.swaps, m.nospc, m.badfd, m.loops);
	ioctl(dev, VFIO_DEVICE_RESET);
	close(nullfd);
	for (k = 0; k < FUZZ_POOL; k++)
		close(pool[k]);
	return n;
}

/*
 * A parent whose IMS table has no sync callback (ims-edu table_sync=N), as
 * an MMIO table has none: a mask in the emulated table must still reach the
 * device's entry at once, so that the device holds the event and the PBA
 * shows it, rather than genirq catching the posted interrupt of a lazily
 * disabled irq.
 */
static void nosync(void)
{
	int efd[NVEC], i, ok;
	struct client c;
	uint32_t pba = 0;
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "modprobe ims-edu nr_slots=%d table_sync=0", NR_SLOTS);
	ok = system(cmd) == 0 && system("modprobe ims-edu-mdev") == 0;
	find_edu();
	ok = ok && !mdev_create("vec4", uuids[0]) && !open_type1(uuids[0], &c);
	for (i = 0; i < NVEC; i++)
		efd[i] = eventfd(0, EFD_NONBLOCK);
	ok = ok && !set_eventfds(c.dev, 0, NVEC, efd) && !table_mask(c.dev, 1, 1) &&
	     !wr32(c.dev, BAR0 + REG_DOORBELL, 1);
	msleep(ims ? 1500 : 50);
	ok = ok && !efd_take(efd[1]) && !rd32(c.dev, BAR0 + PBA, &pba) && pba == 2;
	tap_diag("pba %#x", pba);
	tap_ok(ok, ims ? "table without sync: a masked vector's event is held by the device, the PBA shows it" :
		   "table_sync=N parent, emulated vectors: a masked vector's event is pending in the PBA");
	if (ims) {
		/* The device notices the unmask when the slot fires again: one posting */
		ok = !table_mask(c.dev, 1, 0);
		msleep(1000);
		ok = ok && !efd_take(efd[1]) && fire_and_wait(c.dev, 1, efd[1]);
		msleep(800);
		ok = ok && efd_take(efd[1]) == 1;
		tap_ok(ok, "table without sync: after unmask the held event goes out with the next fire, once");
	} else {
		ok = !table_mask(c.dev, 1, 0) && efd_wait(efd[1], 5000);
		msleep(10);
		ok = ok && efd_take(efd[1]) == 1;
		tap_ok(ok, "table_sync=N parent, emulated vectors: unmask delivers the pending event once");
	}
	client_close(&c);
	for (i = 0; i < NVEC; i++)
		close(efd[i]);
	ok = !mdev_remove(uuids[0]) && !system("rmmod ims-edu-mdev") && !system("rmmod ims-edu");
	tap_ok(ok, "table_sync=N parent: instance removed, modules unload");
}

int main(void)
{
	const char *variant = guest_arg("variant");
	struct client a, b;
	int efa[NVEC], efb[NVEC], ok, i, ret, status, n, req;
	char path[256], why[160];
	uint32_t v;
	pid_t pid;

	if (tap_edu_elsewhere(variant, "the VFIO edu checks"))
		return tap_done();
	ims = variant && !strcmp(variant, "vtd");
	tap_plan(CHECKS);

	/* The parent: edu with a small IMS table, then the mdev sample */
	system("rmmod ims-edu-mdev ims-edu 2>/dev/null");
	snprintf(path, sizeof(path), "modprobe ims-edu nr_slots=%d", NR_SLOTS);
	ok = system(path) == 0 && system("modprobe ims-edu-mdev") == 0;
	tap_ok(ok, "ims-edu and ims-edu-mdev load");
	find_edu();
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/mdev_supported_types", edu);
	tap_check(edu[0] && access(path, F_OK) == 0, "parent offers mdev types", "edu %s", edu);
	ret = mdev_create("vec4", uuids[0]);
	tap_check(!ret && !mdev_create("vec4", uuids[1]) && mdev_exists(uuids[0]) &&
		  mdev_exists(uuids[1]), "two instances created", "create %d", ret);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/backend", uuids[0]);
	{
		char be[32] = "";

		read_file(path, be, sizeof(be));
		tap_check(!strcmp(be, ims ? "ims\n" : "emulated\n"),
			  ims ? "backend: host IMS vectors of the parent" :
				"backend: IMS refused, emulated vectors (documented fallback)",
			  "backend %s", be);
	}

	/* Both client paths */
	ret = open_type1(uuids[0], &a);
	tap_check(!ret, "type1: open through container and group", "open %d", ret);
	if (ret)
		a.dev = -1;
	client("type1", uuids[0], &a);
	client_close(&a);
	ret = open_iommufd(uuids[1], &b);
	tap_check(!ret, "iommufd: open through /dev/vfio/devices and /dev/iommu", "open %d", ret);
	client("iommufd", uuids[1], &b);
	client_close(&b);

	/* Isolation: two instances armed, each doorbell reaches only its own */
	ok = !open_type1(uuids[0], &a) && !open_iommufd(uuids[1], &b);
	for (i = 0; i < NVEC; i++) {
		efa[i] = eventfd(0, EFD_NONBLOCK);
		efb[i] = eventfd(0, EFD_NONBLOCK);
	}
	ok = ok && !set_eventfds(a.dev, 0, NVEC, efa);
	{
		int want = ims ? host_irq(uuids[0], 2) : -1, got = bypass_irq(efa[2]);

		tap_check(ok && got == want && (!ims || want > 0),
			  ims ? "irqbypass: a consumer on the eventfd meets the producer with the host irq" :
				"irqbypass: emulated vectors register no producer",
			  "consumer saw irq %d, host irq %d", got, want);
	}
	/* Exhaustion of the parent's table across instances */
	ret = set_eventfds(b.dev, 0, NVEC, efb);
	if (ims) {
		tap_check(ok && ret == -ENOSPC && host_vectors(uuids[1]) == 0,
			  "exhaustion: the parent's table is full across instances, nothing left behind",
			  "second instance %d, host vectors %d", ret, host_vectors(uuids[1]));
		ret = set_eventfds(b.dev, 0, NR_SLOTS - NVEC, efb);
		tap_check(!ret && host_vectors(uuids[1]) == NR_SLOTS - NVEC,
			  "exhaustion: the free slots remain usable", "%d", ret);
	} else {
		tap_check(ok && !ret, "emulated vectors: the second instance attaches every vector",
			  "%d", ret);
		tap_check(host_vectors(uuids[1]) == 0, "emulated vectors have no host irq", "%d",
			  host_vectors(uuids[1]));
	}
	ok = fire_and_wait(a.dev, 0, efa[0]);
	msleep(ims ? 800 : 10);
	ok = ok && efd_take(efa[0]) == 1;
	for (i = 0; i < NVEC; i++)
		ok &= !efd_take(efb[i]) && (i == 0 || !efd_take(efa[i]));
	tap_ok(ok, "isolation: a doorbell of one instance signals only its own vector");
	ok = fire_and_wait(b.dev, 1, efb[1]);
	msleep(ims ? 800 : 10);
	ok = ok && efd_take(efb[1]) == 1;
	for (i = 0; i < NVEC; i++)
		ok &= !efd_take(efa[i]) && (i == 1 || !efd_take(efb[i]));
	tap_ok(ok, "isolation: and the other instance's only its own");
	/* Every value past the instance's vectors, up to the parent's slots and beyond */
	ok = 1;
	for (v = NVEC; v <= NR_SLOTS + NVEC; v++)
		ok &= !wr32(a.dev, BAR0 + REG_DOORBELL, v);
	ok &= !wr32(a.dev, BAR0 + REG_DOORBELL, 0xffffffff);
	msleep(ims ? 800 : 10);
	for (i = 0; i < NVEC; i++)
		ok &= !efd_take(efb[i]) && !efd_take(efa[i]);
	tap_ok(ok, "isolation: no doorbell value past an instance's vectors reaches any vector");

	/*
	 * Bounded fuzz on instance A while B holds all but 3 of the parent's
	 * slots (vectors 0 to 2), so that attaches also run out of slots
	 */
	ret = set_eventfds(a.dev, 0, NVEC, (int[]){ -1, -1, -1, -1 }) |
	      set_eventfds(b.dev, 2, 1, &efb[2]);
	n = fuzz(a.dev, uuids[0], 12, ims ? NR_SLOTS - 3 : NVEC, why, sizeof(why));
	tap_check(!ret && n == FUZZ_OPS && !why[0],
		  "fuzz: seeded SET_IRQS, reset and region operations match the model of the device",
		  "%d operations: %s", n, why);
	client_close(&b);

	/* Removing an instance while its fd is open asks the user, then waits */
	req = eventfd(0, EFD_NONBLOCK);
	ret = set_req(a.dev, req);
	pid = fork();
	if (!pid) {
		/* The child's copies of the descriptors would keep it open */
		client_close(&a);
		_exit(mdev_remove(uuids[0]) ? 1 : 0);
	}
	ok = !ret && efd_wait(req, 5000) && efd_take(req) >= 1;
	tap_ok(ok, "remove with the fd open: the user is asked to release the device (request eventfd)");
	ret = waitpid(pid, &status, WNOHANG);
	tap_check(ret == 0, "remove with the fd open waits for the user", "waitpid %d", ret);
	client_close(&a);
	ret = waitpid(pid, &status, 0);
	tap_check(ret == pid && WIFEXITED(status) && !WEXITSTATUS(status) &&
		  !mdev_exists(uuids[0]), "remove completes once the fd is closed", "status %#x",
		  status);
	for (i = 0; i < NVEC; i++) {
		close(efa[i]);
		close(efb[i]);
	}

	/* Unbinding the parent with an instance open asks its user, then removes all */
	ok = !mdev_create("vec16", uuids[2]) && !open_type1(uuids[2], &a) && !set_req(a.dev, req);
	pid = fork();
	if (!pid) {
		client_close(&a);
		_exit(write_str("/sys/bus/pci/drivers/ims-edu/unbind", edu) ? 1 : 0);
	}
	ok = ok && efd_wait(req, 5000) && efd_take(req) >= 1 && waitpid(pid, &status, WNOHANG) == 0;
	tap_ok(ok, "unbinding the parent with an instance open asks its user and waits");
	client_close(&a);
	ret = waitpid(pid, &status, 0);
	tap_ok(ret == pid && WIFEXITED(status) && !WEXITSTATUS(status) &&
	       !mdev_exists(uuids[1]) && !mdev_exists(uuids[2]),
	       "unbinding the parent removes its instances once closed");
	close(req);
	ok = !write_str("/sys/bus/pci/drivers/ims-edu/bind", edu);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/mdev_supported_types", edu);
	tap_ok(ok && access(path, F_OK) == 0, "rebinding the parent offers the types again");
	ok = system("rmmod ims-edu-mdev") == 0 && system("rmmod ims-edu") == 0;
	tap_ok(ok, "modules unload");

	nosync();
	return tap_done();
}
