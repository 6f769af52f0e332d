// SPDX-License-Identifier: GPL-2.0
/*
 * Bus neutral device interface of IMS (Interrupt Message Store) domains.
 *
 * An IMS domain is the second per device MSI domain (MSI_SECONDARY_DOMAIN)
 * of a device, beside its PCI/MSI(-X) domain. It exists only below an MSI
 * parent which accepts IMS (MSI_FLAG_PCI_IMS) and does not refuse the device.
 * The domain is device managed: it goes away at the latest when the driver
 * is unbound, together with every vector still allocated in it.
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/irq_ims.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/mutex.h>
#include <linux/pci.h>

#include "internals.h"
#include "ims_internal.h"

#define IMS_DOMID	MSI_SECONDARY_DOMAIN

/*
 * Device resource which owns an IMS domain: released by
 * device_remove_ims_domain() or when the driver is unbound.
 */
struct ims_devres {
	void		(*release)(void *data, bool orphaned);
	void		*data;
	struct dentry	*debugfs;
};

static struct dentry *ims_debugfs_root;

/*
 * Serializes creation and removal of IMS domains, so that of two concurrent
 * creators on one device the second sees the first one's domain (-EBUSY)
 * instead of racing it into the MSI core. Creation is rare and may sleep.
 */
static DEFINE_MUTEX(ims_domain_lock);

/* The buses' IMS policies, registered at boot */
static LIST_HEAD(ims_bus_policies);
static DEFINE_MUTEX(ims_bus_policy_lock);

/**
 * ims_register_bus_policy - Let a bus refuse IMS for some of its devices
 * @policy:	The bus and its check; must stay valid (static)
 *
 * The bus-neutral IMS layer asks a device's bus before its MSI parent,
 * without calling into the bus: PCI registers here that it refuses IMS
 * wherever it refuses MSI. Buses register once, at boot.
 */
void ims_register_bus_policy(struct ims_bus_policy *policy)
{
	guard(mutex)(&ims_bus_policy_lock);
	list_add_tail(&policy->node, &ims_bus_policies);
}

/* Whether the device's bus refuses IMS for it */
static bool ims_bus_refuses(struct device *dev)
{
	struct ims_bus_policy *policy;

	guard(mutex)(&ims_bus_policy_lock);
	list_for_each_entry(policy, &ims_bus_policies, node) {
		if (dev->bus == policy->bus)
			return policy->supported(dev) != 0;
	}
	/*
	 * Fail closed: a bus without a policy has no IMS. Only PCI has one:
	 * the remapping units check a message's source by its requester ID.
	 */
	return true;
}

/**
 * device_ims_supported - Check whether a device may have an IMS domain
 * @dev:	The device
 *
 * Asks the device's bus (the policy registered with
 * ims_register_bus_policy(): on PCI, whether MSI is allowed for the device
 * at all; a bus without a policy has no IMS) and then its MSI parent
 * domain. A refusal is logged with its reason, once per call.
 *
 * Return: 0 if an IMS domain can be created for @dev, -EOPNOTSUPP if the
 * bus does not allow IMS for @dev, or the MSI parent does not support IMS
 * or refuses it for @dev (e.g. no interrupt remapping, or remapping by a
 * virtual IOMMU).
 */
int device_ims_supported(struct device *dev)
{
	struct irq_domain *parent = dev_get_msi_domain(dev);
	const struct msi_parent_ops *pops;
	const char *why;

	if (ims_bus_refuses(dev)) {
		dev_info(dev, "IMS refused: the %s bus does not allow IMS for this device\n",
			 dev->bus ? dev->bus->name : "(no)");
		return -EOPNOTSUPP;
	}
	if (!parent || !irq_domain_is_msi_parent(parent)) {
		dev_info(dev, "IMS refused: no MSI parent domain\n");
		return -EOPNOTSUPP;
	}
	pops = parent->msi_parent_ops;
	if (!(pops->supported_flags & MSI_FLAG_PCI_IMS)) {
		dev_info(dev, "IMS refused by %s: parent cannot isolate device stored messages (no interrupt remapping)\n",
			 parent->name);
		return -EOPNOTSUPP;
	}
	why = pops->ims_refusal ? pops->ims_refusal(parent, dev) : NULL;
	if (why) {
		dev_info(dev, "IMS refused by %s: %s\n", parent->name, why);
		return -EOPNOTSUPP;
	}
	return 0;
}

static bool ims_template_valid(struct device *dev, const struct msi_domain_template *t,
			       bool hooked)
{
	const enum irq_domain_bus_token token = DOMAIN_BUS_PCI_DEVICE_IMS;
	/*
	 * The default domain ops supply msi_teardown, which removing the
	 * domain calls unconditionally.
	 */
	const u32 need = MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS | MSI_FLAG_FREE_MSI_DESCS |
			 MSI_FLAG_USE_DEF_DOM_OPS;

	/*
	 * The core manages the descriptors; the chip must mask and write
	 * entries, and affinity is the parent's business: under remapping a
	 * new affinity updates the remapping entry, not the stored message.
	 */
	if (t->info.bus_token != token || (t->info.flags & need) != need ||
	    !t->chip.irq_mask || !t->chip.irq_unmask || !t->chip.irq_write_msi_msg ||
	    t->chip.irq_set_affinity)
		return false;
	/*
	 * Bus lock callbacks may call into the driver. When the domain is
	 * leaked with live vectors, an owner's free_irq() that read the chip
	 * before it became the orphan chip still runs them: only a domain
	 * builder with a release hook (the table library) can fence that.
	 */
	return hooked || (!t->chip.irq_bus_lock && !t->chip.irq_bus_sync_unlock);
}

/* The hardware interrupt number of an IMS vector is its slot */
static void ims_set_desc(msi_alloc_info_t *arg, struct msi_desc *desc)
{
	arg->desc = desc;
	arg->hwirq = desc->msi_index;
}

/*
 * The irq chip of a vector whose handler its owner had not freed when the
 * domain went away (a bug of the owner). The vector is leaked, with its
 * domain, until the owner's free_irq(), and nothing may touch the device or
 * call into its driver meanwhile: the table's memory may be freed, its BAR
 * unmapped, its driver unloaded. Mask, unmask and message writes do
 * nothing; acknowledge, retrigger and affinity go to the parent, which
 * outlives the device (under remapping, affinity changes never write the
 * stored message). IMS vectors use handle_edge_irq() (x86 sets it for
 * every MSI domain), so the chip needs no irq_eoi().
 */
static void ims_orphan_noop(struct irq_data *d) { }

static void ims_orphan_write_msg(struct irq_data *d, struct msi_msg *msg) { }

static void ims_orphan_ack(struct irq_data *d)
{
	struct irq_data *parent = d->parent_data;

	if (parent && parent->chip->irq_ack)
		parent->chip->irq_ack(parent);
}

static struct irq_chip ims_orphan_chip = {
	.name			= "IMS-orphan",
	/*
	 * genirq reads the bus lock callbacks without a lock: an owner in
	 * disable_irq() or free_irq() while the chip is swapped must find
	 * them.
	 */
	.irq_bus_lock		= ims_orphan_noop,
	.irq_bus_sync_unlock	= ims_orphan_noop,
	.irq_mask		= ims_orphan_noop,
	.irq_unmask		= ims_orphan_noop,
	.irq_ack		= ims_orphan_ack,
	.irq_retrigger		= irq_chip_retrigger_hierarchy,
	.irq_set_affinity	= msi_domain_set_affinity,
	.irq_write_msi_msg	= ims_orphan_write_msg,
	.flags			= IRQCHIP_ONESHOT_SAFE | IRQCHIP_SKIP_SET_WAKE,
};

/*
 * Whether an owner still holds the vector @virq: a handler is requested,
 * or a request_irq() or free_irq() is in progress. free_irq() unlinks the
 * handler first and goes on calling the chip (the table's sync included)
 * until it drops the request mutex. It unlinks under the descriptor lock,
 * so once the handler is seen gone here, under that lock, its request
 * mutex is seen held if that free_irq() has not finished.
 */
static bool ims_vector_busy(unsigned int virq)
{
	struct irq_desc *desc = irq_to_desc(virq);

	if (!desc)
		return false;
	guard(raw_spinlock_irqsave)(&desc->lock);
	return desc->action || mutex_is_locked(&desc->request_mutex);
}

/*
 * Free every vector of the IMS domain that no owner holds
 * (ims_vector_busy()). Returns the number of vectors left allocated
 * because an owner still holds them. Freeing a vector under a handler would free the interrupt
 * descriptor its owner still uses; freeing the handler for the owner would
 * race with the owner's own free_irq(). Both are left to the owner.
 */
static unsigned int ims_free_idle_locked(struct device *dev)
{
	unsigned int index, end = 0, busy = 0;
	struct msi_desc *desc;

	msi_domain_for_each_desc(desc, dev, IMS_DOMID, MSI_DESC_ASSOCIATED) {
		busy += ims_vector_busy(desc->irq);
		end = desc->msi_index + 1;
	}
	if (!busy) {
		msi_domain_free_irqs_all_locked(dev, IMS_DOMID);
		return 0;
	}
	/* Up to the last vector, not the table's (or 65536 software) slots */
	for (index = 0; index < end; index++) {
		desc = msi_domain_find_desc_locked(dev, IMS_DOMID, index);
		if (desc && desc->irq && !ims_vector_busy(desc->irq))
			msi_domain_free_irqs_range_locked(dev, IMS_DOMID, index, index);
	}
	return busy;
}

/* Free every vector of the IMS domain, if there is one, that has no handler */
static void ims_free_all(struct device *dev)
{
	unsigned int busy;

	guard(msi_descs_lock)(dev);
	if (!msi_get_device_domain(dev, IMS_DOMID))
		return;
	busy = ims_free_idle_locked(dev);
	if (busy)
		dev_WARN(dev, "IMS: %u vectors still have a handler, not freed\n", busy);
}

/* Whether @action's code (handler or thread function) is in @mod */
static bool ims_action_in_module(const struct irqaction *action, struct module *mod)
{
	guard(rcu)();
	return __module_address((unsigned long)action->handler) == mod ||
	       (action->thread_fn && __module_address((unsigned long)action->thread_fn) == mod);
}

/* A handler, as free_irq() finds it: by dev_id; and what it runs */
struct ims_handler_id {
	void			*dev_id;
	irq_handler_t		handler;
	irq_handler_t		thread_fn;
};

/*
 * Whether @virq has the handler @id names and free_irq(@virq,
 * @id->dev_id) would free that one, i.e. it is the first handler with
 * that dev_id. Called under the descriptor lock, so that @virq is still
 * the vector's interrupt; no action pointer is kept across a free_irq(),
 * whose memory a new handler may get.
 */
static bool ims_handler_first(struct irq_desc *irqd, const struct ims_handler_id *id)
{
	struct irqaction *a;

	lockdep_assert_held(&irqd->lock);
	for (a = irqd->action; a; a = a->next) {
		if (a->dev_id == id->dev_id)
			return a->handler == id->handler && a->thread_fn == id->thread_fn;
	}
	return false;
}

/*
 * The first handler of @virq (shared ones included) whose code is in
 * @mod and which free_irq() with its dev_id would free; false if there is
 * none. A handler behind another one with the same dev_id cannot be freed
 * by its dev_id and is left to the leak.
 */
static bool ims_module_handler(unsigned int virq, struct module *mod,
			       struct ims_handler_id *id)
{
	struct irq_desc *irqd = irq_to_desc(virq);
	struct irqaction *action;

	if (!irqd)
		return false;
	guard(raw_spinlock_irqsave)(&irqd->lock);
	for (action = irqd->action; action; action = action->next) {
		if (!ims_action_in_module(action, mod))
			continue;
		*id = (struct ims_handler_id){
			.dev_id = action->dev_id, .handler = action->handler,
			.thread_fn = action->thread_fn,
		};
		if (ims_handler_first(irqd, id))
			return true;
	}
	return false;
}

/* Whether the vector at @index is still @virq and has the handler @id */
static bool ims_handler_present(struct device *dev, unsigned int index, unsigned int virq,
				const struct ims_handler_id *id)
{
	struct msi_desc *desc = msi_domain_find_desc_locked(dev, IMS_DOMID, index);
	struct irq_desc *irqd = irq_to_desc(virq);

	if (!desc || desc->irq != virq || !irqd)
		return false;
	guard(raw_spinlock_irqsave)(&irqd->lock);
	return ims_handler_first(irqd, id);
}

/*
 * The first vector at slot @from or beyond with a handler of @mod that
 * free_irq() can name (in @id); its slot in @index. 0 if there is none.
 */
static unsigned int ims_next_module_handler(struct device *dev, struct module *mod,
					    unsigned int from, unsigned int *index,
					    struct ims_handler_id *id)
{
	struct msi_desc *desc;

	guard(msi_descs_lock)(dev);
	if (!msi_get_device_domain(dev, IMS_DOMID))
		return 0;
	msi_domain_for_each_desc(desc, dev, IMS_DOMID, MSI_DESC_ASSOCIATED) {
		if (desc->msi_index >= from && ims_module_handler(desc->irq, mod, id)) {
			*index = desc->msi_index;
			return desc->irq;
		}
	}
	return 0;
}

/*
 * At unbind, a handler in the module of the driver being unbound, which
 * its remove() did not free, has no owner left to free it, and once the
 * module is gone the next interrupt or a read of /proc/interrupts would
 * run or read unloaded code: it cannot be left behind with a leaked
 * domain. Free such handlers first, every one of every vector, with one
 * warning, outside the descriptor lock (free_irq() may call sync). The
 * driver is in its own unbind, so nothing frees them concurrently.
 * Handlers of other modules and of built-in code belong to owners which
 * free them later (a module being unloaded frees its own in its exit);
 * those are left to ims_remove_domain(). This is best effort: the core
 * cannot tell which driver a handler in built-in code belongs to.
 */
static void ims_free_unbound_handlers(struct device *dev)
{
	struct module *drv_mod = dev->driver ? dev->driver->owner : NULL;
	unsigned int from = 0, freed = 0, index = 0, virq;
	struct ims_handler_id id;

	if (!drv_mod)
		return;
	while ((virq = ims_next_module_handler(dev, drv_mod, from, &index, &id))) {
		if (free_irq(virq, id.dev_id))
			freed++;
		/* The next round looks at this vector again, unless that failed */
		scoped_guard(msi_descs_lock, dev)
			from = ims_handler_present(dev, index, virq, &id) ? index + 1 : index;
	}
	if (freed)
		dev_WARN(dev, "IMS: freed %u handlers which the unbound driver left requested\n",
			 freed);
}

/*
 * Free every vector and remove the domain, in one step under the
 * descriptor lock, so that no allocation comes between. If vectors still
 * have handlers, the domain and those vectors are leaked instead (see
 * ims_orphan_chip). Returns whether the domain was removed.
 */
static bool ims_remove_domain(struct device *dev)
{
	struct msi_desc *desc;
	unsigned int busy;

	guard(msi_descs_lock)(dev);
	if (!msi_get_device_domain(dev, IMS_DOMID))
		return true;
	busy = ims_free_idle_locked(dev);
	if (!busy) {
		msi_remove_device_irq_domain_locked(dev, IMS_DOMID);
		return true;
	}
	msi_domain_for_each_desc(desc, dev, IMS_DOMID, MSI_DESC_ASSOCIATED)
		irq_set_chip(desc->irq, &ims_orphan_chip);
	/*
	 * An owner may have freed its handler since the count. Once the
	 * domain is leaked nobody would free such a vector: free it now and
	 * remove the domain if none is left. Its chip no longer touches the
	 * device, but the domain's free callbacks (the library's slot release)
	 * still run: this is still the removal of the domain, before the
	 * driver's state goes. A handler freed after this point leaves its
	 * vector leaked.
	 */
	busy = ims_free_idle_locked(dev);
	if (!busy) {
		msi_remove_device_irq_domain_locked(dev, IMS_DOMID);
		return true;
	}
	dev_WARN(dev, "IMS: %u vectors still have a handler at domain removal, leaking them and the domain\n",
		 busy);
	msi_orphan_device_irq_domain_locked(dev, IMS_DOMID);
	return false;
}

struct ims_vector_devres {
	struct msi_map	map;
};

static void ims_vector_devres_release(struct device *dev, void *res)
{
	struct ims_vector_devres *vr = res;

	device_ims_free_irq(dev, vr->map);
}

/* Remove the domain of @dr; @unbind: the driver of @dev is being unbound */
static void ims_teardown(struct device *dev, struct ims_devres *dr, bool unbind)
{
	bool removed;

	/*
	 * Not under the global lock: free_irq() calls the table's sync. The
	 * devres entry is detached already, and the driver is in its own
	 * unbind: nothing else removes the domain meanwhile.
	 */
	if (unbind)
		ims_free_unbound_handlers(dev);
	scoped_guard(mutex, &ims_domain_lock) {
		/* The debugfs reader takes the descriptor lock: remove it first */
		debugfs_remove(dr->debugfs);
		removed = ims_remove_domain(dev);
		/* Device managed vectors went with the domain: forget them */
		while (!devres_destroy(dev, ims_vector_devres_release, NULL, NULL))
			;
	}
	/*
	 * Outside the global lock: the hook may wait for a sync in flight.
	 * A leaked domain still refers to the state: the hook only learns
	 * that nothing may call into the driver any more.
	 */
	if (dr->release)
		dr->release(dr->data, !removed);
}

/* Driver unbind */
static void ims_devres_release(struct device *dev, void *res)
{
	ims_teardown(dev, res, true);
}

static int ims_slots_show(struct seq_file *m, void *unused)
{
	struct device *dev = m->private;
	struct irq_domain *domain;
	struct msi_desc *desc;

	struct msi_domain_info *info;

	guard(msi_descs_lock)(dev);
	domain = msi_get_device_domain(dev, IMS_DOMID);
	if (!domain)
		return 0;

	info = domain->host_data;
	seq_printf(m, "domain: %s\nslots: %u\n", domain->name, info->hwsize);
	seq_puts(m, "slot   irq  cookie              masked  handler\n");
	msi_domain_for_each_desc(desc, dev, IMS_DOMID, MSI_DESC_ALL) {
		struct irq_data *d = desc->irq ? irq_get_irq_data(desc->irq) : NULL;

		u64 cookie = desc->data.icookie.value;

		seq_printf(m, "%-6u %-4u ", desc->msi_index, desc->irq);
		/* A PASID as such; anything else may be a pointer: hashed */
		if (upper_32_bits(cookie) == upper_32_bits(IMS_COOKIE_PASID_VALID))
			seq_printf(m, "pasid %-12u", lower_32_bits(cookie));
		else if (cookie)
			seq_printf(m, "%-18p", desc->data.icookie.ptr);
		else
			seq_printf(m, "%-18s", "-");
		seq_printf(m, "  %-6s  %s\n", d && irqd_irq_masked(d) ? "yes" : "no",
			   desc->irq && irq_has_action(desc->irq) ? "yes" : "no");
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ims_slots);

/**
 * __device_create_ims_domain - Create the IMS domain of a device, with a release hook
 * @dev:	The device
 * @template:	Domain template; its bus token must be %DOMAIN_BUS_PCI_DEVICE_IMS
 * @hwsize:	Number of slots, 0 for unbounded software indices
 * @data:	Stored as the domain's data and as the irq chip data
 * @release:	Optional: called with @data and false once the domain is gone;
 *		with true if the domain was leaked instead, because vectors
 *		still had handlers (@data must then stay, but no driver code
 *		may run any more)
 *
 * The variant of device_create_ims_domain() for the IMS table library,
 * which attaches state to the domain that must be released with it,
 * whichever way the domain is removed. With @release the chip may have
 * bus lock callbacks, which @release must fence when it is told of a
 * leak. Internal to the IMS core, not exported.
 *
 * Context: Process context, may sleep.
 * Return: 0 on success or a negative error code, see device_create_ims_domain().
 */
int __device_create_ims_domain(struct device *dev,
			       const struct msi_domain_template *template,
			       unsigned int hwsize, void *data,
			       void (*release)(void *data, bool orphaned))
{
	struct msi_domain_template tmpl;
	struct ims_devres *dr;
	bool exists;
	int ret;

	if (!ims_template_valid(dev, template, release) || hwsize > MSI_MAX_INDEX + 1)
		return -EINVAL;
	tmpl = *template;
	if (!tmpl.ops.set_desc)
		tmpl.ops.set_desc = ims_set_desc;

	ret = device_ims_supported(dev);
	if (ret)
		return ret;

	/*
	 * Set up the device's MSI data before the devres entry is added, so
	 * that the entry is released (and the domain removed) before the MSI
	 * data goes away on driver unbind. Under the lock: two first creators
	 * would both set it up (and collide on its sysfs group).
	 */
	guard(mutex)(&ims_domain_lock);
	ret = msi_setup_device_data(dev);
	if (ret)
		return ret;

	scoped_guard(msi_descs_lock, dev)
		exists = msi_get_device_domain(dev, IMS_DOMID);
	if (exists)
		return -EBUSY;

	dr = devres_alloc(ims_devres_release, sizeof(*dr), GFP_KERNEL);
	if (!dr)
		return -ENOMEM;

	ret = __msi_create_device_irq_domain(dev, IMS_DOMID, &tmpl, hwsize, data, data);
	if (ret) {
		devres_free(dr);
		return ret;
	}

	dr->release = release;
	dr->data = data;
	if (ims_debugfs_root)
		dr->debugfs = debugfs_create_file(dev_name(dev), 0444, ims_debugfs_root,
						  dev, &ims_slots_fops);
	devres_add(dev, dr);
	return 0;
}

/**
 * device_create_ims_domain - Create the IMS domain of a device
 * @dev:	The device
 * @template:	Domain template with the device's irq chip. Its bus token must
 *		be %DOMAIN_BUS_PCI_DEVICE_IMS; its flags must contain
 *		%MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS, %MSI_FLAG_FREE_MSI_DESCS and
 *		%MSI_FLAG_USE_DEF_DOM_OPS;
 *		the chip must provide irq_mask(), irq_unmask() and
 *		irq_write_msi_msg() and must not provide irq_set_affinity(),
 *		irq_bus_lock() or irq_bus_sync_unlock() (the table library's
 *		domains can have bus lock callbacks: their sync is fenced when
 *		a domain is leaked with live vectors);
 *		irq_write_msi_msg() must keep the message in msi_desc::msg,
 *		which get_cached_msi_msg() and device_ims_restore() use.
 *		Without msi_domain_ops::set_desc the slot index becomes the
 *		hardware interrupt number.
 * @hwsize:	Number of slots, 0 for unbounded software indices
 * @data:	Stored as msi_domain_info::data and as the irq chip data of
 *		every vector
 *
 * The domain is device managed: it is removed, with every vector still
 * allocated in it, when the driver is unbound, unless
 * device_remove_ims_domain() removed it before.
 *
 * Context: Process context, may sleep.
 * Return: 0 on success; -EINVAL for an invalid template or size; -EOPNOTSUPP
 * if the MSI parent does not allow IMS for @dev (logged with the reason) or
 * refuses the domain when it is set up; -EBUSY if @dev already has an IMS
 * domain, also for the second of two concurrent callers; the error code of
 * the parent's msi_prepare(); -ENOMEM on allocation failure.
 */
int device_create_ims_domain(struct device *dev,
			     const struct msi_domain_template *template,
			     unsigned int hwsize, void *data)
{
	return __device_create_ims_domain(dev, template, hwsize, data, NULL);
}

/**
 * device_remove_ims_domain - Remove the IMS domain of a device
 * @dev:	The device
 *
 * Frees every vector still allocated in the domain, then removes the
 * domain, in one step which no allocation can come between. Nothing
 * happens if @dev has no IMS domain.
 *
 * A vector whose handler is still requested is an owner's bug. It is not
 * freed, and neither is its handler: the domain is detached from @dev and
 * leaked with those vectors, with a warning. Their irq chip no longer
 * touches the device or calls its driver, and the owner's later free_irq()
 * is safe. @dev can get a new IMS domain. When the domain goes because
 * the driver is unbound, a handler whose code belongs to that driver's
 * module has no owner left to free it and is freed, with a warning, before
 * the others are leaked. An owner that may outlive the domain frees its
 * vector by its map (pci_ims_free_irq()), which refuses, with a one-time
 * warning, a slot that a new domain has given to another interrupt
 * meanwhile.
 *
 * Context: Process context, may sleep. Removal may free handlers and so
 * call the table's sync: the caller holds no lock that sync takes.
 */
void device_remove_ims_domain(struct device *dev)
{
	struct ims_devres *dr = devres_remove(dev, ims_devres_release, NULL, NULL);

	if (!dr)
		return;
	ims_teardown(dev, dr, false);
	devres_free(dr);
}
EXPORT_SYMBOL_NS_GPL(device_remove_ims_domain, "IMS");

/**
 * device_ims_alloc_irq - Allocate an IMS vector
 * @dev:	The device
 * @index:	The slot, or %MSI_ANY_INDEX for any free slot
 * @icookie:	Optional per entry cookie (a PASID, a queue context pointer),
 *		checked by the domain and stored with the entry before its
 *		first message write. NULL is a zero cookie.
 * @affdesc:	Optional affinity descriptor
 *
 * Context: Process context, may sleep.
 * Return: &struct msi_map with the slot in @index and the Linux interrupt
 * number in @virq. On failure @index holds the error code: -ENODEV without
 * an IMS domain, -ERANGE for a slot beyond the table, -EBUSY for a slot in
 * use, -ENOSPC when no slot is free, -EINVAL for a cookie the domain cannot
 * encode, or the error code of the domain or its parent (-ENOSPC when the
 * CPU vectors are exhausted, -ENOMEM); nothing is allocated then.
 */
struct msi_map device_ims_alloc_irq(struct device *dev, unsigned int index,
				    union msi_instance_cookie *icookie,
				    const struct irq_affinity_desc *affdesc)
{
	struct msi_map map;

	if (!dev->msi.data)
		return (struct msi_map){ .index = -ENODEV };

	map = msi_domain_alloc_irq_at(dev, IMS_DOMID, index, affdesc, icookie);
	/* The descriptor store reports a full table as busy */
	if (map.index == -EBUSY && index == MSI_ANY_INDEX)
		map.index = -ENOSPC;
	return map;
}
EXPORT_SYMBOL_NS_GPL(device_ims_alloc_irq, "IMS");

/**
 * devm_device_ims_alloc_irq - Device managed device_ims_alloc_irq()
 * @dev:	The device
 * @index:	The slot, or %MSI_ANY_INDEX for any free slot
 * @icookie:	Optional per entry cookie
 * @affdesc:	Optional affinity descriptor
 *
 * Like device_ims_alloc_irq(); the vector is freed when the driver is
 * unbound. Do not free it with device_ims_free_irq(): the device resource
 * would free it again.
 *
 * Context: Process context, may sleep.
 * Return: See device_ims_alloc_irq().
 */
struct msi_map devm_device_ims_alloc_irq(struct device *dev, unsigned int index,
					 union msi_instance_cookie *icookie,
					 const struct irq_affinity_desc *affdesc)
{
	struct ims_vector_devres *vr;
	struct msi_map map;

	vr = devres_alloc(ims_vector_devres_release, sizeof(*vr), GFP_KERNEL);
	if (!vr)
		return (struct msi_map){ .index = -ENOMEM };
	map = device_ims_alloc_irq(dev, index, icookie, affdesc);
	if (map.index < 0) {
		devres_free(vr);
		return map;
	}
	vr->map = map;
	devres_add(dev, vr);
	return map;
}

/**
 * device_ims_free_irq - Free an IMS vector
 * @dev:	The device
 * @map:	The mapping returned by the allocation
 *
 * The handler must have been freed before. The vector is freed only if its
 * slot still holds the interrupt number @map names, so a map whose slot
 * went to another interrupt number since (its vector was freed, or the
 * domain leaked and a new one created) frees nothing. A new vector that
 * got the old number back at the same slot cannot be told apart: a map
 * must not be used after its vector was freed. The checks and the free
 * are one step under the device's MSI descriptor lock.
 *
 * Context: Process context, may sleep.
 * Return: 0 on success; -EINVAL for a map that holds an error code;
 * -ENODEV without an IMS domain, -ERANGE for a slot beyond the table,
 * -ENOENT if no vector is allocated at the slot, -ESTALE if the slot's
 * vector is another interrupt than @map's, -EBUSY if its handler is still
 * requested. Nothing is freed on error.
 */
int device_ims_free_irq(struct device *dev, struct msi_map map)
{
	struct msi_domain_info *info;
	struct irq_domain *domain;
	struct msi_desc *desc;

	if (map.index < 0 || map.virq <= 0)
		return -EINVAL;
	if (!dev->msi.data)
		return -ENODEV;

	guard(msi_descs_lock)(dev);
	domain = msi_get_device_domain(dev, IMS_DOMID);
	if (!domain)
		return -ENODEV;
	info = domain->host_data;
	if (map.index >= info->hwsize)
		return -ERANGE;
	/* A direct lookup: freeing stays O(1) in a domain with many vectors */
	desc = msi_domain_find_desc_locked(dev, IMS_DOMID, map.index);
	if (!desc || !desc->irq)
		return -ENOENT;
	if (desc->irq != map.virq)
		return -ESTALE;
	if (irq_has_action(desc->irq))
		return -EBUSY;
	msi_domain_free_irqs_range_locked(dev, IMS_DOMID, map.index, map.index);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(device_ims_free_irq, "IMS");

/**
 * device_ims_free_all_irqs - Free every IMS vector of a device
 * @dev:	The device
 *
 * A vector whose handler is still requested is not freed, with a warning
 * (its owner frees it later with device_ims_free_irq()). The domain stays.
 *
 * Context: Process context, may sleep.
 */
void device_ims_free_all_irqs(struct device *dev)
{
	if (dev->msi.data)
		ims_free_all(dev);
}

/*
 * Rewrite one vector's entry from the kernel's state, as genirq would, but
 * without the bus lock callbacks: those may call into the driver, which
 * the reset and resume paths must not. The message of an active vector is
 * composed by the parent again, so a raw chip need not cache it.
 */
static void ims_restore_vector(struct irq_domain *domain, struct msi_desc *desc)
{
	struct irq_data *d = irq_domain_get_irq_data(domain, desc->irq);
	struct irq_desc *irqd = irq_to_desc(desc->irq);
	struct msi_msg msg = { };
	unsigned long flags;

	if (!d || !irqd)
		return;
	raw_spin_lock_irqsave(&irqd->lock, flags);
	if (irqd_is_activated(d))
		irq_chip_compose_msi_msg(d, &msg);
	d->chip->irq_mask(d);
	d->chip->irq_write_msi_msg(d, &msg);
	/*
	 * Masked stays masked only for a disabled interrupt (not yet
	 * requested, freed, or disabled and masked). An enabled one may be
	 * masked only for the moment, by its flow handler in hard interrupt
	 * context, whose unmask a table with sync does not store: unmask it.
	 * An early unmask of an edge interrupt costs at most a pending one.
	 */
	if (!irqd_irq_masked(d) || !irqd_irq_disabled(d))
		d->chip->irq_unmask(d);
	raw_spin_unlock_irqrestore(&irqd->lock, flags);
}

/**
 * device_ims_restore - Rewrite the IMS entries of a device after a reset
 * @dev:	The device
 *
 * A function level reset, AER recovery or a return from D3cold leaves the
 * device's message store in its reset state. This rewrites every allocated
 * entry, as the PCI core does for MSI-X: the entry is masked (which
 * re-establishes its control word, including the cookie's PASID for table
 * library domains), the message of an active vector is written (none for a
 * vector that was never requested), and the entry is unmasked again unless
 * the interrupt is disabled and masked. Only the irq chip's irq_mask(),
 * irq_write_msi_msg() and irq_unmask() are called, in atomic context; no
 * driver callback that may sleep. A table library domain with a sync
 * callback is reported to the device by its driver, with ims_sync_all()
 * from the driver's own reset_done() or resume() callback.
 *
 * PCI devices get this from pci_restore_state(); other buses call it from
 * their reset path. Nothing happens if @dev has no IMS domain.
 *
 * Context: Process context, may sleep (takes the device's MSI descriptor
 * lock).
 */
void device_ims_restore(struct device *dev)
{
	struct irq_domain *domain;
	struct msi_desc *desc;

	if (!dev->msi.data)
		return;
	guard(msi_descs_lock)(dev);
	domain = msi_get_device_domain(dev, IMS_DOMID);
	if (!domain)
		return;
	msi_domain_for_each_desc(desc, dev, IMS_DOMID, MSI_DESC_ASSOCIATED)
		ims_restore_vector(domain, desc);
}

static int __init ims_debugfs_init(void)
{
	ims_debugfs_root = debugfs_create_dir("ims", NULL);
	return 0;
}
postcore_initcall(ims_debugfs_init);
