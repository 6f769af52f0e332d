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
 * and a PASID, or to a work queue without PASID, with the interrupt handles
 * and portals the device needs, and tells their owners when the device
 * revokes the handles, is reset or goes away.
 */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iommu.h>
#include <linux/irq_ims.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/xarray.h>
#include "idxd.h"
#include "registers.h"

MODULE_IMPORT_NS("IMS");

#define IDXD_IMS_MULT			256
#define IDXD_IMS_SLOT_SIZE		16
/* Offsets of the IMS portals in a work queue's four portal pages */
#define IDXD_IMS_PORTAL_UNLIMITED	0x2000
#define IDXD_IMS_PORTAL_LIMITED		0x3000
/*
 * How long a drain before a handle's release may take: descriptors wait
 * behind those of other work queues and PASIDs, and may fault
 */
#define IDXD_IMS_DRAIN_TIMEOUT_MS	5000
/* How often, and how many times, a revocation tries a drain that failed */
#define IDXD_IMS_REVOKE_RETRY_MS	1000
#define IDXD_IMS_REVOKE_TRIES		10

static const struct ims_slot_format idxd_ims_slot_format = {
	.addr_lo	= 0,
	.addr_hi	= 4,
	.data		= 8,
	.ctrl		= 12,
	.mask		= BIT(0),
	.pasid_enable	= BIT(3),
	.pasid_field	= GENMASK(31, 12),
};

static void idxd_ims_revoke_retry(struct work_struct *work);

/*
 * The device halted and waits for a system reset: the owners of IMS
 * vectors hear of it from this work item, as for the other reset types,
 * because the interrupt thread which sees the halt also completes the
 * commands that a holder of the IMS lock may wait for.
 */
static void idxd_ims_halt_work(struct work_struct *work)
{
	idxd_ims_halted(container_of(work, struct idxd_device, ims_halt_work));
}

/**
 * idxd_ims_init - Initialize the IMS state of a new device
 * @idxd:	The device, just allocated
 *
 * Before the device's interrupts are set up: a halt may tell the owners
 * of IMS vectors (none yet) before idxd_ims_setup() has run.
 */
void idxd_ims_init(struct idxd_device *idxd)
{
	mutex_init(&idxd->ims_lock);
	mutex_init(&idxd->ims_revoke_lock);
	INIT_DELAYED_WORK(&idxd->ims_revoke_work, idxd_ims_revoke_retry);
	INIT_LIST_HEAD(&idxd->ims_vecs);
	INIT_LIST_HEAD(&idxd->ims_held);
	init_waitqueue_head(&idxd->ims_waitq);
	idxd->ims_drain_timeout = msecs_to_jiffies(IDXD_IMS_DRAIN_TIMEOUT_MS);
	INIT_WORK(&idxd->ims_halt_work, idxd_ims_halt_work);
}

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
 * Without an IMS table, with a table that does not fit into BAR0, when the
 * MSI parent refuses IMS (no interrupt remapping, a virtual IOMMU) or when
 * the domain cannot be created, the device goes on with MSI-X only and the
 * reason is logged once. IMS never fails the probe of a device that works
 * without it.
 */
void idxd_ims_setup(struct idxd_device *idxd)
{
	struct pci_dev *pdev = idxd->pdev;
	struct device *dev = &pdev->dev;
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

	idxd->ims_in_use = 0;
	if (!idxd->ims_size) {
		dev_info(dev, "no IMS table, MSI-X only\n");
		return;
	}
	if ((u64)idxd->ims_offset + idxd->ims_size * IDXD_IMS_SLOT_SIZE >
	    pci_resource_len(pdev, IDXD_MMIO_BAR)) {
		dev_warn(dev, "IMS table at %#x does not fit into BAR0, MSI-X only\n",
			 idxd->ims_offset);
		return;
	}
	rc = ims_create_domain(dev, &info);
	if (rc) {
		/* A refusal was logged by the IMS core with its reason */
		dev_info(dev, "IMS table of %u entries not usable (%d), MSI-X only\n",
			 idxd->ims_size, rc);
		return;
	}
	idxd->ims_enabled = true;
	dev_dbg(dev, "IMS: %u entries at %#x\n", idxd->ims_size, idxd->ims_offset);
}

/*
 * Wait until every descriptor which may carry the vector's handle has
 * completed: those of its PASID, or of its work queue for a vector without
 * PASID. 0, or why not: the device did not answer in time, is halted or
 * refused the drain.
 */
static int idxd_ims_vec_drain(struct idxd_ims_vec *vec)
{
	unsigned long timeout = vec->idxd->ims_drain_timeout;

	if (vec->pasid == IOMMU_PASID_INVALID)
		return idxd_wq_drain_timeout(vec->wq, timeout);
	return idxd_device_drain_pasid_timeout(vec->idxd, vec->pasid, timeout);
}

/* Free the vector's slot and the vector; ims_lock held, @vec on no list */
static void idxd_ims_vec_free_slot(struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = vec->idxd;

	lockdep_assert_held(&idxd->ims_lock);
	idxd->ims_in_use--;
	/* -EBUSY: the owner left its handler requested; the slot stays */
	WARN_ON_ONCE(device_ims_free_irq(&idxd->pdev->dev, vec->map));
	kfree(vec);
}

/*
 * The device dropped (@reset: a halt, a reset) or revoked every interrupt
 * handle; ims_lock held. No descriptor can raise an interrupt with an
 * old handle any more: the slots kept for handles whose drain failed are
 * freed, and a release whose drain is running has nothing left to release.
 */
static void idxd_ims_handles_dropped(struct idxd_device *idxd, bool reset)
{
	struct idxd_ims_vec *vec, *next;

	lockdep_assert_held(&idxd->ims_lock);
	idxd->ims_handle_gen++;
	list_for_each_entry(vec, &idxd->ims_vecs, list) {
		vec->undrained = false;
		/* HALTED or RESET tells the owner what a pending REVOKED would */
		if (reset)
			vec->revoked = false;
	}
	list_for_each_entry_safe(vec, next, &idxd->ims_held, list) {
		list_del(&vec->list);
		idxd_ims_vec_free_slot(vec);
	}
}

/*
 * Drain the vector's descriptors, then release its handle; ims_lock held,
 * dropped while the drain runs (with a timeout), so that the owners of the
 * device's other vectors, a revocation or a reset do not wait for it. The
 * vector has no handle from the start; idxd_ims_vec_request_handle()
 * refuses it until the release is done. When the device dropped or revoked
 * every handle meanwhile, there is nothing to release. When the drain
 * failed, descriptors may still carry the handle: it is kept, reported and
 * returned, and the vector marked, so that its slot is not reused before
 * the device drops its handles.
 */
static int idxd_ims_vec_put_handle(struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = vec->idxd;
	unsigned int gen = idxd->ims_handle_gen;
	int rc, handle = vec->handle;

	lockdep_assert_held(&idxd->ims_lock);
	if (handle == INVALID_INT_HANDLE)
		return 0;
	vec->handle = INVALID_INT_HANDLE;
	vec->releasing = true;
	mutex_unlock(&idxd->ims_lock);
	/*
	 * No descriptor may still name the entry when it is reused: drain on
	 * devices without handle commands as well, where the handle is the
	 * slot itself.
	 */
	rc = idxd_ims_vec_drain(vec);
	mutex_lock(&idxd->ims_lock);
	vec->releasing = false;
	wake_up_all(&idxd->ims_waitq);
	if (idxd->ims_handle_gen != gen)
		return 0;
	if (rc) {
		vec->undrained = true;
		dev_warn(&idxd->pdev->dev, "IMS slot %d: drain failed (%d), handle %#x kept\n",
			 vec->map.index, rc, handle);
		return rc;
	}
	if (!idxd->request_int_handles)
		return 0;
	rc = idxd_device_release_int_handle(idxd, handle, IDXD_IRQ_IMS);
	if (rc)
		dev_warn(&idxd->pdev->dev, "IMS slot %d: releasing handle %#x failed: %d\n",
			 vec->map.index, handle, rc);
	return rc;
}

/*
 * Free a vector taken off ims_vecs; ims_lock held, dropped while its
 * handle's drain runs. The slot of a vector whose drain failed waits on
 * ims_held for the device to drop its handles.
 */
static void idxd_ims_vec_destroy(struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = vec->idxd;

	lockdep_assert_held(&idxd->ims_lock);
	idxd->ims_freeing++;
	idxd_ims_vec_put_handle(vec);
	if (vec->undrained) {
		list_add_tail(&vec->list, &idxd->ims_held);
		dev_warn(&idxd->pdev->dev,
			 "IMS slot %d held until the device drops its handles\n",
			 vec->map.index);
	} else {
		idxd_ims_vec_free_slot(vec);
	}
	if (!--idxd->ims_freeing)
		wake_up_all(&idxd->ims_waitq);
}

/**
 * idxd_ims_teardown - Remove the device's IMS domain
 * @idxd:	The device, with its work queues still registered
 *
 * No vector can be allocated from here on. The owner of every vector still
 * allocated gets %IDXD_IMS_EVENT_REMOVING, without the device's IMS lock
 * held, and must free its interrupt handler then; the vector's handle is
 * released and the vector is freed when the callback returns. A vector
 * without an owner callback is freed with a warning. Frees and releases
 * whose drains run without the lock are waited for; slots kept for handles
 * whose drain failed are freed with the domain.
 */
void idxd_ims_teardown(struct idxd_device *idxd)
{
	struct idxd_ims_vec *vec, *next;

	/* A revocation's drains and events are done; none starts after */
	mutex_lock(&idxd->ims_revoke_lock);
	mutex_lock(&idxd->ims_lock);
	if (!idxd->ims_enabled) {
		mutex_unlock(&idxd->ims_lock);
		mutex_unlock(&idxd->ims_revoke_lock);
		return;
	}
	idxd->ims_enabled = false;
	/*
	 * One vector at a time, taken off the list under the lock: the owner
	 * of a vector whose REMOVING has not started may still free it (from
	 * another vector's callback, for example), and a free takes its
	 * vector off the list.
	 */
	while ((vec = list_first_entry_or_null(&idxd->ims_vecs, struct idxd_ims_vec,
					       list))) {
		list_del_init(&vec->list);
		mutex_unlock(&idxd->ims_lock);
		if (vec->event)
			vec->event(vec, IDXD_IMS_EVENT_REMOVING, vec->ctx);
		else
			dev_warn(&idxd->pdev->dev, "IMS vector of slot %d still allocated\n",
				 vec->map.index);
		/* A release of its handle may still drain; it uses the vector until done */
		wait_event(idxd->ims_waitq, !READ_ONCE(vec->releasing));
		mutex_lock(&idxd->ims_lock);
		idxd_ims_vec_destroy(vec);
	}
	/* Frees of vectors already off the list, draining without the lock */
	while (idxd->ims_freeing) {
		mutex_unlock(&idxd->ims_lock);
		wait_event(idxd->ims_waitq, !READ_ONCE(idxd->ims_freeing));
		mutex_lock(&idxd->ims_lock);
	}
	list_for_each_entry_safe(vec, next, &idxd->ims_held, list) {
		list_del(&vec->list);
		idxd_ims_vec_free_slot(vec);
	}
	mutex_unlock(&idxd->ims_lock);
	mutex_unlock(&idxd->ims_revoke_lock);
	/* A retry queued before finds the IMS support disabled */
	cancel_delayed_work_sync(&idxd->ims_revoke_work);
	device_remove_ims_domain(&idxd->pdev->dev);
}

/**
 * idxd_ims_vec_alloc - Allocate an IMS vector for a work queue and a PASID
 * @wq:		The work queue whose descriptors will use the vector
 * @pasid:	The PASID the interrupt message is bound to, or
 *		%IOMMU_PASID_INVALID for a work queue without PASID
 * @event:	Optional: the owner's callback for the vector's events, see
 *		&enum idxd_ims_event
 * @ctx:	Handed to @event
 *
 * The device posts an IMS entry's message only for descriptors whose PASID
 * matches the entry: with PASID enable set and the same PASID, or, with
 * PASID enable clear, descriptors without PASID (a work queue whose
 * configuration has no PASID, as kernel work queues without a system
 * PASID). The PASID is encoded into the entry's control word when it is
 * set up, before its first message write. The vector belongs to the driver;
 * the caller holds it until idxd_ims_vec_free() or until its
 * %IDXD_IMS_EVENT_REMOVING. Its slot and Linux interrupt are
 * @vec->map.index and @vec->map.virq.
 *
 * Context: Process context, may sleep.
 * Return: The vector, or ERR_PTR(): -EOPNOTSUPP if the device has no usable
 * IMS table or is going away; -EINVAL for a PASID wider than the 20-bit
 * field; -ENOSPC when the table is full; -ENOMEM.
 */
struct idxd_ims_vec *idxd_ims_vec_alloc(struct idxd_wq *wq, u32 pasid,
					idxd_ims_event_fn event, void *ctx)
{
	struct idxd_device *idxd = wq->idxd;
	union msi_instance_cookie cookie = { };
	struct idxd_ims_vec *vec;
	struct msi_map map;

	if (pasid != IOMMU_PASID_INVALID)
		cookie = ims_pasid_cookie(pasid);
	vec = kzalloc_obj(*vec);
	if (!vec)
		return ERR_PTR(-ENOMEM);
	/* Serialized with idxd_ims_teardown(): no vector after it started */
	mutex_lock(&idxd->ims_lock);
	if (!idxd->ims_enabled) {
		mutex_unlock(&idxd->ims_lock);
		kfree(vec);
		return ERR_PTR(-EOPNOTSUPP);
	}
	map = device_ims_alloc_irq(&idxd->pdev->dev, MSI_ANY_INDEX, &cookie, NULL);
	if (map.index < 0) {
		mutex_unlock(&idxd->ims_lock);
		kfree(vec);
		return ERR_PTR(map.index);
	}
	vec->idxd = idxd;
	vec->wq = wq;
	vec->pasid = pasid;
	vec->map = map;
	vec->handle = INVALID_INT_HANDLE;
	vec->event = event;
	vec->ctx = ctx;
	list_add_tail(&vec->list, &idxd->ims_vecs);
	idxd->ims_in_use++;
	mutex_unlock(&idxd->ims_lock);
	return vec;
}
EXPORT_SYMBOL_NS_GPL(idxd_ims_vec_alloc, "IDXD");

/**
 * idxd_ims_vec_request_handle - Get the interrupt handle of an IMS vector
 * @vec:	The vector
 *
 * Issues REQUEST_INT_HANDLE with the IMS bit for the vector's slot (on
 * devices which do not use handles, the handle is the slot). Descriptors
 * submitted through an IMS portal (idxd_wq_ims_portal()) carry the handle,
 * which idxd_ims_vec_handle() returns. The request is serialized with
 * handle revocation, so the handle is never a revoked one.
 *
 * Context: Process context, may sleep.
 * Return: 0; -EBUSY if the vector has a handle already, its release is
 * still running, or the drain before that release failed (until the device
 * drops or revokes its handles); -EINVAL if the
 * device calls the slot invalid (0x41), -ENOSPC if it has no handle left
 * (0x42), -ENXIO for another command error.
 */
int idxd_ims_vec_request_handle(struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = vec->idxd;
	int rc = 0, handle = vec->map.index;

	mutex_lock(&idxd->ims_lock);
	if (vec->handle != INVALID_INT_HANDLE || vec->releasing || vec->undrained)
		rc = -EBUSY;
	else if (idxd->request_int_handles)
		rc = idxd_device_request_int_handle(idxd, vec->map.index, &handle,
						    IDXD_IRQ_IMS);
	if (!rc)
		vec->handle = handle;
	mutex_unlock(&idxd->ims_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(idxd_ims_vec_request_handle, "IDXD");

/**
 * idxd_ims_vec_handle - The current interrupt handle of an IMS vector
 * @vec:	The vector
 *
 * Context: Process context, may sleep.
 * Return: The handle, or INVALID_INT_HANDLE.
 */
int idxd_ims_vec_handle(struct idxd_ims_vec *vec)
{
	int handle;

	mutex_lock(&vec->idxd->ims_lock);
	handle = vec->handle;
	mutex_unlock(&vec->idxd->ims_lock);
	return handle;
}
EXPORT_SYMBOL_NS_GPL(idxd_ims_vec_handle, "IDXD");

/**
 * idxd_ims_vec_release_handle - Release the interrupt handle of an IMS vector
 * @vec:	The vector
 *
 * Drains the vector's PASID (its work queue for a vector without PASID), so
 * that no descriptor still carries the handle, then issues
 * RELEASE_INT_HANDLE with the IMS bit. Nothing if the vector has no handle.
 * The vector has no handle afterwards, also when the release failed. The
 * drain runs without the device's IMS lock and waits for the device for at
 * most a few seconds; when it fails, the handle is not released (a
 * descriptor may still carry it), and the vector's slot, once freed, is
 * not reused until the device drops or revokes its handles.
 *
 * Context: Process context, may sleep.
 * Return: 0; -ETIMEDOUT if the device did not answer the drain or the
 * release in time; -ENXIO if it is halted, refused the drain or the
 * release, or was still busy with an earlier polled command at the drain;
 * -EBUSY if an earlier command which timed out still held the command
 * register at the drain or the release; -ENODEV if it is halted or gone at the
 * release; -EOPNOTSUPP if it has no RELEASE_INT_HANDLE (every failure is
 * logged).
 */
int idxd_ims_vec_release_handle(struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = vec->idxd;
	int rc;

	mutex_lock(&idxd->ims_lock);
	rc = idxd_ims_vec_put_handle(vec);
	mutex_unlock(&idxd->ims_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(idxd_ims_vec_release_handle, "IDXD");

/**
 * idxd_ims_vec_free - Free an IMS vector
 * @vec:	The vector; its interrupt handler must have been freed
 *
 * Releases the vector's interrupt handle if it still has one, as
 * idxd_ims_vec_release_handle() does, and frees the IMS entry and @vec.
 * Not to be called for a vector whose %IDXD_IMS_EVENT_REMOVING has
 * started: an owner serializes its frees with that event by holding the
 * PCI function's device lock (device_lock()) around them, as the driver
 * core holds it while idxd's remove delivers the event, or by a lock of
 * its own taken in both places. The vector leaves the device's list first,
 * so that teardown, a revocation or a reset do not see it while the drain
 * runs; teardown waits for the free to finish. When the drain failed, the
 * entry stays allocated until the device drops or revokes its handles (or
 * goes away).
 *
 * Context: Process context, may sleep.
 */
void idxd_ims_vec_free(struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = vec->idxd;

	mutex_lock(&idxd->ims_lock);
	list_del_init(&vec->list);
	idxd_ims_vec_destroy(vec);
	mutex_unlock(&idxd->ims_lock);
}
EXPORT_SYMBOL_NS_GPL(idxd_ims_vec_free, "IDXD");

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
EXPORT_SYMBOL_NS_GPL(idxd_wq_ims_portal, "IDXD");

/* A new handle for a vector which had one; ims_lock held */
static int idxd_ims_vec_renew_handle(struct idxd_ims_vec *vec)
{
	struct idxd_device *idxd = vec->idxd;
	int rc, handle;

	rc = idxd_device_request_int_handle(idxd, vec->map.index, &handle,
					    IDXD_IRQ_IMS);
	if (rc) {
		dev_warn(&idxd->pdev->dev, "IMS slot %d: no new handle: %d\n",
			 vec->map.index, rc);
		handle = INVALID_INT_HANDLE;
	}
	return handle;
}

/* The drain that covers @vec's descriptors: its PASID, or its work queue */
static unsigned long idxd_ims_drain_key(struct idxd_ims_vec *vec)
{
	return vec->pasid == IOMMU_PASID_INVALID ? BIT(20) + vec->wq->id : vec->pasid;
}

/*
 * Note the drain that covers @vec's descriptors, once per PASID (the entry
 * is the PASID) or work queue of vectors without PASID (the entry is the
 * work queue). False if there was no memory to note it.
 */
static bool idxd_ims_note_drain(struct xarray *drains, struct idxd_ims_vec *vec)
{
	void *entry = vec->pasid == IOMMU_PASID_INVALID ? (void *)vec->wq :
		      xa_mk_value(vec->pasid);

	return !xa_err(xa_store(drains, idxd_ims_drain_key(vec), entry, GFP_KERNEL));
}

/* Run the noted drains; those that succeeded are erased. False if any failed. */
static bool idxd_ims_run_drains(struct idxd_device *idxd, struct xarray *drains)
{
	unsigned long timeout = idxd->ims_drain_timeout;
	unsigned long key;
	bool drained = true;
	void *entry;
	int rc;

	xa_for_each(drains, key, entry) {
		if (xa_is_value(entry))
			rc = idxd_device_drain_pasid_timeout(idxd, xa_to_value(entry), timeout);
		else
			rc = idxd_wq_drain_timeout(entry, timeout);
		if (rc)
			drained = false;
		else
			xa_erase(drains, key);
	}
	return drained;
}

/*
 * The second half of a revocation, also retried by ims_revoke_work: drain
 * the PASIDs (work queues) of the vectors whose handle it changed, once
 * each and without ims_lock, then tell the owners of the vectors whose
 * drain succeeded. The others are told when a later try succeeds, or hear
 * HALTED or RESET instead (which clear @vec->revoked); after the last try
 * they are told anyway, with a warning. A device which is not enabled runs
 * no descriptor: nothing to drain. ims_revoke_lock held, so that
 * revocations, their retries and teardown do not interleave.
 */
static void idxd_ims_finish_revocation(struct idxd_device *idxd)
{
	bool noted = true, drained, give_up;
	struct idxd_ims_vec *vec;
	struct xarray drains;

	lockdep_assert_held(&idxd->ims_revoke_lock);
	xa_init(&drains);
	mutex_lock(&idxd->ims_lock);
	if (!idxd->ims_enabled) {
		mutex_unlock(&idxd->ims_lock);
		return;
	}
	list_for_each_entry(vec, &idxd->ims_vecs, list) {
		if (vec->revoked && !idxd_ims_note_drain(&drains, vec))
			noted = false;
	}
	mutex_unlock(&idxd->ims_lock);

	/* A device which is not enabled runs no descriptor */
	if (READ_ONCE(idxd->state) != IDXD_DEV_ENABLED) {
		xa_destroy(&drains);
		noted = true;
	}
	drained = idxd_ims_run_drains(idxd, &drains) && noted;
	give_up = !drained && ++idxd->ims_revoke_tries >= IDXD_IMS_REVOKE_TRIES;
	if (give_up)
		dev_warn(&idxd->pdev->dev,
			 "IMS: revoked handles not drained after %u tries, owners told anyway\n",
			 idxd->ims_revoke_tries);

	mutex_lock(&idxd->ims_lock);
	/* Without memory to note every drain, nobody is told: a retry will */
	list_for_each_entry(vec, &idxd->ims_vecs, list) {
		if (!vec->revoked ||
		    (!give_up && (!noted || xa_load(&drains, idxd_ims_drain_key(vec)))))
			continue;
		vec->revoked = false;
		if (vec->event)
			vec->event(vec, IDXD_IMS_EVENT_REVOKED, vec->ctx);
	}
	mutex_unlock(&idxd->ims_lock);
	xa_destroy(&drains);
	if (!drained && !give_up)
		schedule_delayed_work(&idxd->ims_revoke_work,
				      msecs_to_jiffies(IDXD_IMS_REVOKE_RETRY_MS));
}

static void idxd_ims_revoke_retry(struct work_struct *work)
{
	struct idxd_device *idxd = container_of(to_delayed_work(work), struct idxd_device,
						ims_revoke_work);

	mutex_lock(&idxd->ims_revoke_lock);
	idxd_ims_finish_revocation(idxd);
	mutex_unlock(&idxd->ims_revoke_lock);
}

/**
 * idxd_ims_revoke_handles - Re-request the IMS handles after a revocation
 * @idxd:	The device
 *
 * Called from the handle revocation work (INTCAUSE bit 31), after the
 * MSI-X handles. Like those, every IMS vector with a handle gets a new one,
 * or none if the device has none left. Once every handle is renewed, each
 * PASID (work queue, for vectors without PASID) of a vector whose handle
 * changed is drained, once, without the device's IMS lock and with a
 * timeout, so that every descriptor which carried a revoked handle has
 * completed (with status 0x19, invalid interrupt handle, and without an
 * interrupt), and then the owners of those vectors get
 * %IDXD_IMS_EVENT_REVOKED. When a drain fails (no answer in time, or an
 * earlier command still active), its owners are told only once a retry,
 * every second, has drained it, or get %IDXD_IMS_EVENT_HALTED or
 * %IDXD_IMS_EVENT_RESET instead if the device halts or is reset first;
 * after ten tries they are told anyway, with a warning. The
 * owner resubmits the descriptors which completed with 0x19 with the new
 * handle, or fails them when there is none. Revocations (and their
 * retries) are serialized with each other and with teardown.
 *
 * The callback runs with the device's IMS lock held: it must not call the
 * idxd_ims_*() functions nor wait for a lock its owner holds around them;
 * typically it queues work.
 */
void idxd_ims_revoke_handles(struct idxd_device *idxd)
{
	struct idxd_ims_vec *vec;
	int handle;

	if (!idxd->request_int_handles)
		return;
	mutex_lock(&idxd->ims_revoke_lock);
	idxd->ims_revoke_tries = 0;
	mutex_lock(&idxd->ims_lock);
	idxd_ims_handles_dropped(idxd, false);
	/* Every handle first, so that no owner keeps submitting a revoked one */
	list_for_each_entry(vec, &idxd->ims_vecs, list) {
		if (vec->handle == INVALID_INT_HANDLE)
			continue;
		handle = idxd_ims_vec_renew_handle(vec);
		if (handle == vec->handle)
			continue;
		vec->handle = handle;
		vec->revoked = true;
	}
	mutex_unlock(&idxd->ims_lock);
	/* Then each PASID (work queue) once, then the owners */
	idxd_ims_finish_revocation(idxd);
	mutex_unlock(&idxd->ims_revoke_lock);
}

/**
 * idxd_ims_reset_done - Tell the IMS vectors' owners that the device was reset
 * @idxd:	The device, reconfigured after a function level reset, or
 *		enabled again by the driver's recovery of a halt (software
 *		reset)
 *
 * The reset dropped every interrupt handle and every descriptor in flight.
 * After an FLR, which cleared the IMS table, the IMS core has restored the
 * entries (from pci_restore_state()). This requests a new handle for every
 * vector which had one before the reset or the halt which caused it (none
 * if the device has none left) and gives each owner %IDXD_IMS_EVENT_RESET,
 * under the same rules as idxd_ims_revoke_handles().
 * The owner resubmits what it had in flight once its work queue is
 * enabled again.
 */
void idxd_ims_reset_done(struct idxd_device *idxd)
{
	struct idxd_ims_vec *vec;

	mutex_lock(&idxd->ims_lock);
	idxd_ims_handles_dropped(idxd, true);
	list_for_each_entry(vec, &idxd->ims_vecs, list) {
		if (vec->handle != INVALID_INT_HANDLE || vec->lost_handle)
			vec->handle = idxd->request_int_handles ?
				      idxd_ims_vec_renew_handle(vec) : vec->map.index;
		vec->lost_handle = false;
		if (vec->event)
			vec->event(vec, IDXD_IMS_EVENT_RESET, vec->ctx);
	}
	mutex_unlock(&idxd->ims_lock);
}

/**
 * idxd_ims_halted - Tell the IMS vectors' owners that the device halted
 * @idxd:	The device, halted with a request for a reset of any type
 *
 * Called from the driver's work for the halt, before it resets the function
 * (FLR) or the device (software reset), or when the device waits for a
 * system reset. The device dropped every interrupt handle and every
 * descriptor in flight:
 * each vector loses its handle (idxd_ims_vec_handle() returns
 * INVALID_INT_HANDLE) and each owner gets %IDXD_IMS_EVENT_HALTED, under the
 * same rules as idxd_ims_revoke_handles(). idxd_ims_reset_done() gives the
 * vectors which had a handle a new one after the reset.
 */
void idxd_ims_halted(struct idxd_device *idxd)
{
	struct idxd_ims_vec *vec;

	mutex_lock(&idxd->ims_lock);
	idxd_ims_handles_dropped(idxd, true);
	list_for_each_entry(vec, &idxd->ims_vecs, list) {
		if (vec->handle != INVALID_INT_HANDLE) {
			vec->handle = INVALID_INT_HANDLE;
			vec->lost_handle = true;
		}
		if (vec->event)
			vec->event(vec, IDXD_IMS_EVENT_HALTED, vec->ctx);
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
