/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interrupt Message Store (IMS): per device storage of MSI messages.
 *
 * A device which keeps its interrupt messages in its own storage (an array in
 * MMIO space, queue contexts in memory, ...) gets a second per device MSI
 * domain beside its PCI/MSI(-X) domain (MSI_SECONDARY_DOMAIN). The domain is
 * only created below an MSI parent which can isolate device stored messages,
 * i.e. an authoritative interrupt remapping unit.
 *
 * Two ways to use it:
 *
 *  - The table library: describe the storage in a struct ims_table_info and
 *    call ims_create_domain(). The library supplies the irq chip.
 *  - The raw interface: hand a struct msi_domain_template with an own irq chip
 *    to device_create_ims_domain() or pci_create_ims_domain().
 *
 * Vectors are then allocated one at a time with device_ims_alloc_irq() (or
 * pci_ims_alloc_irq() / pci_ims_alloc_irq_at()) at a given slot or at any
 * free slot, with a per entry cookie (a PASID, a queue context pointer).
 *
 * See Documentation/core-api/irq/ims.rst.
 */
#ifndef _LINUX_IRQ_IMS_H
#define _LINUX_IRQ_IMS_H

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/list.h>
#include <linux/msi_api.h>
#include <linux/types.h>

struct device;
struct irq_affinity_desc;
struct msi_domain_template;
struct msi_msg;

/**
 * enum ims_storage - Where an IMS table keeps its messages
 * @IMS_STORAGE_MMIO:	An array of slots in device MMIO space, written with
 *			32-bit accesses.
 * @IMS_STORAGE_MEMORY:	Slots in system memory which the device reads (queue
 *			contexts and the like), either an array or one slot per
 *			entry at the address given in the entry's cookie.
 * @IMS_STORAGE_CUSTOM:	The driver's &struct ims_table_ops write and mask the
 *			entries.
 */
enum ims_storage {
	IMS_STORAGE_MMIO,
	IMS_STORAGE_MEMORY,
	IMS_STORAGE_CUSTOM,
};

/**
 * struct ims_slot_format - Layout of one message slot
 * @addr_lo:		Byte offset of the 32-bit message address low word
 * @addr_hi:		Byte offset of the 32-bit message address high word
 * @data:		Byte offset of the 32-bit message data word
 * @ctrl:		Byte offset of the 32-bit control word
 * @mask:		The control word bit which masks the entry (one bit)
 * @mask_active_low:	The entry is masked when @mask is clear, not when set
 * @pasid_enable:	Control word bit which enables the PASID field, or 0
 *			if the format has no PASID
 * @pasid_field:	Contiguous control word bits which hold the PASID, or
 *			0 if the format has no PASID
 * @big_endian:		The slot words are big-endian (MMIO: ioread32be() and
 *			iowrite32be(); memory: __be32), not little-endian
 *
 * All offsets are relative to the start of the slot, 4-byte aligned and
 * distinct. Control word bits outside @mask, @pasid_enable and @pasid_field
 * are preserved by the library.
 */
struct ims_slot_format {
	u16	addr_lo;
	u16	addr_hi;
	u16	data;
	u16	ctrl;
	u32	mask;
	bool	mask_active_low;
	u32	pasid_enable;
	u32	pasid_field;
	bool	big_endian;
};

struct ims_table_info;

/**
 * struct ims_table_ops - Callbacks of an %IMS_STORAGE_CUSTOM table
 * @write_msg:		Required: write @msg into @slot. Called in atomic
 *			context (irq descriptor lock held), with the entry
 *			masked by @set_mask when it was unmasked.
 * @set_mask:		Required: mask (@masked true) or unmask @slot. Called
 *			in atomic context; must be flushed to the device before
 *			it returns.
 * @check_cookie:	Optional: return 0 if @cookie can be encoded for
 *			@slot, -EINVAL or another error code otherwise. Called
 *			before anything is allocated, with %MSI_ANY_INDEX as
 *			@slot when the caller lets the core choose; then called
 *			again with the chosen slot, and its error fails the
 *			allocation. Without it only a zero cookie is accepted.
 * @init_slot:		Optional: prepare @slot for @cookie before its first
 *			message is written. The entry must end up masked;
 *			without this callback the library calls @set_mask.
 * @release_slot:	Optional: called when the vector of @slot is freed.
 *
 * @check_cookie, @init_slot and @release_slot are called in process context
 * with the device's MSI descriptor lock held; inside the MSI core's
 * allocation and free paths (@init_slot, @release_slot and the second
 * @check_cookie call) also with the irq domain mutex held. They may sleep,
 * but must not call the IMS, MSI or irq interfaces, nor wait for anything
 * that does.
 * After a reset device_ims_restore() rewrites an entry through @set_mask
 * (masked), @write_msg and @set_mask (unmasked), so those two must
 * re-establish everything the entry needs, the cookie included.
 *
 * All callbacks get the library's copy of the table description; its
 * &ims_table_info.priv is the driver's pointer.
 */
struct ims_table_ops {
	void	(*write_msg)(const struct ims_table_info *info, unsigned int slot,
			     const union msi_instance_cookie *cookie,
			     const struct msi_msg *msg);
	void	(*set_mask)(const struct ims_table_info *info, unsigned int slot,
			    const union msi_instance_cookie *cookie, bool masked);
	int	(*check_cookie)(const struct ims_table_info *info, unsigned int slot,
				const union msi_instance_cookie *cookie);
	void	(*init_slot)(const struct ims_table_info *info, unsigned int slot,
			     const union msi_instance_cookie *cookie);
	void	(*release_slot)(const struct ims_table_info *info, unsigned int slot,
				const union msi_instance_cookie *cookie);
};

/**
 * struct ims_table_info - Description of a device's IMS table
 * @name:	Name of the irq chip (shown in /proc/interrupts as
 *		"$PREFIX$NAME-$DEVICE"); "IMS" if NULL
 * @storage:	Where the messages live
 * @nr_slots:	Number of slots. 0 means unbounded (only for memory storage
 *		with per entry slots and for custom storage); the domain then
 *		hands out software indices up to the MSI core's limit.
 * @stride:	Bytes from one slot to the next (array storage); the size of
 *		a slot for per entry memory slots. At least 16, a multiple of 4.
 * @format:	Layout of a slot (%IMS_STORAGE_MMIO and %IMS_STORAGE_MEMORY)
 * @mmio:	%IMS_STORAGE_MMIO: address of slot 0
 * @mem:	%IMS_STORAGE_MEMORY: address of slot 0 of an array (slot
 *		words are little-endian unless the format says big-endian,
 *		like MMIO ones), or NULL when every entry has its own slot
 *		(e.g. in a queue context): at the address @slot_mem returns,
 *		or without @slot_mem at the address in the entry's cookie
 *		(&msi_instance_cookie.ptr)
 * @slot_mem:	%IMS_STORAGE_MEMORY without @mem, optional: return the
 *		address of @slot's slot, 4-byte aligned, or NULL if the
 *		driver has none for @slot (the allocation fails with
 *		-EINVAL). Asked when a vector is allocated at @slot, and on
 *		every access to the entry after that, in any context (atomic
 *		included): a lookup that must not sleep and must return the
 *		same address until the vector is freed. The cookie is then
 *		free for a PASID, so one entry has both a PASID and the
 *		driver's context.
 * @sync:	%IMS_STORAGE_MEMORY and %IMS_STORAGE_CUSTOM, optional: tell
 *		the device that @slot
 *		may have changed. Called in sleepable process context when
 *		genirq releases the irq bus lock of a live vector, i.e. after
 *		request_irq(), free_irq(), disable_irq(), enable_irq() and the
 *		like (disable_irq() masks at once for such tables), and by
 *		ims_sync_all() (after device_ims_restore()) and
 *		ims_set_cookie(). It is not called for mask
 *		changes the flow handler makes in hard interrupt context
 *		(which such tables do not store: an entry holds the logical
 *		state, so sync never publishes a transient mask), for
 *		affinity changes (the remapping entry changes, not the stored
 *		message), for CPU hotplug or suspend_device_irqs()/resume, nor
 *		inside vector allocation and free: an entry set up or released
 *		there is masked, and the next request_irq() reports it. Calls for
 *		one table are serialized; no IMS, MSI or irq domain lock is
 *		held (genirq's per-interrupt request mutex is, during
 *		request_irq() and free_irq()). @sync may take the driver's locks, as long
 *		as the driver never holds those while calling the functions
 *		above on an IMS vector. Tables with @sync must not be disabled
 *		or enabled from atomic context (no disable_irq_nosync() from
 *		the handler).
 * @ops:	%IMS_STORAGE_CUSTOM: the driver's callbacks
 * @priv:	The driver's pointer, untouched by the library
 *
 * Cookies: a format with a PASID field takes ims_pasid_cookie() (or a zero
 * cookie for "no PASID"); per entry memory slots without @slot_mem take
 * the slot address in &msi_instance_cookie.ptr (and have no PASID); other
 * formats take a zero cookie. Anything else
 * is rejected with -EINVAL when the vector is allocated.
 */
struct ims_table_info {
	const char			*name;
	enum ims_storage		storage;
	unsigned int			nr_slots;
	unsigned int			stride;
	struct ims_slot_format		format;
	void __iomem			*mmio;
	void				*mem;
	void				*(*slot_mem)(const struct ims_table_info *info,
						     unsigned int slot);
	void				(*sync)(const struct ims_table_info *info,
						unsigned int slot);
	const struct ims_table_ops	*ops;
	void				*priv;
};

/* Cookie bit which says that the cookie's low 32 bits hold a PASID */
#define IMS_COOKIE_PASID_VALID	BIT_ULL(63)

/**
 * ims_pasid_cookie - Cookie which binds an IMS entry to a PASID
 * @pasid:	The PASID
 *
 * Return: The cookie to hand to the allocation functions.
 */
static inline union msi_instance_cookie ims_pasid_cookie(u32 pasid)
{
	return (union msi_instance_cookie){ .value = IMS_COOKIE_PASID_VALID | pasid };
}

/**
 * struct ims_bus_policy - A bus's say on which of its devices may use IMS
 * @bus:	The bus
 * @supported:	Return 0 if @dev may send device stored messages, a
 *		negative error code otherwise (e.g. MSI is disabled for it)
 * @node:	Internal, list of registered policies
 */
struct ims_bus_policy {
	const struct bus_type	*bus;
	int			(*supported)(struct device *dev);
	struct list_head	node;
};

#ifdef CONFIG_IRQ_MSI_IMS
void ims_register_bus_policy(struct ims_bus_policy *policy);
int device_ims_supported(struct device *dev);
int device_create_ims_domain(struct device *dev,
			     const struct msi_domain_template *template,
			     unsigned int hwsize, void *data);
void device_remove_ims_domain(struct device *dev);
struct msi_map device_ims_alloc_irq(struct device *dev, unsigned int index,
				    union msi_instance_cookie *icookie,
				    const struct irq_affinity_desc *affdesc);
struct msi_map devm_device_ims_alloc_irq(struct device *dev, unsigned int index,
					 union msi_instance_cookie *icookie,
					 const struct irq_affinity_desc *affdesc);
int device_ims_free_irq(struct device *dev, struct msi_map map);
void device_ims_free_all_irqs(struct device *dev);
void device_ims_restore(struct device *dev);

int ims_create_domain(struct device *dev, const struct ims_table_info *info);
int ims_set_cookie(struct device *dev, unsigned int index,
		   const union msi_instance_cookie *cookie);
int ims_sync_all(struct device *dev);
#else
static inline void ims_register_bus_policy(struct ims_bus_policy *policy) { }

static inline int device_ims_supported(struct device *dev)
{
	return -EOPNOTSUPP;
}

static inline int device_create_ims_domain(struct device *dev,
					   const struct msi_domain_template *template,
					   unsigned int hwsize, void *data)
{
	return -EOPNOTSUPP;
}

static inline void device_remove_ims_domain(struct device *dev) { }

static inline struct msi_map device_ims_alloc_irq(struct device *dev, unsigned int index,
						  union msi_instance_cookie *icookie,
						  const struct irq_affinity_desc *affdesc)
{
	return (struct msi_map){ .index = -EOPNOTSUPP };
}

static inline struct msi_map devm_device_ims_alloc_irq(struct device *dev, unsigned int index,
						       union msi_instance_cookie *icookie,
						       const struct irq_affinity_desc *affdesc)
{
	return (struct msi_map){ .index = -EOPNOTSUPP };
}

static inline int device_ims_free_irq(struct device *dev, struct msi_map map)
{
	return -ENODEV;
}

static inline void device_ims_free_all_irqs(struct device *dev) { }

static inline void device_ims_restore(struct device *dev) { }

static inline int ims_create_domain(struct device *dev, const struct ims_table_info *info)
{
	return -EOPNOTSUPP;
}

static inline int ims_set_cookie(struct device *dev, unsigned int index,
				 const union msi_instance_cookie *cookie)
{
	return -ENODEV;
}

static inline int ims_sync_all(struct device *dev)
{
	return -ENODEV;
}
#endif

#endif /* _LINUX_IRQ_IMS_H */
