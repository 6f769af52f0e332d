// SPDX-License-Identifier: GPL-2.0
/*
 * ims-bench: IMS against dynamic PCI MSI-X, measured side by side.
 *
 * The module binds (through driver_override only, it has no ID table) to up
 * to two QEMU edu devices and one PCI device with an MSI-X table and no
 * driver of its own (QEMU's nvme with msix_qsize=2048), and sets up three
 * kinds of per device interrupts on the same MSI parent:
 *
 *   ims-mem   the first edu device: an IMS table in system memory which a
 *             device would read (IMS_STORAGE_MEMORY), 32-byte slots, with a
 *             sync callback that rings a doorbell (one posted MMIO write;
 *             edu ignores it and never reads the table)
 *   ims-mmio  the second edu device: an IMS array of 16-byte slots in edu's
 *             BAR0 from offset 4 KiB (IMS_STORAGE_MMIO); edu has no storage
 *             there (writes are dropped, reads return all ones), so what is
 *             measured is the cost of the accesses an MMIO array takes
 *   msix      the MSI-X device: dynamic MSI-X, pci_msix_alloc_irq_at()
 *
 * Commands are written to /sys/kernel/debug/ims-bench/ctl; the result of the
 * last one is read from /sys/kernel/debug/ims-bench/out, one "key=value"
 * record per line:
 *
 *   setup N          N rounds; each round sets up and tears down one vector
 *                    of every kind (allocate, request_irq(), free_irq(),
 *                    free), in a rotating order. Per kind: median and 99th
 *                    percentile of the whole, median of every step.
 *   grow KIND N [fifo]
 *                    allocate and request vectors of KIND until N are held
 *                    or one fails (the vector space is exhausted), then free
 *                    them in reverse order (or in allocation order with
 *                    "fifo"): the cost of the k-th set-up and of the tear-down
 *                    of the k-th vector, and why the growth stopped.
 *   occupancy KIND N STEP R
 *                    allocate and request vectors of KIND until N are held
 *                    or one fails; with every STEP vectors held, set up and
 *                    tear down one more vector R times: the cost at a given
 *                    number of held vectors, measured right away (unlike the
 *                    tear-down of "grow", which runs after the whole burst)
 *   hold KIND N      allocate and request up to N vectors of KIND and keep
 *                    them (for memory accounting from user space)
 *   release          free the held vectors
 *   quiesce          wait for pending RCU callbacks (rcu_barrier()), such as
 *                    the deferred frees of irq descriptors, before user space
 *                    reads memory counters
 *   mask N           N rounds of disable_irq() + enable_irq() on one
 *                    requested vector of every kind (rotating order), with
 *                    lazy disabling off, so that both mask the entry in the
 *                    device: per kind median and 99th percentile.
 *
 * A command's output ends with a "done" line; a command whose output does
 * not fit in the buffer fails with -EFBIG. Times are ktime_get_ns()
 * differences in nanoseconds. See Documentation/core-api/irq/ims-bench.rst.
 */
#include <linux/atomic.h>
#include <linux/cleanup.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/irq_ims.h>
#include <linux/irqdesc.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
/* edu's "card liveness" register: a write has no side effect but a trap */
#define EDU_REG_DOORBELL	0x04

#define MEM_SLOT_SIZE		32
#define MMIO_ARRAY_OFFSET	SZ_4K
#define MMIO_SLOT_SIZE		16

#define BENCH_MAX_ITERS		100000

static unsigned int ims_slots = 8192;
module_param(ims_slots, uint, 0444);
MODULE_PARM_DESC(ims_slots, "slots of each IMS table (default 8192)");

static unsigned int out_size = SZ_4M;
module_param(out_size, uint, 0444);
MODULE_PARM_DESC(out_size, "bytes of the output buffer (default 4 MiB)");

enum bench_kind_id {
	BENCH_IMS_MEM,
	BENCH_IMS_MMIO,
	BENCH_MSIX,
	BENCH_NR_KINDS,
};

static const char * const bench_kind_names[BENCH_NR_KINDS] = {
	[BENCH_IMS_MEM]		= "ims-mem",
	[BENCH_IMS_MMIO]	= "ims-mmio",
	[BENCH_MSIX]		= "msix",
};

/**
 * struct bench_dev - A device the benchmark is bound to
 * @pdev:	The PCI device
 * @kind:	Which kind of interrupts it provides
 * @regs:	BAR0 of an edu device
 * @slots:	The memory table of the ims-mem kind
 * @slots_dma:	Its DMA address
 * @hwsize:	Number of entries of its table
 * @doorbells:	Number of sync callbacks (ims-mem)
 * @held:	Vectors kept by "hold", @nr_held of them
 * @nr_held:	Number of entries of @held in use
 */
struct bench_dev {
	struct pci_dev		*pdev;
	enum bench_kind_id	kind;
	void __iomem		*regs;
	void			*slots;
	dma_addr_t		slots_dma;
	unsigned int		hwsize;
	atomic_t		doorbells;
	struct msi_map		*held;
	unsigned int		nr_held;
};

/* Serializes commands, probe and remove, and the output buffer */
static DEFINE_MUTEX(bench_lock);
static struct bench_dev *bench_devs[BENCH_NR_KINDS];
static char *bench_out;
static size_t bench_out_len;
static bool bench_out_full;
static struct dentry *bench_dbg;

/* Appends to the output; a record that does not fit marks it full */
static __printf(1, 2) void bench_printf(const char *fmt, ...)
{
	size_t room = out_size - bench_out_len;
	va_list args;
	int len;

	if (bench_out_full)
		return;
	va_start(args, fmt);
	len = vsnprintf(bench_out + bench_out_len, room, fmt, args);
	va_end(args);
	if ((size_t)len >= room) {
		bench_out_full = true;
		bench_out[bench_out_len] = 0;
		return;
	}
	bench_out_len += len;
}

static irqreturn_t bench_handler(int irq, void *data)
{
	return IRQ_HANDLED;
}

static struct msi_map bench_alloc(struct bench_dev *bd)
{
	if (bd->kind == BENCH_MSIX)
		return pci_msix_alloc_irq_at(bd->pdev, MSI_ANY_INDEX, NULL);
	return pci_ims_alloc_irq(bd->pdev, NULL, NULL);
}

static void bench_free(struct bench_dev *bd, struct msi_map map)
{
	if (bd->kind == BENCH_MSIX)
		pci_msix_free_irq(bd->pdev, map);
	else
		pci_ims_free_irq(bd->pdev, map);
}

/* Allocate and request one vector; the step times go to @t (may be NULL) */
static int bench_get(struct bench_dev *bd, struct msi_map *map, u64 *t)
{
	u64 t0, t1, t2;
	int ret;

	t0 = ktime_get_ns();
	*map = bench_alloc(bd);
	t1 = ktime_get_ns();
	if (map->index < 0)
		return map->index;
	ret = request_irq(map->virq, bench_handler, 0, "ims-bench", bd);
	t2 = ktime_get_ns();
	if (ret) {
		bench_free(bd, *map);
		return ret;
	}
	if (t) {
		t[0] = t1 - t0;
		t[1] = t2 - t1;
	}
	return 0;
}

/* Free the handler and the vector; the step times go to @t (may be NULL) */
static void bench_put(struct bench_dev *bd, struct msi_map map, u64 *t)
{
	u64 t0, t1, t2;

	t0 = ktime_get_ns();
	free_irq(map.virq, bd);
	t1 = ktime_get_ns();
	bench_free(bd, map);
	t2 = ktime_get_ns();
	if (t) {
		t[0] = t1 - t0;
		t[1] = t2 - t1;
	}
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v; returns the value at per mille @pm (nearest rank) */
static u64 bench_rank(u64 *v, unsigned int n, unsigned int pm)
{
	unsigned int i = DIV_ROUND_UP(n * pm, 1000);

	sort(v, n, sizeof(*v), bench_cmp_u64, NULL);
	return v[clamp(i, 1U, n) - 1];
}

static struct bench_dev *bench_find(const char *name)
{
	int i;

	for (i = 0; i < BENCH_NR_KINDS; i++)
		if (bench_devs[i] && !strcmp(name, bench_kind_names[i]))
			return bench_devs[i];
	return NULL;
}

/* Steps of a set-up and tear-down, in their order */
enum { ST_ALLOC, ST_REQUEST, ST_FREE_IRQ, ST_FREE, ST_TOTAL, ST_NR };
static const char * const bench_step_names[ST_NR] = {
	"alloc", "request_irq", "free_irq", "free", "total",
};

/* Sync callbacks of each kind so far (only ims-mem has one) */
static void bench_doorbells(int *db)
{
	int k;

	for (k = 0; k < BENCH_NR_KINDS; k++)
		db[k] = bench_devs[k] ? atomic_read(&bench_devs[k]->doorbells) : 0;
}

static int bench_setup(unsigned int iters)
{
	u64 *t[BENCH_NR_KINDS][ST_NR] = { };
	int db[BENCH_NR_KINDS], db_end[BENCH_NR_KINDS];
	unsigned int round, i, k, s;
	int ret = 0;

	for (k = 0; k < BENCH_NR_KINDS; k++) {
		if (!bench_devs[k])
			continue;
		for (s = 0; s < ST_NR; s++) {
			t[k][s] = kvcalloc(iters, sizeof(u64), GFP_KERNEL);
			if (!t[k][s]) {
				ret = -ENOMEM;
				goto out;
			}
		}
	}

	bench_doorbells(db);
	for (round = 0; round < iters; round++) {
		/* Rotate the order, so that no kind always runs first */
		for (i = 0; i < BENCH_NR_KINDS; i++) {
			struct bench_dev *bd;
			struct msi_map map;
			u64 st[4];

			k = (round + i) % BENCH_NR_KINDS;
			bd = bench_devs[k];
			if (!bd)
				continue;
			ret = bench_get(bd, &map, st);
			if (ret) {
				bench_printf("error kind=%s step=setup round=%u errno=%d\n",
					     bench_kind_names[k], round, ret);
				goto out;
			}
			bench_put(bd, map, st + 2);
			for (s = 0; s < 4; s++)
				t[k][s][round] = st[s];
			t[k][ST_TOTAL][round] = st[0] + st[1] + st[2] + st[3];
		}
		cond_resched();
	}
	bench_doorbells(db_end);

	for (k = 0; k < BENCH_NR_KINDS; k++) {
		if (!bench_devs[k])
			continue;
		bench_printf("setup kind=%s n=%u", bench_kind_names[k], iters);
		for (s = 0; s < ST_NR; s++)
			bench_printf(" %s_median_ns=%llu", bench_step_names[s],
				     bench_rank(t[k][s], iters, 500));
		bench_printf(" total_p99_ns=%llu doorbells=%d\n",
			     bench_rank(t[k][ST_TOTAL], iters, 990), db_end[k] - db[k]);
	}
out:
	for (k = 0; k < BENCH_NR_KINDS; k++)
		for (s = 0; s < ST_NR; s++)
			kvfree(t[k][s]);
	return ret;
}

static int bench_grow(struct bench_dev *bd, unsigned int max, bool fifo)
{
	const char *name = bench_kind_names[bd->kind];
	struct msi_map *maps;
	unsigned int n, k, i;
	u64 *t, st[2];
	int stop = 0;

	maps = kvcalloc(max, sizeof(*maps), GFP_KERNEL);
	t = kvcalloc(max, 2 * sizeof(*t), GFP_KERNEL);
	if (!maps || !t) {
		kvfree(maps);
		kvfree(t);
		return -ENOMEM;
	}
	for (n = 0; n < max; n++) {
		stop = bench_get(bd, &maps[n], st);
		if (stop)
			break;
		t[2 * n] = st[0] + st[1];
		cond_resched();
	}
	for (i = 0; i < n; i++) {
		k = fifo ? i : n - 1 - i;
		bench_put(bd, maps[k], st);
		t[2 * k + 1] = st[0] + st[1];
		cond_resched();
	}
	bench_printf("grow kind=%s max=%u got=%u stop_errno=%d order=%s\n", name, max, n,
		     stop, fifo ? "fifo" : "lifo");
	for (k = 0; k < n; k++)
		bench_printf("g %s %u %llu %llu\n", name, k + 1, t[2 * k], t[2 * k + 1]);
	kvfree(maps);
	kvfree(t);
	return 0;
}

static int bench_occupancy(struct bench_dev *bd, unsigned int max,
			   unsigned int step, unsigned int reps)
{
	const char *name = bench_kind_names[bd->kind];
	unsigned int n = 0, r;
	struct msi_map *maps, extra;
	u64 *up, *down, st[2];
	int stop = 0;

	maps = kvcalloc(max, sizeof(*maps), GFP_KERNEL);
	up = kvcalloc(reps, sizeof(*up), GFP_KERNEL);
	down = kvcalloc(reps, sizeof(*down), GFP_KERNEL);
	if (!maps || !up || !down) {
		stop = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (n % step == 0) {
			/* The cost of one more vector with n held, right now */
			for (r = 0; r < reps; r++) {
				stop = bench_get(bd, &extra, st);
				if (stop)
					break;
				up[r] = st[0] + st[1];
				bench_put(bd, extra, st);
				down[r] = st[0] + st[1];
			}
			if (stop)
				break;
			bench_printf("o %s %u %llu %llu\n", name, n,
				     bench_rank(up, reps, 500), bench_rank(down, reps, 500));
		}
		if (n == max)
			break;
		stop = bench_get(bd, &maps[n], NULL);
		if (stop)
			break;
		n++;
		cond_resched();
	}
	bench_printf("occupancy kind=%s max=%u step=%u reps=%u held=%u stop_errno=%d\n",
		     name, max, step, reps, n, stop);
	while (n) {
		bench_put(bd, maps[--n], NULL);
		cond_resched();
	}
	stop = 0;
out:
	kvfree(maps);
	kvfree(up);
	kvfree(down);
	return stop;
}

static void bench_release(void)
{
	int k;

	for (k = 0; k < BENCH_NR_KINDS; k++) {
		struct bench_dev *bd = bench_devs[k];

		if (!bd || !bd->held)
			continue;
		while (bd->nr_held)
			bench_put(bd, bd->held[--bd->nr_held], NULL);
		kvfree(bd->held);
		bd->held = NULL;
	}
}

static int bench_hold(struct bench_dev *bd, unsigned int max)
{
	int ret = 0;

	if (bd->held)
		return -EBUSY;
	bd->held = kvcalloc(max, sizeof(*bd->held), GFP_KERNEL);
	if (!bd->held)
		return -ENOMEM;
	while (bd->nr_held < max) {
		ret = bench_get(bd, &bd->held[bd->nr_held], NULL);
		if (ret)
			break;
		bd->nr_held++;
	}
	bench_printf("hold kind=%s max=%u got=%u stop_errno=%d\n",
		     bench_kind_names[bd->kind], max, bd->nr_held, ret);
	return 0;
}

static int bench_mask(unsigned int iters)
{
	int db[BENCH_NR_KINDS], db_end[BENCH_NR_KINDS];
	struct msi_map map[BENCH_NR_KINDS] = { };
	u64 *t[BENCH_NR_KINDS] = { };
	unsigned int round, i, k;
	int ret = 0;
	u64 t0;

	for (k = 0; k < BENCH_NR_KINDS; k++) {
		if (!bench_devs[k])
			continue;
		t[k] = kvcalloc(iters, sizeof(u64), GFP_KERNEL);
		if (!t[k]) {
			ret = -ENOMEM;
			goto out;
		}
		ret = bench_get(bench_devs[k], &map[k], NULL);
		if (ret) {
			map[k].virq = 0;
			goto out;
		}
		/* Both calls must reach the device's mask bit, for every kind */
		irq_set_status_flags(map[k].virq, IRQ_DISABLE_UNLAZY);
	}

	bench_doorbells(db);
	for (round = 0; round < iters; round++) {
		/* Rotate the order, so that no kind always runs first */
		for (i = 0; i < BENCH_NR_KINDS; i++) {
			k = (round + i) % BENCH_NR_KINDS;
			if (!bench_devs[k])
				continue;
			t0 = ktime_get_ns();
			disable_irq(map[k].virq);
			enable_irq(map[k].virq);
			t[k][round] = ktime_get_ns() - t0;
		}
		cond_resched();
	}
	bench_doorbells(db_end);

	for (k = 0; k < BENCH_NR_KINDS; k++)
		if (bench_devs[k])
			bench_printf("mask kind=%s n=%u median_ns=%llu p99_ns=%llu doorbells=%d\n",
				     bench_kind_names[k], iters, bench_rank(t[k], iters, 500),
				     bench_rank(t[k], iters, 990), db_end[k] - db[k]);
out:
	for (k = 0; k < BENCH_NR_KINDS; k++) {
		if (map[k].virq) {
			irq_clear_status_flags(map[k].virq, IRQ_DISABLE_UNLAZY);
			bench_put(bench_devs[k], map[k], NULL);
		}
		kvfree(t[k]);
	}
	return ret;
}

#define BENCH_MAX_WORDS	5

/*
 * A command is words separated by single spaces; every number must be a
 * whole word (kstrtouint()), and a command must have exactly its number of
 * words.
 */
static int bench_cmd(char *cmd)
{
	unsigned int nr = 0, n[3] = { }, i, first, last;
	char *w[BENCH_MAX_WORDS], *p;
	struct bench_dev *bd;

	while ((p = strsep(&cmd, " "))) {
		if (nr == BENCH_MAX_WORDS)
			return -EINVAL;
		w[nr++] = p;
	}

	if (nr == 1 && !strcmp(w[0], "release")) {
		bench_release();
		return 0;
	}
	if (nr == 1 && !strcmp(w[0], "quiesce")) {
		/* Deferred frees (irq descriptors, kernfs and debugfs nodes) */
		rcu_barrier();
		return 0;
	}
	/* The numbers: after the command word or after the kind; grow's order is a word */
	first = !strcmp(w[0], "setup") || !strcmp(w[0], "mask") ? 1 : 2;
	last = !strcmp(w[0], "grow") && nr == 4 ? 3 : nr;
	if (last <= first || last - first > ARRAY_SIZE(n))
		return -EINVAL;
	for (i = first; i < last; i++)
		if (kstrtouint(w[i], 10, &n[i - first]))
			return -EINVAL;
	if (!n[0] || n[0] > BENCH_MAX_ITERS)
		return -EINVAL;
	if (first == 1)
		return nr != 2 ? -EINVAL : w[0][0] == 's' ? bench_setup(n[0]) : bench_mask(n[0]);
	if (!(!strcmp(w[0], "hold") && nr == 3) &&
	    !(!strcmp(w[0], "occupancy") && nr == 5 && n[1] && n[2] && n[2] <= 1000) &&
	    !(!strcmp(w[0], "grow") && nr == 3) &&
	    !(!strcmp(w[0], "grow") && nr == 4 && (!strcmp(w[3], "lifo") || !strcmp(w[3], "fifo"))))
		return -EINVAL;

	bd = bench_find(w[1]);
	if (!bd)
		return -ENODEV;
	if (w[0][0] == 'h')
		return bench_hold(bd, n[0]);
	if (w[0][0] == 'o')
		return bench_occupancy(bd, n[0], n[1], n[2]);
	return bench_grow(bd, n[0], nr == 4 && w[3][0] == 'f');
}

static ssize_t bench_ctl_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[64];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	mutex_lock(&bench_lock);
	bench_out_len = 0;
	bench_out_full = false;
	bench_out[0] = 0;
	ret = bench_cmd(strim(buf));
	if (!ret)
		bench_printf("done\n");
	if (!ret && bench_out_full)
		ret = -EFBIG;
	mutex_unlock(&bench_lock);
	return ret ? ret : len;
}

static const struct file_operations bench_ctl_fops = {
	.owner	= THIS_MODULE,
	.write	= bench_ctl_write,
	.llseek	= noop_llseek,
};

static ssize_t bench_out_read(struct file *file, char __user *ubuf, size_t len,
			      loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&bench_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, bench_out, bench_out_len);
	mutex_unlock(&bench_lock);
	return ret;
}

static const struct file_operations bench_out_fops = {
	.owner	= THIS_MODULE,
	.read	= bench_out_read,
	.llseek	= default_llseek,
};

static int bench_devices_show(struct seq_file *m, void *unused)
{
	int k;

	mutex_lock(&bench_lock);
	for (k = 0; k < BENCH_NR_KINDS; k++)
		if (bench_devs[k])
			seq_printf(m, "kind=%s device=%s entries=%u doorbells=%d table_host_bytes=%zu held=%u\n",
				   bench_kind_names[k], pci_name(bench_devs[k]->pdev),
				   bench_devs[k]->hwsize,
				   atomic_read(&bench_devs[k]->doorbells),
				   bench_devs[k]->slots ?
				   (size_t)bench_devs[k]->hwsize * MEM_SLOT_SIZE : 0,
				   bench_devs[k]->nr_held);
	/* Per-CPU memory of every irq descriptor (kstat_irqs), any kind */
	seq_printf(m, "percpu_bytes_per_irq_desc=%zu\n",
		   sizeof(struct irqstat) * num_possible_cpus());
	mutex_unlock(&bench_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bench_devices);

/* ims-mem: the device is told that a slot changed with a doorbell write */
static void bench_ims_sync(const struct ims_table_info *info, unsigned int slot)
{
	struct bench_dev *bd = info->priv;

	atomic_inc(&bd->doorbells);
	writel(slot, bd->regs + EDU_REG_DOORBELL);
}

static int bench_setup_ims(struct bench_dev *bd)
{
	struct device *dev = &bd->pdev->dev;
	struct ims_table_info info = {
		.name		= bd->kind == BENCH_IMS_MEM ? "BENCH-MEM" : "BENCH-MMIO",
		.nr_slots	= ims_slots,
		.format		= {
			.addr_lo	= 0,
			.addr_hi	= 4,
			.data		= 8,
			.ctrl		= 12,
			.mask		= BIT(0),
		},
		.priv		= bd,
	};
	int ret;

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	if (bd->kind == BENCH_IMS_MEM) {
		bd->slots = dmam_alloc_coherent(dev, (size_t)ims_slots * MEM_SLOT_SIZE,
						&bd->slots_dma, GFP_KERNEL);
		if (!bd->slots)
			return -ENOMEM;
		info.storage = IMS_STORAGE_MEMORY;
		info.stride = MEM_SLOT_SIZE;
		info.mem = bd->slots;
		info.sync = bench_ims_sync;
	} else {
		if (pci_resource_len(bd->pdev, 0) <
		    MMIO_ARRAY_OFFSET + (u64)ims_slots * MMIO_SLOT_SIZE)
			return -ENOSPC;
		info.storage = IMS_STORAGE_MMIO;
		info.stride = MMIO_SLOT_SIZE;
		info.mmio = bd->regs + MMIO_ARRAY_OFFSET;
	}
	bd->hwsize = ims_slots;
	return ims_create_domain(dev, &info);
}

static int bench_setup_msix(struct bench_dev *bd)
{
	int ret;

	/* Dynamic allocation needs MSI-X enabled, with at least one vector */
	ret = pci_alloc_irq_vectors(bd->pdev, 1, 1, PCI_IRQ_MSIX);
	if (ret < 0)
		return ret;
	if (!pci_msix_can_alloc_dyn(bd->pdev)) {
		pci_free_irq_vectors(bd->pdev);
		return -EOPNOTSUPP;
	}
	bd->hwsize = pci_msix_vec_count(bd->pdev);
	return 0;
}

static int bench_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	bool edu = pdev->vendor == EDU_VENDOR && pdev->device == EDU_DEVICE;
	struct bench_dev *bd;
	enum bench_kind_id kind;
	int ret;

	guard(mutex)(&bench_lock);
	if (edu)
		kind = bench_devs[BENCH_IMS_MEM] ? BENCH_IMS_MMIO : BENCH_IMS_MEM;
	else if (pdev->msix_cap)
		kind = BENCH_MSIX;
	else
		return -ENODEV;
	if (bench_devs[kind])
		return -EBUSY;

	bd = devm_kzalloc(&pdev->dev, sizeof(*bd), GFP_KERNEL);
	if (!bd)
		return -ENOMEM;
	bd->pdev = pdev;
	bd->kind = kind;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	if (edu) {
		bd->regs = pcim_iomap_region(pdev, 0, "ims-bench");
		if (IS_ERR(bd->regs))
			return PTR_ERR(bd->regs);
		ret = bench_setup_ims(bd);
	} else {
		ret = bench_setup_msix(bd);
	}
	if (ret) {
		dev_err(&pdev->dev, "%s: setup failed (%d)\n", bench_kind_names[kind], ret);
		return ret;
	}
	pci_set_drvdata(pdev, bd);
	bench_devs[kind] = bd;
	dev_info(&pdev->dev, "%s: %u entries\n", bench_kind_names[kind], bd->hwsize);
	return 0;
}

static void bench_remove(struct pci_dev *pdev)
{
	struct bench_dev *bd = pci_get_drvdata(pdev);

	guard(mutex)(&bench_lock);
	if (bd->held) {
		while (bd->nr_held)
			bench_put(bd, bd->held[--bd->nr_held], NULL);
		kvfree(bd->held);
		bd->held = NULL;
	}
	if (bd->kind == BENCH_MSIX)
		pci_free_irq_vectors(pdev);
	else
		pci_remove_ims_domain(pdev);
	bench_devs[bd->kind] = NULL;
}

/* No ID table: the benchmark only takes devices given to it with driver_override */
static struct pci_driver bench_driver = {
	.name		= "ims-bench",
	.probe		= bench_probe,
	.remove		= bench_remove,
};

static int __init bench_init(void)
{
	int ret;

	if (!ims_slots || ims_slots > MSI_MAX_INDEX + 1 || out_size < 64)
		return -EINVAL;
	bench_out = kvzalloc(out_size, GFP_KERNEL);
	if (!bench_out)
		return -ENOMEM;
	bench_dbg = debugfs_create_dir("ims-bench", NULL);
	debugfs_create_file("ctl", 0200, bench_dbg, NULL, &bench_ctl_fops);
	debugfs_create_file("out", 0400, bench_dbg, NULL, &bench_out_fops);
	debugfs_create_file("devices", 0444, bench_dbg, NULL, &bench_devices_fops);
	ret = pci_register_driver(&bench_driver);
	if (ret) {
		debugfs_remove(bench_dbg);
		kvfree(bench_out);
	}
	return ret;
}
module_init(bench_init);

static void __exit bench_exit(void)
{
	debugfs_remove(bench_dbg);
	pci_unregister_driver(&bench_driver);
	kvfree(bench_out);
}
module_exit(bench_exit);

MODULE_DESCRIPTION("IMS against dynamic PCI MSI-X: set-up, growth, scale and mask costs");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("IMS");
