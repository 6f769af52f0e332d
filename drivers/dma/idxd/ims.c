// SPDX-License-Identifier: GPL-2.0
/*
 * idxd: the device's Interrupt Message Store (IMS).
 *
 * DSA and IAA devices have an IMS table in BAR0 beside their MSI-X table:
 * GENCAP.max_ims_mult x 256 entries of 16 bytes (address low, address high,
 * data, control with bit 0 mask, bit 3 PASID enable and bits 31:12 PASID),
 * at the offset the table offsets register names (ims field, in 0x100
 * units). The IMS table library drives it; this file discovers the table,
 * creates the device's IMS domain and gives the layer above (the VFIO
 * mediated device support, in-kernel users) vectors bound to a work queue
 * and a PASID, with the interrupt handles and portals the device needs.
 */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/irq_ims.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include "idxd.h"
#include "registers.h"

#define IDXD_IMS_MULT			256
#define IDXD_IMS_SLOT_SIZE		16
/* Offsets of the IMS portals in a work queue's four portal pages */
#define IDXD_IMS_PORTAL_UNLIMITED	0x2000
#define IDXD_IMS_PORTAL_LIMITED		0x3000

static const struct ims_slot_format idxd_ims_slot_format = {
	.addr_lo	= 0,
	.addr_hi	= 4,
	.data		= 8,
	.ctrl		= 12,
	.mask		= BIT(0),
	.pasid_enable	= BIT(3),
	.pasid_field	= GENMASK(31, 12),
};

/**
 * idxd_ims_read_caps - Discover the IMS table of a device
 * @idxd:	The device
 *
 * Reads the number of IMS entries (GENCAP.max_ims_mult x 256) and the
 * table's offset in BAR0 (table offsets register, ims field x 0x100).
 * A device without IMS reports zero entries.
 */
void idxd_ims_read_caps(struct idxd_device *idxd)
{
	union gen_cap_reg gen_cap;
	union offsets_reg offsets;

	gen_cap.bits = ioread64(idxd->reg_base + IDXD_GENCAP_OFFSET);
	offsets.bits[0] = ioread64(idxd->reg_base + IDXD_TABLE_OFFSET);
	offsets.bits[1] = ioread64(idxd->reg_base + IDXD_TABLE_OFFSET + sizeof(u64));
	idxd->ims_size = gen_cap.max_ims_mult * IDXD_IMS_MULT;
	idxd->ims_offset = offsets.ims * IDXD_TABLE_MULT;
	/* A table at offset 0 would overlay the registers: no usable IMS */
	if (!idxd->ims_offset)
		idxd->ims_size = 0;
}

/**
 * idxd_ims_setup - Create the device's IMS domain
 * @idxd:	The device, with idxd_ims_read_caps() done
 *
 * Without an IMS table, or when the MSI parent refuses IMS (no interrupt
 * remapping, a virtual IOMMU), the device goes on with MSI-X only and the
 * reason is logged once.
 *
 * Return: 0, or a negative error code for a failure other than that.
 */
int idxd_ims_setup(struct idxd_device *idxd)
{
	struct device *dev = &idxd->pdev->dev;
	struct ims_table_info info = {
		.name		= "IDXD-IMS",
		.storage	= IMS_STORAGE_MMIO,
		.nr_slots	= idxd->ims_size,
		.stride		= IDXD_IMS_SLOT_SIZE,
		.format		= idxd_ims_slot_format,
		.mmio		= idxd->reg_base + idxd->ims_offset,
		.priv		= idxd,
	};
	int rc;

	mutex_init(&idxd->ims_lock);
	INIT_LIST_HEAD(&idxd->ims_vecs);
	idxd->ims_in_use = 0;
	if (!idxd->ims_size) {
		dev_info(dev, "no IMS table, MSI-X only\n");
		return 0;
	}
	rc = ims_create_domain(dev, &info);
	if (rc == -EOPNOTSUPP) {
		dev_info(dev, "IMS table of %u entries not usable here, MSI-X only\n",
			 idxd->ims_size);
		return 0;
	}
	if (rc)
		return rc;
	idxd->ims_enabled = true;
	dev_dbg(dev, "IMS: %u entries at %#x\n", idxd->ims_size, idxd->ims_offset);
	return 0;
}

/**
 * idxd_ims_teardown - Remove the device's IMS domain
 * @idxd:	The device
 *
 * Vectors the layer above left allocated get their interrupt handle
 * released and are freed, with a warning.
 */
void idxd_ims_teardown(struct idxd_device *idxd)
{
	struct idxd_ims_vec *vec, *tmp;

	if (!idxd->ims_enabled)
		return;
	list_for_each_entry_safe(vec, tmp, &idxd->ims_vecs, list) {
		dev_warn(&idxd->pdev->dev, "IMS vector of slot %d still allocated\n",
			 vec->map.index);
		idxd_ims_vec_free(vec);
	}
	device_remove_ims_domain(&idxd->pdev->dev);
	idxd->ims_enabled = false;
}

/**
 * idxd_ims_vec_alloc - Allocate an IMS vector for a work queue and a PASID
 * @wq:		The work queue whose descriptors will use the vector
 * @pasid:	The PASID the interrupt message is bound to
 * @vec:	Filled in: the slot (@vec->map.index) and Linux interrupt
 *		(@vec->map.virq); no interrupt handle yet
 *
 * The PASID is encoded into the entry's control word when it is set up,
 * before its first message write.
 *
 * Context: Process context, may sleep.
 * Return: 0; -EOPNOTSUPP if the device has no usable IMS table; -EINVAL for
 * a PASID wider than the 20-bit field; -ENOSPC when the table is full.
 */
int idxd_ims_vec_alloc(struct idxd_wq *wq, u32 pasid, struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = wq->idxd;
	union msi_instance_cookie cookie = ims_pasid_cookie(pasid);
	struct msi_map map;

	if (!idxd->ims_enabled)
		return -EOPNOTSUPP;
	map = device_ims_alloc_irq(&idxd->pdev->dev, MSI_ANY_INDEX, &cookie, NULL);
	if (map.index < 0)
		return map.index;
	vec->wq = wq;
	vec->pasid = pasid;
	vec->map = map;
	vec->handle = INVALID_INT_HANDLE;
	mutex_lock(&idxd->ims_lock);
	list_add_tail(&vec->list, &idxd->ims_vecs);
	idxd->ims_in_use++;
	mutex_unlock(&idxd->ims_lock);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(idxd_ims_vec_alloc, IDXD);

/**
 * idxd_ims_vec_request_handle - Get the interrupt handle of an IMS vector
 * @vec:	The vector
 *
 * Issues REQUEST_INT_HANDLE with the IMS bit for the vector's slot (on
 * devices which do not use handles, the handle is the slot). Descriptors
 * submitted through an IMS portal (idxd_wq_ims_portal()) carry the handle.
 *
 * Context: Process context, may sleep.
 * Return: 0; -EINVAL if the device calls the slot invalid (0x41), -ENOSPC
 * if it has no handle left (0x42), -ENXIO for another command error.
 */
int idxd_ims_vec_request_handle(struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = vec->wq->idxd;
	int rc = 0, handle = vec->map.index;

	if (idxd->request_int_handles)
		rc = idxd_device_request_int_handle(idxd, vec->map.index, &handle,
						    IDXD_IRQ_IMS);
	if (rc)
		return rc;
	mutex_lock(&idxd->ims_lock);
	vec->handle = handle;
	mutex_unlock(&idxd->ims_lock);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(idxd_ims_vec_request_handle, IDXD);

/**
 * idxd_ims_vec_release_handle - Release the interrupt handle of an IMS vector
 * @vec:	The vector
 *
 * Issues RELEASE_INT_HANDLE with the IMS bit; nothing if the vector has
 * no handle.
 *
 * Context: Process context, may sleep.
 */
void idxd_ims_vec_release_handle(struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = vec->wq->idxd;
	int handle;

	mutex_lock(&idxd->ims_lock);
	handle = vec->handle;
	vec->handle = INVALID_INT_HANDLE;
	mutex_unlock(&idxd->ims_lock);
	if (handle != INVALID_INT_HANDLE && idxd->request_int_handles)
		idxd_device_release_int_handle(idxd, handle, IDXD_IRQ_IMS);
}
EXPORT_SYMBOL_NS_GPL(idxd_ims_vec_release_handle, IDXD);

/**
 * idxd_ims_vec_free - Free an IMS vector
 * @vec:	The vector; its interrupt handler must have been freed
 *
 * Releases the vector's interrupt handle if it still has one.
 *
 * Context: Process context, may sleep.
 */
void idxd_ims_vec_free(struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = vec->wq->idxd;

	idxd_ims_vec_release_handle(vec);
	mutex_lock(&idxd->ims_lock);
	list_del(&vec->list);
	idxd->ims_in_use--;
	mutex_unlock(&idxd->ims_lock);
	device_ims_free_irq(&idxd->pdev->dev, vec->map.index);
}
EXPORT_SYMBOL_NS_GPL(idxd_ims_vec_free, IDXD);

/**
 * idxd_wq_ims_portal - Physical address of a work queue's IMS portal
 * @wq:		The work queue
 * @limited:	The limited portal (+0x3000) rather than the unlimited one
 *		(+0x2000)
 *
 * Descriptors that name an IMS interrupt handle are submitted through one
 * of these two pages of the work queue's portal range in BAR2; the layer
 * above maps the page it needs (into a guest, for a mediated device).
 *
 * Return: The physical address of the portal page.
 */
phys_addr_t idxd_wq_ims_portal(struct idxd_wq *wq, bool limited)
{
	return pci_resource_start(wq->idxd->pdev, IDXD_WQ_BAR) +
	       idxd_get_wq_portal_full_offset(wq->id, IDXD_PORTAL_UNLIMITED) +
	       (limited ? IDXD_IMS_PORTAL_LIMITED : IDXD_IMS_PORTAL_UNLIMITED);
}
EXPORT_SYMBOL_NS_GPL(idxd_wq_ims_portal, IDXD);

/**
 * idxd_ims_revoke_handles - Re-request the IMS handles after a revocation
 * @idxd:	The device
 *
 * Called from the handle revocation work (INTCAUSE bit 31), after the
 * MSI-X handles. Like those, every IMS vector with a handle gets a new one;
 * a vector whose handle changed (or could not be renewed: then it has
 * none) is reported to its owner through @vec->handle_changed. The owner
 * resubmits the descriptors that completed with status 0x19 (invalid
 * interrupt handle) with the new handle, or fails them when there is none.
 */
void idxd_ims_revoke_handles(struct idxd_device *idxd)
{
	struct idxd_ims_vec *vec;
	int rc, handle;

	if (!idxd->ims_enabled || !idxd->request_int_handles)
		return;
	mutex_lock(&idxd->ims_lock);
	list_for_each_entry(vec, &idxd->ims_vecs, list) {
		if (vec->handle == INVALID_INT_HANDLE)
			continue;
		rc = idxd_device_request_int_handle(idxd, vec->map.index, &handle,
						    IDXD_IRQ_IMS);
		if (rc) {
			dev_warn(&idxd->pdev->dev, "IMS slot %d: no new handle: %d\n",
				 vec->map.index, rc);
			handle = INVALID_INT_HANDLE;
		}
		if (handle == vec->handle)
			continue;
		vec->handle = handle;
		if (vec->handle_changed)
			vec->handle_changed(vec);
	}
	mutex_unlock(&idxd->ims_lock);
}

static ssize_t ims_size_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct idxd_device *idxd = confdev_to_idxd(dev);

	return sysfs_emit(buf, "%u\n", idxd->ims_enabled ? idxd->ims_size : 0);
}
DEVICE_ATTR_RO(ims_size);

static ssize_t ims_in_use_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct idxd_device *idxd = confdev_to_idxd(dev);

	return sysfs_emit(buf, "%u\n", READ_ONCE(idxd->ims_in_use));
}
DEVICE_ATTR_RO(ims_in_use);
