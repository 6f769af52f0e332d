// SPDX-License-Identifier: GPL-2.0
/*
 * The IMS table library.
 *
 * A driver describes where and how its device stores interrupt messages
 * (struct ims_table_info); the library supplies the irq chip and the MSI
 * domain template, validates per entry cookies and turns them into the
 * control word, and keeps the ordering rules:
 *
 *  - a new entry is set up masked, with its cookie encoded, before its first
 *    message write;
 *  - a message is only rewritten while the entry is masked, so the device
 *    never sees a torn message;
 *  - mask and unmask are flushed to the device before they return (a read
 *    back for MMIO, a DMA write barrier for memory).
 *
 * Context: mask, unmask and message writes run in atomic context, with the
 * irq descriptor lock held. A table with a sync callback also gets the irq
 * bus lock callbacks, which genirq calls in sleepable context around the
 * operations of a live vector (request and free, disable and enable, ...);
 * the callback runs when the bus lock is released. Such tables disable
 * (mask) immediately rather than lazily, so that disable_irq() is seen by
 * sync.
 *
 * The bus lock callbacks take only the table's sync lock and never run
 * inside the MSI core's allocation and free paths (see ims_msi_init()):
 * sync must not run under the irq domain mutex, which on x86 is the global
 * vector domain mutex, nor be able to block an allocator. Lock order:
 * genirq's per interrupt request mutex (request_irq(), free_irq()), then
 * the table's sync lock, then whatever the driver's sync takes. The MSI
 * descriptor lock and the irq domain mutex are never held together with
 * the sync lock.
 *
 * The control word of every allocated MMIO entry is cached in the
 * descriptor's domain cookie: mask and unmask never read the device, and
 * the cache is what device_ims_restore() rewrites after a reset. Memory
 * slots are read instead. Tables with sync also keep the set of allocated
 * slots, to report each of them after a restore.
 */
#include <linux/bitops.h>
#include <linux/device.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/irq_ims.h>
#include <linux/msi.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>

#include "internals.h"
#include "ims_internal.h"

#define IMS_NAME_MAX	24

struct ims_table {
	/* First member: the callbacks get a pointer to it */
	struct ims_table_info	info;
	/* Serializes the sync callbacks of one table */
	struct mutex		sync_lock;
	/*
	 * Set under sync_lock when the domain was leaked with vectors still
	 * requested: no sync may run after that (see ims_table_release()).
	 */
	bool			orphaned;
	/* Tables with sync: the allocated slots, for device_ims_restore() */
	struct xarray		slots;
#if IS_ENABLED(CONFIG_IRQ_MSI_IMS_KUNIT_TEST)
	ims_write_trace_t	trace;
#endif
};

static inline struct ims_table *ims_domain_table(struct irq_domain *domain)
{
	struct msi_domain_info *info = domain->host_data;

	return info->data;
}

static inline bool ims_has_pasid(const struct ims_slot_format *f)
{
	return f->pasid_field;
}

/* Per entry memory slots whose address is the entry's cookie */
static inline bool ims_per_entry_slots(const struct ims_table_info *info)
{
	return info->storage == IMS_STORAGE_MEMORY && !info->mem && !info->slot_mem;
}

/*
 * The control word of an allocated MMIO entry is cached in its descriptor,
 * so that mask and unmask never read the device. Memory slots are read:
 * that costs nothing, and the driver may update its own bits there.
 */
static inline void ims_cache_ctrl(struct msi_desc *desc, u32 ctrl)
{
	desc->data.dcookie.value = ctrl;
}

/*
 * Slot word accessors: 32-bit MMIO accesses, or single-copy memory
 * accesses, little-endian unless the format says big-endian.
 */
static void *ims_mem_slot(struct ims_table *t, unsigned int slot,
			  const union msi_instance_cookie *c)
{
	if (t->info.mem)
		return t->info.mem + (size_t)slot * t->info.stride;
	if (t->info.slot_mem)
		return t->info.slot_mem(&t->info, slot);
	return c->ptr;
}

static u32 ims_read(struct ims_table *t, unsigned int slot,
		    const union msi_instance_cookie *c, unsigned int off)
{
	void __iomem *reg = t->info.mmio + (size_t)slot * t->info.stride + off;
	void *mem;

	if (t->info.storage == IMS_STORAGE_MMIO)
		return t->info.format.big_endian ? ioread32be(reg) : readl(reg);
	mem = ims_mem_slot(t, slot, c) + off;
	if (t->info.format.big_endian)
		return be32_to_cpu(READ_ONCE(*(__be32 *)mem));
	return le32_to_cpu(READ_ONCE(*(__le32 *)mem));
}

/* The current control word of an allocated entry */
static u32 ims_ctrl(struct ims_table *t, const struct msi_desc *desc)
{
	if (t->info.storage == IMS_STORAGE_MMIO)
		return lower_32_bits(desc->data.dcookie.value);
	return ims_read(t, desc->msi_index, &desc->data.icookie, t->info.format.ctrl);
}

static void ims_write(struct ims_table *t, unsigned int slot,
		      const union msi_instance_cookie *c, unsigned int off, u32 val)
{
#if IS_ENABLED(CONFIG_IRQ_MSI_IMS_KUNIT_TEST)
	if (t->trace)
		t->trace(&t->info, slot, off, val);
#endif
	void __iomem *reg = t->info.mmio + (size_t)slot * t->info.stride + off;
	void *mem;

	if (t->info.storage == IMS_STORAGE_MMIO) {
		if (t->info.format.big_endian)
			iowrite32be(val, reg);
		else
			writel(val, reg);
		return;
	}
	mem = ims_mem_slot(t, slot, c) + off;
	if (t->info.format.big_endian)
		WRITE_ONCE(*(__be32 *)mem, cpu_to_be32(val));
	else
		WRITE_ONCE(*(__le32 *)mem, cpu_to_le32(val));
}

/*
 * Make the preceding writes visible to the device: read back an MMIO word
 * (posted writes), or order memory writes before the ones that follow.
 */
static void ims_flush(struct ims_table *t, unsigned int slot,
		      const union msi_instance_cookie *c)
{
	if (t->info.storage == IMS_STORAGE_MMIO)
		ims_read(t, slot, c, t->info.format.ctrl);
	else
		dma_wmb();
}

static bool ims_ctrl_masked(const struct ims_slot_format *f, u32 ctrl)
{
	return !(ctrl & f->mask) == f->mask_active_low;
}

static u32 ims_ctrl_set_mask(const struct ims_slot_format *f, u32 ctrl, bool masked)
{
	if (masked != f->mask_active_low)
		return ctrl | f->mask;
	return ctrl & ~f->mask;
}

/* The control word with the cookie's PASID (or none) encoded */
static u32 ims_ctrl_set_cookie(const struct ims_slot_format *f, u32 ctrl,
			       const union msi_instance_cookie *c)
{
	ctrl &= ~(f->pasid_enable | f->pasid_field);
	if (ims_has_pasid(f) && (c->value & IMS_COOKIE_PASID_VALID))
		ctrl |= f->pasid_enable |
			(((u32)c->value << __ffs(f->pasid_field)) & f->pasid_field);
	return ctrl;
}

static void ims_set_masked(struct ims_table *t, struct msi_desc *desc, bool masked)
{
	const union msi_instance_cookie *c = &desc->data.icookie;
	const struct ims_slot_format *f = &t->info.format;
	unsigned int slot = desc->msi_index;
	u32 ctrl;

	if (t->info.storage == IMS_STORAGE_CUSTOM) {
		t->info.ops->set_mask(&t->info, slot, c, masked);
		return;
	}
	ctrl = ims_ctrl_set_mask(f, ims_ctrl(t, desc), masked);
	ims_cache_ctrl(desc, ctrl);
	/* Unmask only after the message writes are visible */
	if (!masked && t->info.storage == IMS_STORAGE_MEMORY)
		dma_wmb();
	ims_write(t, slot, c, f->ctrl, ctrl);
	ims_flush(t, slot, c);
}

/*
 * Tables with sync: the device learns an entry's state only from sync, in
 * process context. The flow handler masks an enabled interrupt in hard
 * interrupt context when it arrives while its handler runs, and unmasks it
 * again; neither reaches sync. A sync running meanwhile (for another
 * operation on the vector, or ims_sync_all()) would publish the transient
 * mask, and the device would keep the entry masked after the flow handler
 * unmasked it. So these tables store only the logical state: the flow
 * handler's masks of an enabled interrupt are not written. genirq still
 * tracks them, and an edge interrupt which arrives meanwhile is marked
 * pending and handled again. A disabled interrupt is masked for real
 * (disable_irq() masks at once for these tables).
 */
static bool ims_transient_mask(struct ims_table *t, struct irq_data *d)
{
	return t->info.sync && in_hardirq() && !irqd_irq_disabled(d);
}

static void ims_irq_mask(struct irq_data *d)
{
	struct ims_table *t = irq_data_get_irq_chip_data(d);

	if (!ims_transient_mask(t, d))
		ims_set_masked(t, irq_data_get_msi_desc(d), true);
}

static void ims_irq_unmask(struct irq_data *d)
{
	struct ims_table *t = irq_data_get_irq_chip_data(d);

	if (!ims_transient_mask(t, d))
		ims_set_masked(t, irq_data_get_msi_desc(d), false);
}

static void ims_irq_write_msi_msg(struct irq_data *d, struct msi_msg *msg)
{
	struct ims_table *t = irq_data_get_irq_chip_data(d);
	struct msi_desc *desc = irq_data_get_msi_desc(d);
	const union msi_instance_cookie *c = &desc->data.icookie;
	const struct ims_slot_format *f = &t->info.format;
	unsigned int slot = desc->msi_index;
	bool unmasked;
	u32 ctrl;

	/* Keep get_cached_msi_msg() right, as the PCI/MSI code does */
	desc->msg = *msg;
	if (t->info.storage == IMS_STORAGE_CUSTOM) {
		/*
		 * Custom entries are not cached: genirq's mask state, less
		 * the transient masks a sync table does not store.
		 */
		unmasked = !irqd_irq_masked(d) ||
			   (t->info.sync && !irqd_irq_disabled(d));
		if (unmasked)
			t->info.ops->set_mask(&t->info, slot, c, true);
		t->info.ops->write_msg(&t->info, slot, c, msg);
		if (unmasked)
			t->info.ops->set_mask(&t->info, slot, c, false);
		return;
	}

	/* Never let the device see a half written message: mask around it */
	ctrl = ims_ctrl(t, desc);
	unmasked = !ims_ctrl_masked(f, ctrl);
	if (unmasked) {
		ims_write(t, slot, c, f->ctrl, ims_ctrl_set_mask(f, ctrl, true));
		ims_flush(t, slot, c);
	}
	ims_write(t, slot, c, f->addr_lo, msg->address_lo);
	ims_write(t, slot, c, f->addr_hi, msg->address_hi);
	ims_write(t, slot, c, f->data, msg->data);
	if (unmasked) {
		if (t->info.storage == IMS_STORAGE_MEMORY)
			dma_wmb();
		ims_write(t, slot, c, f->ctrl, ctrl);
	}
	ims_flush(t, slot, c);
}

/*
 * The irq bus lock of tables with a sync callback. genirq serializes the
 * operations on one interrupt itself; the library needs the callbacks only
 * for the sleepable point at which sync reports the slot, so taking the
 * "bus lock" takes nothing.
 */
static void ims_irq_bus_lock(struct irq_data *d)
{
}

static void ims_irq_bus_sync_unlock(struct irq_data *d)
{
	struct ims_table *t = irq_data_get_irq_chip_data(d);
	struct msi_desc *desc = irq_data_get_msi_desc(d);

	/*
	 * Without a descriptor the interrupt is being set up or torn down by
	 * the MSI core; the entry is masked then and the next request_irq()
	 * reports it.
	 */
	if (!desc)
		return;
	might_sleep();
	guard(mutex)(&t->sync_lock);
	if (!t->orphaned)
		t->info.sync(&t->info, desc->msi_index);
}

/*
 * msi_domain_ops::validate_cookie: called before anything is allocated, so
 * a cookie the format cannot encode costs nothing.
 */
static int ims_validate_cookie(struct irq_domain *domain, unsigned int index,
			       const union msi_instance_cookie *c)
{
	struct ims_table *t = ims_domain_table(domain);
	const struct ims_slot_format *f = &t->info.format;
	u32 pasid_max;

	if (t->info.storage == IMS_STORAGE_CUSTOM) {
		if (t->info.ops->check_cookie)
			return t->info.ops->check_cookie(&t->info, index, c);
		return c->value ? -EINVAL : 0;
	}
	/*
	 * A slot address, never a PASID: a PASID cookie's upper half is not
	 * the upper half of any pointer (non-canonical on 64-bit, zero on
	 * 32-bit), so one handed to a queue context table is caught here.
	 */
	if (ims_per_entry_slots(&t->info))
		return c->ptr && IS_ALIGNED((unsigned long)c->ptr, 4) &&
		       upper_32_bits(c->value) != upper_32_bits(IMS_COOKIE_PASID_VALID) ?
		       0 : -EINVAL;
	if (!c->value)
		return 0;
	if (!ims_has_pasid(f) || !(c->value & IMS_COOKIE_PASID_VALID) ||
	    upper_32_bits(c->value) != upper_32_bits(IMS_COOKIE_PASID_VALID))
		return -EINVAL;
	pasid_max = f->pasid_field >> __ffs(f->pasid_field);
	return lower_32_bits(c->value) > pasid_max ? -EINVAL : 0;
}

/*
 * Put the slot of @desc into its idle state: masked, with the PASID of
 * @ctrl_cookie (or none) encoded, and no message. The control word bits the
 * format does not own are kept (for MMIO: as read here, from then on).
 */
static void ims_reset_slot(struct ims_table *t, struct msi_desc *desc,
			   const union msi_instance_cookie *ctrl_cookie)
{
	const union msi_instance_cookie *c = &desc->data.icookie;
	const struct ims_slot_format *f = &t->info.format;
	unsigned int slot = desc->msi_index;
	u32 ctrl = ims_ctrl_set_mask(f, ims_read(t, slot, c, f->ctrl), true);

	ctrl = ims_ctrl_set_cookie(f, ctrl, ctrl_cookie);
	ims_cache_ctrl(desc, ctrl);
	ims_write(t, slot, c, f->ctrl, ctrl);
	ims_flush(t, slot, c);
	ims_write(t, slot, c, f->addr_lo, 0);
	ims_write(t, slot, c, f->addr_hi, 0);
	ims_write(t, slot, c, f->data, 0);
	ims_flush(t, slot, c);
}

/* Set up a new entry masked, with its cookie encoded, and no message */
static int ims_init_slot(struct ims_table *t, struct msi_desc *desc)
{
	const union msi_instance_cookie *c = &desc->data.icookie;
	const struct ims_table_ops *ops = t->info.ops;
	unsigned int slot = desc->msi_index;
	int ret;

	/*
	 * check_cookie() saw MSI_ANY_INDEX when the caller let the core
	 * choose the slot: ask again now that the slot is known. Nothing is
	 * set up for the slot before that.
	 */
	if (t->info.storage == IMS_STORAGE_CUSTOM && ops->check_cookie) {
		ret = ops->check_cookie(&t->info, slot, c);
		if (ret)
			return ret;
	}
	/* The driver's slot for the index the core chose (or was given) */
	if (t->info.slot_mem) {
		void *mem = t->info.slot_mem(&t->info, slot);

		if (!mem || !IS_ALIGNED((unsigned long)mem, 4))
			return -EINVAL;
	}
	/* Not under a lock sync runs under: xa_store() has its own */
	if (t->info.sync) {
		ret = xa_err(xa_store(&t->slots, slot, xa_mk_value(slot), GFP_KERNEL));
		if (ret)
			return ret;
	}
	if (t->info.storage != IMS_STORAGE_CUSTOM) {
		ims_reset_slot(t, desc, c);
		return 0;
	}
	if (ops->init_slot)
		ops->init_slot(&t->info, slot, c);
	else
		ops->set_mask(&t->info, slot, c, true);
	return 0;
}

/*
 * msi_domain_ops::msi_init: runs when the parent has set up the interrupt,
 * before it is activated (the first message write). From here on a failed
 * allocation is unwound through msi_free, so every initialized slot is
 * released again. Past the slot setup this is the core's default init, in
 * the opposite order: the flow handler is installed while the interrupt has
 * no chip yet, because installing it takes the chip's bus lock, and the
 * bus lock of a table with sync must never be taken inside the MSI core's
 * allocation (under the irq domain mutex).
 */
static int ims_msi_init(struct irq_domain *domain, struct msi_domain_info *info,
			unsigned int virq, irq_hw_number_t hwirq, msi_alloc_info_t *arg)
{
	int ret = ims_init_slot(info->data, arg->desc);

	if (ret)
		return ret;
	if (info->handler && info->handler_name) {
		__irq_set_handler(virq, info->handler, 0, info->handler_name);
		if (info->handler_data)
			irq_set_handler_data(virq, info->handler_data);
	}
	/*
	 * Freeing relies on the reverse: irq_domain_remove_irq() clears the
	 * chip before irq_domain_free_irqs_top() resets the handler.
	 */
	irq_domain_set_hwirq_and_chip(domain, virq, hwirq, info->chip, info->chip_data);
	return 0;
}

/* msi_domain_ops::msi_free: leave the slot masked, without PASID and message */
static void ims_msi_free(struct irq_domain *domain, struct msi_domain_info *info,
			 unsigned int virq)
{
	static const union msi_instance_cookie none;
	struct msi_desc *desc = irq_get_msi_desc(virq);
	const union msi_instance_cookie *c = &desc->data.icookie;
	struct ims_table *t = info->data;
	unsigned int slot = desc->msi_index;

	if (t->info.sync)
		xa_erase(&t->slots, slot);
	if (t->info.storage != IMS_STORAGE_CUSTOM)
		ims_reset_slot(t, desc, &none);
	else if (t->info.ops->release_slot)
		t->info.ops->release_slot(&t->info, slot, c);
	else
		t->info.ops->set_mask(&t->info, slot, c, true);
}

static bool ims_word_valid(unsigned int off, unsigned int stride)
{
	return IS_ALIGNED(off, 4) && off + 4 <= stride;
}

static bool ims_format_valid(const struct ims_table_info *info)
{
	const struct ims_slot_format *f = &info->format;
	u32 field = f->pasid_field;
	unsigned int offs[] = { f->addr_lo, f->addr_hi, f->data, f->ctrl };
	int i, j;

	if (info->stride < 16 || !IS_ALIGNED(info->stride, 4))
		return false;
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		if (!ims_word_valid(offs[i], info->stride))
			return false;
		for (j = 0; j < i; j++)
			if (offs[i] == offs[j])
				return false;
	}
	if (hweight32(f->mask) != 1)
		return false;
	/* PASID: an enable bit and a contiguous field, or neither */
	if (!!f->pasid_enable != !!field)
		return false;
	if (field) {
		if (hweight32(f->pasid_enable) != 1 ||
		    !is_power_of_2((field >> __ffs(field)) + 1ULL) ||
		    (f->mask & (f->pasid_enable | field)) || (f->pasid_enable & field))
			return false;
		/* A per entry slot's cookie is its address, there is no room for a PASID */
		if (ims_per_entry_slots(info))
			return false;
	}
	return true;
}

static bool ims_info_valid(const struct ims_table_info *info)
{
	unsigned int size;

	if (info->name && strlen(info->name) > IMS_NAME_MAX)
		return false;
	/* A table is at most 4 GiB, so slot offsets never overflow */
	if (info->nr_slots > MSI_MAX_INDEX + 1 ||
	    check_mul_overflow(info->nr_slots, info->stride, &size))
		return false;

	switch (info->storage) {
	case IMS_STORAGE_MMIO:
		return info->mmio && info->nr_slots && !info->sync && !info->slot_mem &&
		       ims_format_valid(info);
	case IMS_STORAGE_MEMORY:
		if (info->mem && (!info->nr_slots || info->slot_mem))
			return false;
		return ims_format_valid(info);
	case IMS_STORAGE_CUSTOM:
		return info->ops && info->ops->write_msg && info->ops->set_mask &&
		       !info->slot_mem;
	default:
		return false;
	}
}

static void ims_table_free(struct ims_table *t)
{
	xa_destroy(&t->slots);
	mutex_destroy(&t->sync_lock);
	kfree(t);
}

/*
 * The domain is gone: free the table. Or it was leaked with vectors whose
 * owners have not freed them yet (@orphaned): their chip no longer calls
 * the library, but an owner's free_irq() or disable_irq() may have read
 * the old chip just before the swap and be on its way to
 * ims_irq_bus_sync_unlock(). Wait for a sync in progress and let none run
 * afterwards, so that nothing calls into the driver once its domain is
 * gone; the table stays, the leaked vectors still point at it.
 */
static void ims_table_release(void *data, bool orphaned)
{
	struct ims_table *t = data;

	if (orphaned) {
		scoped_guard(mutex, &t->sync_lock)
			t->orphaned = true;
		return;
	}
	ims_table_free(t);
}

/**
 * ims_create_domain - Create a device's IMS domain from a table description
 * @dev:	The device (&pdev->dev for a PCI device)
 * @info:	Description of the device's message storage; copied
 *
 * The library supplies the irq chip: it sets up every new entry masked with
 * its cookie encoded, rewrites messages only while the entry is masked and
 * flushes mask changes to the device. Vectors are then allocated with
 * device_ims_alloc_irq() or pci_ims_alloc_irq_at() and the domain removed
 * with device_remove_ims_domain() (or when the driver is unbound). The
 * storage described by @info, and the memory of per entry slots, must stay
 * valid until the vectors using it are freed: free the vectors (or remove
 * the domain) before unmapping or freeing it.
 *
 * Context: Process context, may sleep.
 * Return: 0 on success; -EINVAL for an invalid description; otherwise the
 * error codes of device_create_ims_domain(), notably -EOPNOTSUPP when the
 * MSI parent does not allow IMS for @dev.
 */
int ims_create_domain(struct device *dev, const struct ims_table_info *info)
{
	struct msi_domain_template tmpl = {
		.chip = {
			.name			= info->name ? : "IMS",
			.irq_mask		= ims_irq_mask,
			.irq_unmask		= ims_irq_unmask,
			.irq_write_msi_msg	= ims_irq_write_msi_msg,
			/*
			 * Stored messages are edge triggered: a threaded
			 * handler needs no masking until it ran, and forced
			 * threading must not take the bus lock per interrupt.
			 */
			.flags			= IRQCHIP_ONESHOT_SAFE,
		},
		.ops = {
			.msi_init		= ims_msi_init,
			.msi_free		= ims_msi_free,
			.validate_cookie	= ims_validate_cookie,
		},
		.info = {
			.flags			= MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS |
						  MSI_FLAG_FREE_MSI_DESCS |
						  MSI_FLAG_USE_DEF_DOM_OPS |
						  MSI_FLAG_USE_DEF_CHIP_OPS |
						  MSI_FLAG_DEV_SYSFS,
			.bus_token		= DOMAIN_BUS_PCI_DEVICE_IMS,
		},
	};
	struct ims_table *t;
	int ret;

	if (!ims_info_valid(info))
		return -EINVAL;

	t = kzalloc_obj(*t);
	if (!t)
		return -ENOMEM;
	t->info = *info;
	mutex_init(&t->sync_lock);
	xa_init(&t->slots);
	if (info->sync) {
		tmpl.chip.irq_bus_lock = ims_irq_bus_lock;
		tmpl.chip.irq_bus_sync_unlock = ims_irq_bus_sync_unlock;
		/* Mask at disable_irq() time, under the bus lock, not lazily */
		tmpl.chip.irq_disable = ims_irq_mask;
	}

	ret = __device_create_ims_domain(dev, &tmpl, info->nr_slots, t, ims_table_release);
	if (ret)
		ims_table_free(t);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ims_create_domain, "IMS");

/* Re-encode the entry of @desc for @cookie; descriptor lock held */
static void ims_recode_entry(struct ims_table *t, struct irq_data *d, struct msi_desc *desc,
			     const union msi_instance_cookie *cookie)
{
	const struct ims_slot_format *f = &t->info.format;
	/* As stored: a sync table does not store the flow handler's masks */
	bool masked = ims_ctrl_masked(f, ims_ctrl(t, desc));
	u32 ctrl;

	/* Masked while the PASID changes, unmasked again as it was */
	ims_set_masked(t, desc, true);
	desc->data.icookie = *cookie;
	ctrl = ims_ctrl_set_cookie(f, ims_ctrl(t, desc), cookie);
	if (t->info.storage == IMS_STORAGE_MMIO)
		ims_cache_ctrl(desc, ctrl);
	ims_write(t, desc->msi_index, cookie, f->ctrl, ctrl);
	ims_flush(t, desc->msi_index, cookie);
	if (!masked)
		ims_set_masked(t, desc, false);
}

/* Report every allocated slot of @t to the device */
static void ims_sync_slots(struct ims_table *t)
{
	unsigned long slot;
	void *entry;

	xa_for_each(&t->slots, slot, entry) {
		guard(mutex)(&t->sync_lock);
		if (!t->orphaned)
			t->info.sync(&t->info, slot);
	}
}

/* The library's table of @dev's IMS domain, or NULL */
static struct ims_table *ims_dev_table(struct device *dev)
{
	struct irq_domain *domain;

	if (!dev->msi.data)
		return NULL;
	guard(msi_descs_lock)(dev);
	domain = msi_get_device_domain(dev, MSI_SECONDARY_DOMAIN);
	if (!domain || ((struct msi_domain_info *)domain->host_data)->ops->msi_init !=
		       ims_msi_init)
		return NULL;
	return ims_domain_table(domain);
}

/**
 * ims_sync_all - Report every allocated entry of a table to the device
 * @dev:	The device
 *
 * For tables with a sync callback: calls it for every allocated slot. A
 * driver calls this after device_ims_restore() rewrote its entries (the
 * PCI core does that in pci_restore_state()), from its own reset_done()
 * or resume() callback, where the device can take the updates again.
 *
 * Context: Process context, may sleep. The caller owns the IMS domain (it
 * is not removed concurrently) and holds no lock that sync takes.
 * Return: 0, or -ENODEV if @dev has no IMS table library domain.
 */
int ims_sync_all(struct device *dev)
{
	struct ims_table *t = ims_dev_table(dev);

	if (!t)
		return -ENODEV;
	if (t->info.sync)
		ims_sync_slots(t);
	return 0;
}

/**
 * ims_set_cookie - Change the cookie of an allocated IMS entry
 * @dev:	The device
 * @index:	The slot of the entry
 * @cookie:	The new cookie, checked like the cookie of an allocation
 *
 * Rebinds an entry to another PASID (or to none) while its interrupt
 * number, its handler and its message stay: the entry is masked, the new
 * cookie encoded and the entry unmasked again unless the interrupt is
 * masked or disabled. A table with sync reports the slot afterwards. The
 * cookie of a per entry memory slot without &ims_table_info.slot_mem is
 * the slot's address and cannot be changed (with slot_mem the entry's PASID
 * can); custom tables have no callback to rebind an entry.
 *
 * Context: Process context, may sleep. The caller owns the IMS domain (it
 * is not removed concurrently) and holds no lock that sync takes.
 * Return: 0 on success; -ENODEV if @dev has no IMS table library domain,
 * -ENOENT if no vector is allocated at @index, -EINVAL for a cookie the
 * table cannot encode, -EOPNOTSUPP for per entry slots addressed by their
 * cookie and for custom tables;
 * nothing is changed on error.
 */
int ims_set_cookie(struct device *dev, unsigned int index,
		   const union msi_instance_cookie *cookie)
{
	struct ims_table *t = NULL;
	struct irq_domain *domain;
	struct irq_desc *irqd;
	struct msi_desc *desc;
	unsigned long flags;
	int ret;

	if (!dev->msi.data)
		return -ENODEV;
	scoped_guard(msi_descs_lock, dev) {
		domain = msi_get_device_domain(dev, MSI_SECONDARY_DOMAIN);
		if (!domain || ((struct msi_domain_info *)domain->host_data)->ops->msi_init !=
			       ims_msi_init)
			return -ENODEV;
		t = ims_domain_table(domain);
		if (ims_per_entry_slots(&t->info) || t->info.storage == IMS_STORAGE_CUSTOM)
			return -EOPNOTSUPP;
		ret = ims_validate_cookie(domain, index, cookie);
		if (ret)
			return ret;
		desc = msi_domain_find_desc_locked(dev, MSI_SECONDARY_DOMAIN, index);
		if (!desc || !desc->irq)
			return -ENOENT;
		irqd = irq_to_desc(desc->irq);
		raw_spin_lock_irqsave(&irqd->lock, flags);
		ims_recode_entry(t, irq_domain_get_irq_data(domain, desc->irq), desc, cookie);
		raw_spin_unlock_irqrestore(&irqd->lock, flags);
	}
	/* Report the slot outside the MSI descriptor lock */
	if (t->info.sync) {
		guard(mutex)(&t->sync_lock);
		if (!t->orphaned)
			t->info.sync(&t->info, index);
	}
	return 0;
}

#if IS_ENABLED(CONFIG_IRQ_MSI_IMS_KUNIT_TEST)
/* Let the KUnit tests record every slot word the library writes */
VISIBLE_IF_KUNIT void ims_set_write_trace(struct device *dev, ims_write_trace_t trace)
{
	struct irq_domain *domain;

	guard(msi_descs_lock)(dev);
	domain = msi_get_device_domain(dev, MSI_SECONDARY_DOMAIN);
	if (domain)
		ims_domain_table(domain)->trace = trace;
}
EXPORT_SYMBOL_IF_KUNIT(ims_set_write_trace);
#endif
