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
 * irq descriptor lock held. A table with a sync callback also gets a
 * sleepable irq bus lock around the operations that take it (request and
 * free, disable and enable, ...); the callback runs when that lock is
 * released. Such tables disable (mask) immediately rather than lazily, so
 * that disable_irq() is seen by sync.
 */
#include <linux/bitops.h>
#include <linux/device.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/irq_ims.h>
#include <linux/msi.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#define IMS_NAME_MAX	24

struct ims_table {
	/* First member: the callbacks get a pointer to it */
	struct ims_table_info	info;
	/* Irq bus lock of tables with a sync callback */
	struct mutex		bus_lock;
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

static inline bool ims_per_entry_slots(const struct ims_table_info *info)
{
	return info->storage == IMS_STORAGE_MEMORY && !info->mem;
}

/*
 * Slot word accessors: 32-bit little-endian MMIO accesses, or single-copy
 * little-endian memory accesses.
 */
static void *ims_mem_slot(struct ims_table *t, unsigned int slot,
			  const union msi_instance_cookie *c)
{
	return t->info.mem ? t->info.mem + (size_t)slot * t->info.stride : c->ptr;
}

static u32 ims_read(struct ims_table *t, unsigned int slot,
		    const union msi_instance_cookie *c, unsigned int off)
{
	if (t->info.storage == IMS_STORAGE_MMIO)
		return readl(t->info.mmio + (size_t)slot * t->info.stride + off);
	return le32_to_cpu(READ_ONCE(*(__le32 *)(ims_mem_slot(t, slot, c) + off)));
}

static void ims_write(struct ims_table *t, unsigned int slot,
		      const union msi_instance_cookie *c, unsigned int off, u32 val)
{
#if IS_ENABLED(CONFIG_IRQ_MSI_IMS_KUNIT_TEST)
	if (t->trace)
		t->trace(&t->info, slot, off, val);
#endif
	if (t->info.storage == IMS_STORAGE_MMIO)
		writel(val, t->info.mmio + (size_t)slot * t->info.stride + off);
	else
		WRITE_ONCE(*(__le32 *)(ims_mem_slot(t, slot, c) + off), cpu_to_le32(val));
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
	ctrl = ims_read(t, slot, c, f->ctrl);
	/* Unmask only after the message writes are visible */
	if (!masked && t->info.storage == IMS_STORAGE_MEMORY)
		dma_wmb();
	ims_write(t, slot, c, f->ctrl, ims_ctrl_set_mask(f, ctrl, masked));
	ims_flush(t, slot, c);
}

static void ims_irq_mask(struct irq_data *d)
{
	ims_set_masked(irq_data_get_irq_chip_data(d), irq_data_get_msi_desc(d), true);
}

static void ims_irq_unmask(struct irq_data *d)
{
	ims_set_masked(irq_data_get_irq_chip_data(d), irq_data_get_msi_desc(d), false);
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
		unmasked = !irqd_irq_masked(d);
		if (unmasked)
			t->info.ops->set_mask(&t->info, slot, c, true);
		t->info.ops->write_msg(&t->info, slot, c, msg);
		if (unmasked)
			t->info.ops->set_mask(&t->info, slot, c, false);
		return;
	}

	/* Never let the device see a half written message: mask around it */
	ctrl = ims_read(t, slot, c, f->ctrl);
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

static void ims_irq_bus_lock(struct irq_data *d)
{
	struct ims_table *t = irq_data_get_irq_chip_data(d);

	mutex_lock(&t->bus_lock);
}

static void ims_irq_bus_sync_unlock(struct irq_data *d)
{
	struct ims_table *t = irq_data_get_irq_chip_data(d);
	struct msi_desc *desc = irq_data_get_msi_desc(d);

	/*
	 * The bus lock is also taken while the interrupt is set up and torn
	 * down, without a descriptor attached; there is nothing to report
	 * then that the following request_irq() or the free does not cover.
	 */
	if (desc)
		t->info.sync(&t->info, desc->msi_index);
	mutex_unlock(&t->bus_lock);
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
	if (ims_per_entry_slots(&t->info))
		return c->ptr && IS_ALIGNED((unsigned long)c->ptr, 4) ? 0 : -EINVAL;
	if (!c->value)
		return 0;
	if (!ims_has_pasid(f) || !(c->value & IMS_COOKIE_PASID_VALID) ||
	    upper_32_bits(c->value) != upper_32_bits(IMS_COOKIE_PASID_VALID))
		return -EINVAL;
	pasid_max = f->pasid_field >> __ffs(f->pasid_field);
	return lower_32_bits(c->value) > pasid_max ? -EINVAL : 0;
}

/*
 * Put a slot into its idle state: masked, with the PASID of @ctrl_cookie
 * (or none) encoded, and no message. @c locates per entry slots.
 */
static void ims_reset_slot(struct ims_table *t, unsigned int slot,
			   const union msi_instance_cookie *c,
			   const union msi_instance_cookie *ctrl_cookie)
{
	const struct ims_slot_format *f = &t->info.format;
	u32 ctrl = ims_ctrl_set_mask(f, ims_read(t, slot, c, f->ctrl), true);

	ims_write(t, slot, c, f->ctrl, ims_ctrl_set_cookie(f, ctrl, ctrl_cookie));
	ims_flush(t, slot, c);
	ims_write(t, slot, c, f->addr_lo, 0);
	ims_write(t, slot, c, f->addr_hi, 0);
	ims_write(t, slot, c, f->data, 0);
	ims_flush(t, slot, c);
}

/* Set up a new entry masked, with its cookie encoded, and no message */
static void ims_init_slot(struct ims_table *t, struct msi_desc *desc)
{
	const union msi_instance_cookie *c = &desc->data.icookie;
	unsigned int slot = desc->msi_index;

	if (t->info.storage != IMS_STORAGE_CUSTOM)
		ims_reset_slot(t, slot, c, c);
	else if (t->info.ops->init_slot)
		t->info.ops->init_slot(&t->info, slot, c);
	else
		t->info.ops->set_mask(&t->info, slot, c, true);
}

/*
 * msi_domain_ops::msi_init: runs when the parent has set up the interrupt,
 * before it is activated (the first message write). From here on a failed
 * allocation is unwound through msi_free, so every initialized slot is
 * released again. Past the slot setup this is the core's default init.
 */
static int ims_msi_init(struct irq_domain *domain, struct msi_domain_info *info,
			unsigned int virq, irq_hw_number_t hwirq, msi_alloc_info_t *arg)
{
	ims_init_slot(info->data, arg->desc);
	irq_domain_set_hwirq_and_chip(domain, virq, hwirq, info->chip, info->chip_data);
	if (info->handler && info->handler_name)
		__irq_set_handler(virq, info->handler, 0, info->handler_name);
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

	if (t->info.storage != IMS_STORAGE_CUSTOM)
		ims_reset_slot(t, slot, c, &none);
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
	if (info->name && strlen(info->name) > IMS_NAME_MAX)
		return false;
	if (info->nr_slots > MSI_MAX_INDEX + 1)
		return false;

	switch (info->storage) {
	case IMS_STORAGE_MMIO:
		return info->mmio && info->nr_slots && !info->sync &&
		       ims_format_valid(info);
	case IMS_STORAGE_MEMORY:
		if (info->mem && !info->nr_slots)
			return false;
		return ims_format_valid(info);
	case IMS_STORAGE_CUSTOM:
		return info->ops && info->ops->write_msg && info->ops->set_mask &&
		       !info->sync;
	default:
		return false;
	}
}

static void ims_table_free(void *data)
{
	struct ims_table *t = data;

	mutex_destroy(&t->bus_lock);
	kfree(t);
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
						  MSI_FLAG_USE_DEF_CHIP_OPS,
			.bus_token		= dev_is_pci(dev) ? DOMAIN_BUS_PCI_DEVICE_IMS :
								    DOMAIN_BUS_DEVICE_IMS,
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
	mutex_init(&t->bus_lock);
	if (info->sync) {
		tmpl.chip.irq_bus_lock = ims_irq_bus_lock;
		tmpl.chip.irq_bus_sync_unlock = ims_irq_bus_sync_unlock;
		/* Mask at disable_irq() time, under the bus lock, not lazily */
		tmpl.chip.irq_disable = ims_irq_mask;
	}

	ret = __device_create_ims_domain(dev, &tmpl, info->nr_slots, t, ims_table_free);
	if (ret)
		ims_table_free(t);
	return ret;
}
EXPORT_SYMBOL_GPL(ims_create_domain);

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
