// SPDX-License-Identifier: GPL-2.0
/*
 * ims-edu: an IMS driver for QEMU's "edu" educational PCI device.
 *
 * The second IMS vendor of the project: a device whose interrupt message
 * store lives in system memory which the device reads, served by the IMS
 * table library's memory storage kind, beside the device's own MSI.
 *
 * The device model
 * ================
 *
 * edu has one MSI vector and a DMA engine (BAR0: 0x80 source, 0x88
 * destination, 0x90 count, 0x98 command; a 4 KiB buffer at DMA address
 * 0x40000; each transfer takes about 100 ms of virtual time). This driver
 * gives it an interrupt message store in DMA coherent memory:
 *
 *   slot N at N * 32 bytes:
 *     +0  message address low     (written by the IMS library)
 *     +4  message address high    (written by the IMS library)
 *     +8  message data            (written by the IMS library)
 *     +12 control: bit 0 mask, bit 3 PASID enable, bits 31:12 PASID
 *                                 (written by the IMS library)
 *     +16 status: bit 0 pending   (owned by the device)
 *
 * Firing slot N is what the device would do when its event N happens:
 *
 *  1. it reads the slot's control word; if the entry is masked it sets the
 *     pending bit and posts nothing;
 *  2. otherwise its DMA engine reads the message data word from the slot
 *     into its buffer, and
 *  3. writes it to the message address: a posted MSI write, which the
 *     interrupt remapping unit turns into the interrupt.
 *
 * (edu's DMA engine cannot take its destination from memory, so the
 * driver reads the address word and programs it: that stands for the
 * device's own logic. The data word really travels through the device.)
 *
 * When an entry is unmasked while its pending bit is set, the device posts
 * the message once and clears the pending bit. The library tells the
 * driver about unmasks through the table's sync callback (called after
 * mask changes done under the irq bus lock), which stands for the doorbell
 * a device of this kind would have. With table_sync=N the table has no
 * sync callback: a device without that doorbell, which only notices an
 * unmask when the slot fires again (one posting then covers the held
 * event and the new one). The VFIO tests use it for a table whose masks
 * only the irq chip's mask callback writes.
 *
 * The PASID field is carried like a DSA device would carry it; edu's DMA
 * has no PASID, so the device ignores it when posting.
 *
 * Without an IMS capable MSI parent (no interrupt remapping, or a virtual
 * IOMMU) the driver uses only edu's own MSI.
 *
 * edu clamps its DMA addresses to 28 bits unless QEMU is given
 * "-device edu,dma_mask=0xffffffffffffffff"; the message store and the MSI
 * address (0xfeexxxxx) need the full mask.
 *
 * Mediated devices: with CONFIG_SAMPLE_IMS_EDU_MDEV the driver creates the
 * auxiliary device "ims_edu.vfio" below each edu device, for the mediated
 * device sample (ims-edu-mdev.c), and exports what that sample needs
 * (ims-edu.h): whether the device has IMS, and the device's firing, pending
 * and reset of a slot whose vector the sample allocated from this device's
 * IMS domain.
 *
 * Test interface (debugfs, /sys/kernel/debug/ims-edu/<pci device>/):
 *   mode     "ims slots=N" or "msi (IMS refused: errno)"
 *   ctl      write a command; errors come back as the write's errno:
 *              alloc <slot|any> [pasid=<hex>] allocate and request a vector
 *              free <slot>                     free its handler and vector
 *              free_all
 *              fire <slot>                     make the device fire the slot
 *              mask <slot> / unmask <slot>     disable_irq() / enable_irq()
 *              raise                           raise edu's own MSI
 *              post <addr> <data>              test hook, see edu_post()
 *   vectors  one line per vector: slot irq hits per-CPU-hits ctrl status
 *            and the stored message
 *   msi      number of edu MSI interrupts raised with "raise"
 */
#include <linux/auxiliary_bus.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/irq.h>
#include <linux/irq_ims.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "ims-edu.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8

#define EDU_REG_ID		0x00
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		BIT(0)
#define EDU_DMA_TO_RAM		BIT(1)
#define EDU_DMA_IRQ		BIT(2)
#define EDU_IRQ_DMA		0x100
#define EDU_IRQ_RAISED		0x1
#define EDU_BUF			0x40000

#define SLOT_SIZE		32
#define SLOT_ADDR_LO		0
#define SLOT_ADDR_HI		4
#define SLOT_DATA		8
#define SLOT_CTRL		12
#define SLOT_STATUS		16
#define SLOT_CTRL_MASK		BIT(0)
#define SLOT_STATUS_PENDING	BIT(0)

static unsigned int nr_slots = 2048;
module_param(nr_slots, uint, 0444);
MODULE_PARM_DESC(nr_slots, "number of slots in the message store (default 2048)");

static bool table_sync = true;
module_param(table_sync, bool, 0444);
MODULE_PARM_DESC(table_sync,
		 "give the table a sync callback, the device's unmask doorbell (default Y); N: a device without one, which posts an event held while masked with the slot's next fire");

struct edu_vec {
	unsigned int	virq;
	bool		masked;
	atomic_t	hits;
	atomic_t	*cpu_hits;
};

struct edu_ims {
	struct pci_dev		*pdev;
	void __iomem		*regs;
	void			*slots;
	dma_addr_t		slots_dma;
	int			ims_err;
	/* Serializes commands and the device's DMA engine */
	struct mutex		lock;
	struct edu_vec		*vec;
	unsigned long		*fire;
	struct work_struct	fire_work;
	struct completion	dma_done;
	atomic_t		msi_count;
	struct dentry		*dbg;
	struct auxiliary_device	*vfio;
};

static struct dentry *edu_dbg_root;

static const struct ims_slot_format edu_slot_format = {
	.addr_lo	= SLOT_ADDR_LO,
	.addr_hi	= SLOT_ADDR_HI,
	.data		= SLOT_DATA,
	.ctrl		= SLOT_CTRL,
	.mask		= SLOT_CTRL_MASK,
	.pasid_enable	= BIT(3),
	.pasid_field	= GENMASK(31, 12),
};

static u32 *slot_word(struct edu_ims *e, unsigned int slot, unsigned int off)
{
	return e->slots + (size_t)slot * SLOT_SIZE + off;
}

/* edu's own MSI: DMA completion and "raise" */
static irqreturn_t edu_msi_handler(int irq, void *data)
{
	struct edu_ims *e = data;
	u32 status = readl(e->regs + EDU_REG_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	writel(status, e->regs + EDU_REG_IRQ_ACK);
	if (status & EDU_IRQ_DMA)
		complete(&e->dma_done);
	if (status & EDU_IRQ_RAISED)
		atomic_inc(&e->msi_count);
	return IRQ_HANDLED;
}

static irqreturn_t edu_ims_handler(int irq, void *data)
{
	struct edu_vec *v = data;

	atomic_inc(&v->hits);
	atomic_inc(&v->cpu_hits[raw_smp_processor_id()]);
	return IRQ_HANDLED;
}

/* One DMA transfer of the device; the caller holds e->lock */
static int edu_dma(struct edu_ims *e, u64 src, u64 dst, u32 count, bool to_ram)
{
	reinit_completion(&e->dma_done);
	writeq(src, e->regs + EDU_REG_DMA_SRC);
	writeq(dst, e->regs + EDU_REG_DMA_DST);
	writeq(count, e->regs + EDU_REG_DMA_COUNT);
	writeq(EDU_DMA_START | EDU_DMA_IRQ | (to_ram ? EDU_DMA_TO_RAM : 0),
	       e->regs + EDU_REG_DMA_CMD);
	if (!wait_for_completion_timeout(&e->dma_done, 5 * HZ)) {
		dev_err(&e->pdev->dev, "DMA did not complete\n");
		return -ETIMEDOUT;
	}
	return 0;
}

/*
 * One DMA transfer without edu's completion interrupt, completion polled:
 * for the post hook, whose caller counts the interrupts the device causes.
 * The caller holds e->lock.
 */
static int edu_dma_polled(struct edu_ims *e, u64 src, u64 dst, u32 count, bool to_ram)
{
	u64 cmd;

	writeq(src, e->regs + EDU_REG_DMA_SRC);
	writeq(dst, e->regs + EDU_REG_DMA_DST);
	writeq(count, e->regs + EDU_REG_DMA_COUNT);
	writeq(EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0), e->regs + EDU_REG_DMA_CMD);
	if (readq_poll_timeout(e->regs + EDU_REG_DMA_CMD, cmd, !(cmd & EDU_DMA_START),
			       1000, 5 * USEC_PER_SEC)) {
		dev_err(&e->pdev->dev, "DMA did not complete\n");
		return -ETIMEDOUT;
	}
	return 0;
}

/* The device fires a slot, following the model's rules; e->lock held */
static void edu_fire_slot(struct edu_ims *e, unsigned int slot)
{
	u32 *status = slot_word(e, slot, SLOT_STATUS);
	u64 addr;

	if (READ_ONCE(*slot_word(e, slot, SLOT_CTRL)) & SLOT_CTRL_MASK) {
		WRITE_ONCE(*status, READ_ONCE(*status) | SLOT_STATUS_PENDING);
		return;
	}
	WRITE_ONCE(*status, READ_ONCE(*status) & ~SLOT_STATUS_PENDING);
	addr = (u64)READ_ONCE(*slot_word(e, slot, SLOT_ADDR_HI)) << 32 |
	       READ_ONCE(*slot_word(e, slot, SLOT_ADDR_LO));
	if (!addr)
		return;
	/* The device reads the message data from its store ... */
	if (edu_dma(e, e->slots_dma + (size_t)slot * SLOT_SIZE + SLOT_DATA, EDU_BUF, 4,
		    false))
		return;
	/* ... and posts it to the message address */
	edu_dma(e, EDU_BUF, addr, 4, true);
}

/*
 * Test hook ("post"): the device DMA-writes @data to @addr, an address in
 * the interrupt range (0xfeexxxxx), as a device posting a message of its
 * own choosing would. The isolation test makes one edu post a message that
 * belongs to the other one, which interrupt remapping must reject (the
 * remapping entry names the other device as its source), and makes the
 * owner post it as the positive control. Like a fired slot's, the data word
 * travels through the device: from a DMA-mapped buffer into edu's buffer,
 * then to @addr. Both transfers are polled, so the only interrupt the device
 * causes is the posted message. Caller holds e->lock.
 */
static int edu_post(struct edu_ims *e, u64 addr, u32 data)
{
	struct device *dev = &e->pdev->dev;
	dma_addr_t dma;
	u32 *word;
	int ret;

	if ((addr & ~0xfffffULL) != 0xfee00000ULL || addr & 3)
		return -EINVAL;
	word = kmalloc_obj(*word);
	if (!word)
		return -ENOMEM;
	*word = data;
	dma = dma_map_single(dev, word, sizeof(*word), DMA_TO_DEVICE);
	if (dma_mapping_error(dev, dma)) {
		kfree(word);
		return -ENOMEM;
	}
	ret = edu_dma_polled(e, dma, EDU_BUF, sizeof(*word), false);
	dma_unmap_single(dev, dma, sizeof(*word), DMA_TO_DEVICE);
	kfree(word);
	if (ret)
		return ret;
	return edu_dma_polled(e, EDU_BUF, addr, sizeof(*word), true);
}

static void edu_fire_work(struct work_struct *work)
{
	struct edu_ims *e = container_of(work, struct edu_ims, fire_work);
	unsigned int slot;

	for (;;) {
		slot = find_first_bit(e->fire, nr_slots);
		if (slot >= nr_slots)
			return;
		mutex_lock(&e->lock);
		if (test_and_clear_bit(slot, e->fire))
			edu_fire_slot(e, slot);
		mutex_unlock(&e->lock);
	}
}

/*
 * IMS table sync callback: runs after mask changes made under the irq bus
 * lock. An entry unmasked with its pending bit set is posted once.
 */
static void edu_ims_sync(const struct ims_table_info *info, unsigned int slot)
{
	struct edu_ims *e = info->priv;
	u32 ctrl = READ_ONCE(*slot_word(e, slot, SLOT_CTRL));

	if (!(ctrl & SLOT_CTRL_MASK) &&
	    (READ_ONCE(*slot_word(e, slot, SLOT_STATUS)) & SLOT_STATUS_PENDING)) {
		set_bit(slot, e->fire);
		schedule_work(&e->fire_work);
	}
}

static int edu_vec_alloc(struct edu_ims *e, unsigned int slot, u64 pasid, bool has_pasid)
{
	union msi_instance_cookie cookie = { };
	struct edu_vec *v;
	struct msi_map map;
	int ret;

	if (e->ims_err)
		return e->ims_err;
	if (slot != MSI_ANY_INDEX && slot >= nr_slots)
		return -ERANGE;
	if (has_pasid) {
		if (pasid > U32_MAX)
			return -EINVAL;
		cookie = ims_pasid_cookie(pasid);
	}
	map = pci_ims_alloc_irq_at(e->pdev, slot, &cookie, NULL);
	if (map.index < 0)
		return map.index;

	v = &e->vec[map.index];
	v->cpu_hits = kcalloc(nr_cpu_ids, sizeof(*v->cpu_hits), GFP_KERNEL);
	if (!v->cpu_hits) {
		ret = -ENOMEM;
		goto free_vec;
	}
	atomic_set(&v->hits, 0);
	WRITE_ONCE(*slot_word(e, map.index, SLOT_STATUS), 0);
	ret = request_irq(map.virq, edu_ims_handler, 0, "ims-edu", v);
	if (ret)
		goto free_hits;
	v->virq = map.virq;
	return map.index;

free_hits:
	kfree(v->cpu_hits);
	v->cpu_hits = NULL;
free_vec:
	pci_ims_free_irq(e->pdev, map);
	return ret;
}

/* An allocated vector at @slot: 0, or why not */
static int edu_vec_check(struct edu_ims *e, unsigned int slot)
{
	if (e->ims_err)
		return e->ims_err;
	if (slot >= nr_slots)
		return -ERANGE;
	return e->vec[slot].virq ? 0 : -ENOENT;
}

static int edu_vec_free(struct edu_ims *e, unsigned int slot)
{
	struct edu_vec *v;
	int ret = edu_vec_check(e, slot);

	if (ret)
		return ret;
	v = &e->vec[slot];
	/* A fire still queued for this slot is dropped, one in flight is done */
	clear_bit(slot, e->fire);
	free_irq(v->virq, v);
	/* By the map: a stale one (not this slot's interrupt) is refused */
	pci_ims_free_irq(e->pdev, (struct msi_map){ .index = slot, .virq = v->virq });
	v->virq = 0;
	kfree(v->cpu_hits);
	v->cpu_hits = NULL;
	v->masked = false;
	return 0;
}

static void edu_vec_free_all(struct edu_ims *e)
{
	unsigned int slot;

	for (slot = 0; slot < nr_slots; slot++)
		if (e->vec[slot].virq)
			edu_vec_free(e, slot);
}

/**
 * ims_edu_ims_status - Whether an edu device has IMS
 * @pdev:	An edu device bound to this driver
 *
 * Return: 0 if its IMS domain exists, else why not (-EOPNOTSUPP: the MSI
 * parent refused IMS).
 */
int ims_edu_ims_status(struct pci_dev *pdev)
{
	struct edu_ims *e = pci_get_drvdata(pdev);

	return e->ims_err;
}
EXPORT_SYMBOL_GPL(ims_edu_ims_status);

/**
 * ims_edu_fire - Make the device fire an IMS slot
 * @pdev:	An edu device bound to this driver, with IMS
 * @slot:	The slot; its vector may belong to another driver (the
 *		mediated device sample allocates from the same domain)
 *
 * The device posts the slot's message with its own DMA a little later,
 * or sets the slot's pending bit while the entry is masked.
 *
 * Return: 0, -ERANGE for a bad slot or the IMS refusal.
 */
int ims_edu_fire(struct pci_dev *pdev, unsigned int slot)
{
	struct edu_ims *e = pci_get_drvdata(pdev);

	if (e->ims_err)
		return e->ims_err;
	if (slot >= nr_slots)
		return -ERANGE;
	set_bit(slot, e->fire);
	schedule_work(&e->fire_work);
	return 0;
}
EXPORT_SYMBOL_GPL(ims_edu_fire);

/**
 * ims_edu_slot_reset - Forget the device state of a slot
 * @pdev:	An edu device bound to this driver, with IMS
 * @slot:	The slot
 *
 * Drops a queued fire, waits for one in flight and clears the pending
 * bit: after this the device does not post the slot until it is fired
 * again. For a slot whose vector changes owner. Sleeps.
 */
void ims_edu_slot_reset(struct pci_dev *pdev, unsigned int slot)
{
	struct edu_ims *e = pci_get_drvdata(pdev);

	if (e->ims_err || slot >= nr_slots)
		return;
	clear_bit(slot, e->fire);
	mutex_lock(&e->lock);
	WRITE_ONCE(*slot_word(e, slot, SLOT_STATUS), 0);
	mutex_unlock(&e->lock);
}
EXPORT_SYMBOL_GPL(ims_edu_slot_reset);

/**
 * ims_edu_slot_pending - Whether a masked slot was fired
 * @pdev:	An edu device bound to this driver, with IMS
 * @slot:	The slot
 *
 * Return: the slot's pending bit.
 */
bool ims_edu_slot_pending(struct pci_dev *pdev, unsigned int slot)
{
	struct edu_ims *e = pci_get_drvdata(pdev);

	if (e->ims_err || slot >= nr_slots)
		return false;
	return READ_ONCE(*slot_word(e, slot, SLOT_STATUS)) & SLOT_STATUS_PENDING;
}
EXPORT_SYMBOL_GPL(ims_edu_slot_pending);

static int edu_cmd(struct edu_ims *e, char *cmd)
{
	char what[16], arg[24];
	unsigned int slot;
	u64 pasid, addr;
	u32 data;
	int ret, n;

	n = sscanf(cmd, "alloc %15s %23s", what, arg);
	if (n >= 1) {
		if (!strcmp(what, "any"))
			slot = MSI_ANY_INDEX;
		else if (kstrtouint(what, 0, &slot))
			return -EINVAL;
		if (n == 2 && (strncmp(arg, "pasid=", 6) || kstrtoull(arg + 6, 16, &pasid)))
			return -EINVAL;
		return edu_vec_alloc(e, slot, n == 2 ? pasid : 0, n == 2);
	}
	if (sscanf(cmd, "free %u", &slot) == 1)
		return edu_vec_free(e, slot);
	if (!strcmp(cmd, "free_all")) {
		edu_vec_free_all(e);
		return 0;
	}
	if (sscanf(cmd, "fire %u", &slot) == 1) {
		ret = edu_vec_check(e, slot);
		if (ret)
			return ret;
		set_bit(slot, e->fire);
		schedule_work(&e->fire_work);
		return 0;
	}
	if (sscanf(cmd, "mask %u", &slot) == 1 || sscanf(cmd, "unmask %u", &slot) == 1) {
		ret = edu_vec_check(e, slot);
		if (ret)
			return ret;
		/* Balanced: an unbalanced enable_irq() would warn */
		if ((cmd[0] == 'm') == e->vec[slot].masked)
			return -EINVAL;
		if (cmd[0] == 'm')
			disable_irq(e->vec[slot].virq);
		else
			enable_irq(e->vec[slot].virq);
		e->vec[slot].masked = cmd[0] == 'm';
		return 0;
	}
	if (sscanf(cmd, "post %llx %x", &addr, &data) == 2)
		return edu_post(e, addr, data);
	if (!strcmp(cmd, "raise")) {
		writel(EDU_IRQ_RAISED, e->regs + EDU_REG_IRQ_RAISE);
		return 0;
	}
	return -EINVAL;
}

static ssize_t edu_ctl_write(struct file *file, const char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	struct edu_ims *e = file->private_data;
	char buf[64];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	strim(buf);
	mutex_lock(&e->lock);
	ret = edu_cmd(e, buf);
	mutex_unlock(&e->lock);
	return ret < 0 ? ret : len;
}

static const struct file_operations edu_ctl_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_ctl_write,
	.llseek	= noop_llseek,
};

static int edu_vectors_show(struct seq_file *m, void *unused)
{
	struct edu_ims *e = m->private;
	unsigned int slot, cpu;

	mutex_lock(&e->lock);
	for (slot = 0; slot < nr_slots && !e->ims_err; slot++) {
		struct edu_vec *v = &e->vec[slot];

		if (!v->virq)
			continue;
		seq_printf(m, "%u %u %d", slot, v->virq, atomic_read(&v->hits));
		for_each_possible_cpu(cpu)
			seq_printf(m, " %d", atomic_read(&v->cpu_hits[cpu]));
		seq_printf(m, " ctrl=%#x status=%#x msg=%#x:%#x:%#x\n",
			   READ_ONCE(*slot_word(e, slot, SLOT_CTRL)),
			   READ_ONCE(*slot_word(e, slot, SLOT_STATUS)),
			   READ_ONCE(*slot_word(e, slot, SLOT_ADDR_HI)),
			   READ_ONCE(*slot_word(e, slot, SLOT_ADDR_LO)),
			   READ_ONCE(*slot_word(e, slot, SLOT_DATA)));
	}
	mutex_unlock(&e->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(edu_vectors);

static int edu_mode_show(struct seq_file *m, void *unused)
{
	struct edu_ims *e = m->private;

	if (e->ims_err)
		seq_printf(m, "msi (IMS refused: %d)\n", e->ims_err);
	else
		seq_printf(m, "ims slots=%u\n", nr_slots);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(edu_mode);

static int edu_msi_show(struct seq_file *m, void *unused)
{
	struct edu_ims *e = m->private;

	seq_printf(m, "%d\n", atomic_read(&e->msi_count));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(edu_msi);

static int edu_setup_ims(struct edu_ims *e)
{
	struct device *dev = &e->pdev->dev;
	struct ims_table_info info = {
		.name		= "IMS-EDU",
		.storage	= IMS_STORAGE_MEMORY,
		.nr_slots	= nr_slots,
		.stride		= SLOT_SIZE,
		.format		= edu_slot_format,
		.sync		= table_sync ? edu_ims_sync : NULL,
		.priv		= e,
	};

	e->slots = dmam_alloc_coherent(dev, (size_t)nr_slots * SLOT_SIZE, &e->slots_dma,
				       GFP_KERNEL);
	e->vec = devm_kcalloc(dev, nr_slots, sizeof(*e->vec), GFP_KERNEL);
	e->fire = devm_bitmap_zalloc(dev, nr_slots, GFP_KERNEL);
	if (!e->slots || !e->vec || !e->fire)
		return -ENOMEM;
	info.mem = e->slots;
	return ims_create_domain(dev, &info);
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct edu_ims *e;
	int ret;

	if (!nr_slots || nr_slots > MSI_MAX_INDEX + 1)
		return -EINVAL;
	e = devm_kzalloc(dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	mutex_init(&e->lock);
	init_completion(&e->dma_done);
	INIT_WORK(&e->fire_work, edu_fire_work);
	pci_set_drvdata(pdev, e);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "ims-edu");
	if (ret)
		return ret;
	e->regs = pcim_iomap_table(pdev)[0];
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (ret < 0)
		return ret;
	ret = devm_request_irq(dev, pci_irq_vector(pdev, 0), edu_msi_handler, 0,
			       "ims-edu-msi", e);
	if (ret)
		goto free_vectors;

	e->ims_err = edu_setup_ims(e);
	if (e->ims_err == -ENOMEM) {
		ret = -ENOMEM;
		goto free_irq;
	}
	if (e->ims_err)
		dev_info(dev, "no IMS (%d), using edu's own MSI only\n", e->ims_err);
	else
		dev_info(dev, "IMS message store: %u slots in device memory\n", nr_slots);

	e->dbg = debugfs_create_dir(pci_name(pdev), edu_dbg_root);
	debugfs_create_file("ctl", 0200, e->dbg, e, &edu_ctl_fops);
	debugfs_create_file("vectors", 0444, e->dbg, e, &edu_vectors_fops);
	debugfs_create_file("mode", 0444, e->dbg, e, &edu_mode_fops);
	debugfs_create_file("msi", 0444, e->dbg, e, &edu_msi_fops);

	/* The edu mediated device sample binds to this auxiliary device */
	if (IS_ENABLED(CONFIG_SAMPLE_IMS_EDU_MDEV)) {
		e->vfio = auxiliary_device_create(dev, KBUILD_MODNAME, "vfio", NULL,
						  pci_dev_id(pdev));
		if (!e->vfio)
			dev_warn(dev, "no auxiliary device for the mediated device sample\n");
	}
	return 0;

free_irq:
	devm_free_irq(dev, pci_irq_vector(pdev, 0), e);
free_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_ims *e = pci_get_drvdata(pdev);

	/* Mediated devices first: they use the IMS domain and the DMA engine */
	if (e->vfio)
		auxiliary_device_destroy(e->vfio);
	/* No new commands, no fires in flight, then release everything */
	debugfs_remove(e->dbg);
	if (!e->ims_err) {
		bitmap_zero(e->fire, nr_slots);
		cancel_work_sync(&e->fire_work);
		mutex_lock(&e->lock);
		edu_vec_free_all(e);
		mutex_unlock(&e->lock);
		pci_remove_ims_domain(pdev);
	}
	devm_free_irq(&pdev->dev, pci_irq_vector(pdev, 0), e);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name		= "ims-edu",
	.id_table	= edu_ids,
	.probe		= edu_probe,
	.remove		= edu_remove,
};

static int __init edu_init(void)
{
	int ret;

	edu_dbg_root = debugfs_create_dir("ims-edu", NULL);
	ret = pci_register_driver(&edu_driver);
	if (ret)
		debugfs_remove(edu_dbg_root);
	return ret;
}
module_init(edu_init);

static void __exit edu_exit(void)
{
	pci_unregister_driver(&edu_driver);
	debugfs_remove(edu_dbg_root);
}
module_exit(edu_exit);

MODULE_DESCRIPTION("IMS sample driver for QEMU's edu device: a message store in device read memory");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("IMS");
