// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of idxd's IMS support on a real, probed device: completion
 * interrupts of descriptors this test builds and submits itself, through
 * the IMS portal of an enabled dedicated work queue without PASID, with
 * vectors and interrupt handles from idxd's IMS API.
 *
 * The work queue is configured and enabled beforehand, as a user would
 * (sysfs or accel-config); the module parameter "wq" names it. Without such
 * a work queue every case is skipped. Three suites:
 *
 * - idxd_ims_e2e: on "wq", of a device with interrupt handle commands;
 * - idxd_ims_e2e_no_handle_cmds: the same on "wq_no_handle_cmds", of a
 *   device without them (the handle is the IMS entry's index), and the
 *   drain that frees must do there;
 * - idxd_ims_e2e_halt: halts that ask for no FLR, on "wq"'s device after
 *   the first suite left it unconfigured; each case ends with a system
 *   reset of the function (unbind, FLR, probe). The cases need kernel context: the
 * interrupt handlers count per vector, descriptors go to a kernel mapping
 * of the portal with MOVDIR64B, and the reset and unbind cases call the PCI
 * core and the driver core directly.
 *
 * The revocation and halt cases need a way to make the device revoke its
 * handles or halt: QEMU's DSA model has one with x-test-control=on (BAR0
 * 0x1ff8: bit 0 revokes, bit 1 halts with the reset type of bits 3:2).
 * The unbind case must run last: the device comes back without
 * configuration.
 *
 * Why KUnit on the probed device rather than a test module driven from
 * user space: every check needs kernel context (per-vector interrupt
 * handlers, MOVDIR64B to a kernel mapping of the portal, the PCI and driver
 * core calls), and KUnit reports one named result per behaviour.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/iommu.h>
#include <linux/irq.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <uapi/linux/idxd.h>
#include "idxd.h"
#include "registers.h"

static char *wq_name = "wq0.0";
module_param_named(wq, wq_name, charp, 0444);
MODULE_PARM_DESC(wq, "The enabled dedicated work queue without PASID to use");

static char *wq_nohc_name = "";
module_param_named(wq_no_handle_cmds, wq_nohc_name, charp, 0444);
MODULE_PARM_DESC(wq_no_handle_cmds,
		 "An enabled dedicated work queue without PASID of a device without interrupt handle commands");

#define E2E_VECS		3
#define E2E_XFER		4096
#define E2E_TIMEOUT_MS		2000
#define E2E_SETTLE_MS		100
/* The QEMU model's test control (x-test-control=on); not architected */
#define E2E_TEST_CONTROL	0x1ff8
#define E2E_TEST_REVOKE		0x1
#define E2E_TEST_HALT		0x2
#define E2E_HALT_RESET_SHIFT	2		/* GENSTS reset type */
#define E2E_SWERR_IMS_PASID	0x1c

struct e2e_vec {
	struct idxd_ims_vec	*vec;
	int			virq;
	bool			irq_requested;
	atomic_t		irqs;
	atomic_t		events[IDXD_IMS_EVENT_REMOVING + 1];
	wait_queue_head_t	wait;
};

struct e2e {
	struct pci_dev		*pdev;
	struct idxd_device	*idxd;
	struct idxd_wq		*wq;
	void __iomem		*portal;
	struct dsa_completion_record *cr;
	dma_addr_t		cr_dma;
	u8			*buf;		/* source, then destination */
	dma_addr_t		buf_dma;
	struct e2e_vec		v[E2E_VECS];
};

static struct idxd_wq *e2e_find_wq(const char *name)
{
	struct device *dev = bus_find_device_by_name(&dsa_bus_type, NULL, name);

	if (!dev)
		return NULL;
	if (!is_idxd_wq_dev(confdev_to_idxd_dev(dev))) {
		put_device(dev);
		return NULL;
	}
	return confdev_to_wq(dev);
}

static irqreturn_t e2e_irq(int irq, void *data)
{
	struct e2e_vec *v = data;

	atomic_inc(&v->irqs);
	wake_up(&v->wait);
	return IRQ_HANDLED;
}

static void e2e_event(struct idxd_ims_vec *vec, enum idxd_ims_event event, void *ctx)
{
	struct e2e_vec *v = ctx;

	/* The owner's part of a removal: no handler may outlive the vector */
	if (event == IDXD_IMS_EVENT_REMOVING && v->irq_requested) {
		free_irq(v->virq, v);
		v->irq_requested = false;
		v->vec = NULL;
	}
	atomic_inc(&v->events[event]);
	wake_up(&v->wait);
}

/* An IMS vector with a handle and a requested interrupt */
static void e2e_vec_get(struct kunit *test, struct e2e_vec *v, u32 pasid)
{
	struct e2e *e = test->priv;
	int rc;

	v->vec = idxd_ims_vec_alloc(e->wq, pasid, e2e_event, v);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, v->vec);
	v->virq = v->vec->map.virq;
	KUNIT_ASSERT_EQ(test, idxd_ims_vec_request_handle(v->vec), 0);
	rc = request_irq(v->virq, e2e_irq, 0, "idxd-ims-e2e", v);
	KUNIT_ASSERT_EQ(test, rc, 0);
	v->irq_requested = true;
}

static void e2e_vec_put(struct e2e_vec *v)
{
	if (v->irq_requested)
		free_irq(v->virq, v);
	v->irq_requested = false;
	if (!IS_ERR_OR_NULL(v->vec))
		idxd_ims_vec_free(v->vec);
	v->vec = NULL;
}

static void __iomem *e2e_slot(struct e2e *e, struct e2e_vec *v)
{
	return e->idxd->reg_base + e->idxd->ims_offset + v->vec->map.index * 16;
}

/*
 * Submit one descriptor through the work queue's unlimited IMS portal with
 * @handle, completion record and interrupt requested, and wait for its
 * completion record. Returns the status, 0 if none came.
 */
static u8 e2e_submit(struct e2e *e, u8 opcode, int handle, u32 len)
{
	struct dsa_hw_desc desc = { };
	int i;

	memset(e->cr, 0, sizeof(*e->cr));
	desc.priv = 1;
	desc.opcode = opcode;
	desc.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_RCI;
	desc.completion_addr = e->cr_dma;
	desc.int_handle = handle;
	if (opcode == DSA_OPCODE_MEMMOVE) {
		desc.src_addr = e->buf_dma;
		desc.dst_addr = e->buf_dma + E2E_XFER;
		desc.xfer_size = len;
	}
	/* The descriptor and the record's clearing reach memory first */
	wmb();
	iosubmit_cmds512(e->portal, &desc, 1);
	for (i = 0; i < E2E_TIMEOUT_MS; i++) {
		u8 status = READ_ONCE(e->cr->status);

		if (status) {
			dma_rmb();
			return status;
		}
		usleep_range(1000, 2000);
	}
	return 0;
}

/* Wait until @v counted @n interrupts (or the timeout); returns the count */
static int e2e_wait_irqs(struct e2e_vec *v, int n)
{
	wait_event_timeout(v->wait, atomic_read(&v->irqs) >= n,
			   msecs_to_jiffies(E2E_TIMEOUT_MS));
	return atomic_read(&v->irqs);
}

/* The device of work queue @name, with IMS; the work queue's state unchecked */
static void e2e_init_device(struct kunit *test, const char *name)
{
	struct e2e *e;
	int i;

	e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e);
	test->priv = e;
	for (i = 0; i < E2E_VECS; i++)
		init_waitqueue_head(&e->v[i].wait);
	e->wq = e2e_find_wq(name);
	if (!e->wq)
		kunit_skip(test, "no work queue %s on the dsa bus", name);
	e->idxd = e->wq->idxd;
	e->pdev = e->idxd->pdev;
	pci_dev_get(e->pdev);
	if (!e->idxd->ims_enabled)
		kunit_skip(test, "%s has no usable IMS", dev_name(&e->pdev->dev));
}

static int e2e_init_wq(struct kunit *test, const char *name)
{
	struct e2e *e;

	e2e_init_device(test, name);
	e = test->priv;
	if (e->wq->state != IDXD_WQ_ENABLED || !wq_dedicated(e->wq))
		kunit_skip(test, "%s is not an enabled dedicated work queue", name);
	e->portal = ioremap(idxd_wq_ims_portal(e->wq, false), PAGE_SIZE);
	KUNIT_ASSERT_TRUE(test, e->portal);
	e->cr = dma_alloc_coherent(&e->pdev->dev, PAGE_SIZE, &e->cr_dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e->cr);
	e->buf = dma_alloc_coherent(&e->pdev->dev, 2 * E2E_XFER, &e->buf_dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e->buf);
	return 0;
}

static int e2e_init(struct kunit *test)
{
	return e2e_init_wq(test, wq_name);
}

/* The harness names a device without the commands: assert that it is one */
static int e2e_nohc_init(struct kunit *test)
{
	struct e2e *e;

	e2e_init_wq(test, wq_nohc_name);
	e = test->priv;
	KUNIT_ASSERT_FALSE_MSG(test, e->idxd->request_int_handles,
			       "%s has interrupt handle commands", wq_nohc_name);
	return 0;
}

static int e2e_halt_init(struct kunit *test)
{
	e2e_init_device(test, wq_name);
	return 0;
}

static void e2e_exit(struct kunit *test)
{
	struct e2e *e = test->priv;
	int i;

	if (!e)
		return;
	for (i = 0; i < E2E_VECS; i++)
		e2e_vec_put(&e->v[i]);
	if (e->buf)
		dma_free_coherent(&e->pdev->dev, 2 * E2E_XFER, e->buf, e->buf_dma);
	if (e->cr)
		dma_free_coherent(&e->pdev->dev, PAGE_SIZE, e->cr, e->cr_dma);
	if (e->portal)
		iounmap(e->portal);
	if (e->wq)
		put_device(wq_confdev(e->wq));
	pci_dev_put(e->pdev);
}

/*
 * NOOP and MEMMOVE through the IMS portal: each completion interrupt
 * arrives exactly once, on the vector whose handle the descriptor carries.
 */
static void ims_e2e_noop_memmove(struct kunit *test)
{
	struct e2e *e = test->priv;
	int i, j, irqs;

	for (i = 0; i < E2E_VECS; i++) {
		e2e_vec_get(test, &e->v[i], IOMMU_PASID_INVALID);
		/* no PASID: PASID enable clear, the entry unmasked */
		KUNIT_EXPECT_EQ(test, ioread32(e2e_slot(e, &e->v[i]) + 12), 0);
		/* without handle commands the handle is the entry's index */
		if (!e->idxd->request_int_handles)
			KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(e->v[i].vec),
					e->v[i].vec->map.index);
	}
	for (i = 0; i < E2E_VECS; i++) {
		KUNIT_EXPECT_EQ(test, e2e_submit(e, DSA_OPCODE_NOOP,
						 idxd_ims_vec_handle(e->v[i].vec), 0),
				DSA_COMP_SUCCESS);
		KUNIT_EXPECT_EQ(test, e2e_wait_irqs(&e->v[i], 1), 1);

		memset(e->buf, 0, 2 * E2E_XFER);
		for (j = 0; j < E2E_XFER; j++)
			e->buf[j] = j * 7 + i;
		KUNIT_EXPECT_EQ(test, e2e_submit(e, DSA_OPCODE_MEMMOVE,
						 idxd_ims_vec_handle(e->v[i].vec), E2E_XFER),
				DSA_COMP_SUCCESS);
		KUNIT_EXPECT_EQ(test, e->cr->bytes_completed, E2E_XFER);
		KUNIT_EXPECT_EQ(test, memcmp(e->buf, e->buf + E2E_XFER, E2E_XFER), 0);
		KUNIT_EXPECT_EQ(test, e2e_wait_irqs(&e->v[i], 2), 2);
	}
	msleep(E2E_SETTLE_MS);
	for (i = 0; i < E2E_VECS; i++) {
		irqs = atomic_read(&e->v[i].irqs);
		KUNIT_EXPECT_EQ_MSG(test, irqs, 2, "vector %d (slot %d)", i,
				    e->v[i].vec->map.index);
	}
}

/*
 * A masked entry holds the completion interrupt pending in the device;
 * unmasking delivers it once.
 */
static void ims_e2e_mask_unmask(struct kunit *test)
{
	struct e2e *e = test->priv;
	struct e2e_vec *v = &e->v[0];

	e2e_vec_get(test, v, IOMMU_PASID_INVALID);
	/* disable_irq() masks the entry at once, not at the next interrupt */
	irq_set_status_flags(v->virq, IRQ_DISABLE_UNLAZY);
	disable_irq(v->virq);
	KUNIT_EXPECT_EQ(test, ioread32(e2e_slot(e, v) + 12) & BIT(0), 1);
	KUNIT_EXPECT_EQ(test, e2e_submit(e, DSA_OPCODE_NOOP,
					 idxd_ims_vec_handle(v->vec), 0),
			DSA_COMP_SUCCESS);
	msleep(E2E_SETTLE_MS);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->irqs), 0);
	enable_irq(v->virq);
	KUNIT_EXPECT_EQ(test, ioread32(e2e_slot(e, v) + 12) & BIT(0), 0);
	KUNIT_EXPECT_EQ(test, e2e_wait_irqs(v, 1), 1);
	msleep(E2E_SETTLE_MS);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->irqs), 1);
	irq_clear_status_flags(v->virq, IRQ_DISABLE_UNLAZY);
}

/*
 * An entry bound to a PASID, used by a work queue without PASID: the device
 * posts nothing and reports the mismatch as a software error, which idxd
 * reads and logs.
 */
static void ims_e2e_pasid_mismatch(struct kunit *test)
{
	struct e2e *e = test->priv;
	struct e2e_vec *v = &e->v[0];
	union sw_err_reg swerr;
	int i;

	e2e_vec_get(test, v, 5);
	KUNIT_EXPECT_EQ(test, ioread32(e2e_slot(e, v) + 12), BIT(3) | 5 << 12);
	spin_lock_irq(&e->idxd->dev_lock);
	memset(&e->idxd->sw_err, 0, sizeof(e->idxd->sw_err));
	spin_unlock_irq(&e->idxd->dev_lock);
	KUNIT_EXPECT_EQ(test, e2e_submit(e, DSA_OPCODE_NOOP,
					 idxd_ims_vec_handle(v->vec), 0),
			DSA_COMP_SUCCESS);
	for (i = 0; i < E2E_TIMEOUT_MS / 10; i++) {
		spin_lock_irq(&e->idxd->dev_lock);
		swerr = e->idxd->sw_err;
		spin_unlock_irq(&e->idxd->dev_lock);
		if (swerr.valid)
			break;
		usleep_range(10000, 20000);
	}
	KUNIT_EXPECT_TRUE(test, (bool)swerr.valid);
	KUNIT_EXPECT_EQ(test, (u32)swerr.error, E2E_SWERR_IMS_PASID);
	msleep(E2E_SETTLE_MS);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->irqs), 0);
}

/*
 * The device revokes every handle: the owner is told, the vector has a new
 * handle, the revoked one completes with 0x19 and no interrupt, and the
 * new one works.
 */
static void ims_e2e_revocation(struct kunit *test)
{
	struct e2e *e = test->priv;
	struct e2e_vec *v = &e->v[0];
	int old, new;

	if (!e->idxd->request_int_handles)
		kunit_skip(test, "the device has no interrupt handle commands");
	e2e_vec_get(test, v, IOMMU_PASID_INVALID);
	old = idxd_ims_vec_handle(v->vec);
	iowrite32(E2E_TEST_REVOKE, e->idxd->reg_base + E2E_TEST_CONTROL);
	wait_event_timeout(v->wait, atomic_read(&v->events[IDXD_IMS_EVENT_REVOKED]),
			   msecs_to_jiffies(E2E_TIMEOUT_MS));
	KUNIT_ASSERT_EQ(test, atomic_read(&v->events[IDXD_IMS_EVENT_REVOKED]), 1);
	new = idxd_ims_vec_handle(v->vec);
	KUNIT_EXPECT_NE(test, new, INVALID_INT_HANDLE);
	KUNIT_EXPECT_NE(test, new, old);

	KUNIT_EXPECT_EQ(test, e2e_submit(e, DSA_OPCODE_NOOP, old, 0),
			DSA_COMP_INT_HANDLE_INVAL);
	msleep(E2E_SETTLE_MS);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->irqs), 0);
	KUNIT_EXPECT_EQ(test, e2e_submit(e, DSA_OPCODE_NOOP, new, 0), DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, e2e_wait_irqs(v, 1), 1);
	msleep(E2E_SETTLE_MS);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->irqs), 1);
}

/* The four dwords of @v's IMS entry */
static void e2e_entry_read(struct e2e *e, struct e2e_vec *v, u32 words[4])
{
	int i;

	for (i = 0; i < 4; i++)
		words[i] = ioread32(e2e_slot(e, v) + 4 * i);
}

/* @v's IMS entry holds @words again (restored after a reset) */
static void e2e_entry_expect(struct kunit *test, struct e2e *e, struct e2e_vec *v,
			     const u32 words[4])
{
	int i;

	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ_MSG(test, ioread32(e2e_slot(e, v) + 4 * i), words[i],
				    "IMS entry dword %d", i);
}

/*
 * After a reset: the work queue is enabled again (idxd re-enables only
 * user work queues itself), and a NOOP through @v's new handle completes
 * with exactly one interrupt.
 */
static void e2e_after_reset_irq_once(struct kunit *test, struct e2e *e, struct e2e_vec *v)
{
	struct device_driver *drv;

	if (e->wq->state != IDXD_WQ_ENABLED) {
		drv = driver_find("dmaengine", &dsa_bus_type);
		KUNIT_ASSERT_NOT_NULL(test, drv);
		KUNIT_ASSERT_EQ(test, device_driver_attach(drv, wq_confdev(e->wq)), 0);
	}
	KUNIT_ASSERT_EQ(test, e->wq->state, IDXD_WQ_ENABLED);
	KUNIT_EXPECT_EQ(test, e2e_submit(e, DSA_OPCODE_NOOP,
					 idxd_ims_vec_handle(v->vec), 0),
			DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, e2e_wait_irqs(v, 1), 1);
	msleep(E2E_SETTLE_MS);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->irqs), 1);
}

/*
 * A function level reset clears the device's IMS table and handles: the
 * IMS core restores the entry, idxd gives the vector a new handle and tells
 * its owner, and once the work queue is enabled again the completion
 * interrupt arrives.
 */
static void ims_e2e_flr(struct kunit *test)
{
	struct e2e *e = test->priv;
	struct e2e_vec *v = &e->v[0];
	u32 before[4];

	e2e_vec_get(test, v, IOMMU_PASID_INVALID);
	e2e_entry_read(e, v, before);
	KUNIT_ASSERT_EQ(test, pci_reset_function(e->pdev), 0);
	e2e_entry_expect(test, e, v, before);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->events[IDXD_IMS_EVENT_RESET]), 1);
	KUNIT_EXPECT_NE(test, idxd_ims_vec_handle(v->vec), INVALID_INT_HANDLE);

	e2e_after_reset_irq_once(test, e, v);
}

/*
 * The device halts and asks for an FLR: the owner hears HALTED (no handle)
 * and then RESET from the reset idxd does, the entry is restored and has a
 * new handle, and once the work queue is enabled again the interrupt
 * arrives.
 */
static void ims_e2e_halt_flr(struct kunit *test)
{
	struct e2e *e = test->priv;
	struct e2e_vec *v = &e->v[0];
	u32 before[4];

	e2e_vec_get(test, v, IOMMU_PASID_INVALID);
	e2e_entry_read(e, v, before);
	iowrite32(E2E_TEST_HALT | IDXD_DEVICE_RESET_FLR << E2E_HALT_RESET_SHIFT,
		  e->idxd->reg_base + E2E_TEST_CONTROL);
	wait_event_timeout(v->wait, atomic_read(&v->events[IDXD_IMS_EVENT_RESET]),
			   msecs_to_jiffies(5 * E2E_TIMEOUT_MS));
	KUNIT_EXPECT_EQ(test, atomic_read(&v->events[IDXD_IMS_EVENT_HALTED]), 1);
	KUNIT_ASSERT_EQ(test, atomic_read(&v->events[IDXD_IMS_EVENT_RESET]), 1);
	/* The reset work ends after the event: wait for it before rebinding */
	flush_workqueue(e->idxd->wq);
	e2e_entry_expect(test, e, v, before);
	KUNIT_EXPECT_NE(test, idxd_ims_vec_handle(v->vec), INVALID_INT_HANDLE);
	e2e_after_reset_irq_once(test, e, v);
}

/*
 * Unbinding the PCI driver with live vectors: each owner is told and frees
 * its handler, the vectors and their interrupts are gone, the entries are
 * masked; after rebinding the device has an empty IMS domain that works.
 */
static void ims_e2e_unbind_rebind(struct kunit *test)
{
	struct e2e *e = test->priv;
	struct pci_dev *pdev = e->pdev;
	void __iomem *ims = e->idxd->reg_base + e->idxd->ims_offset;
	struct idxd_ims_vec *vec;
	struct idxd_device *idxd;
	int i, virq[2], slot[2];
	struct idxd_wq *wq;

	for (i = 0; i < 2; i++) {
		e2e_vec_get(test, &e->v[i], IOMMU_PASID_INVALID);
		virq[i] = e->v[i].virq;
		slot[i] = e->v[i].vec->map.index;
	}
	/* The work queue goes away with the driver: no reference may stay */
	iounmap(e->portal);
	e->portal = NULL;
	dma_free_coherent(&pdev->dev, 2 * E2E_XFER, e->buf, e->buf_dma);
	e->buf = NULL;
	dma_free_coherent(&pdev->dev, PAGE_SIZE, e->cr, e->cr_dma);
	e->cr = NULL;
	put_device(wq_confdev(e->wq));
	e->wq = NULL;

	/* BAR0 stays mapped here, for reading the entries after the unbind */
	ims = ioremap(pci_resource_start(pdev, IDXD_MMIO_BAR) + e->idxd->ims_offset,
		      e->idxd->ims_size * 16);
	KUNIT_ASSERT_TRUE(test, ims);
	/* The device and its work queue are enabled, the vectors live */
	KUNIT_EXPECT_EQ(test, e->idxd->ims_in_use, 2);
	device_release_driver(&pdev->dev);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&e->v[i].events[IDXD_IMS_EVENT_REMOVING]), 1);
		KUNIT_EXPECT_FALSE(test, e->v[i].irq_requested);
		KUNIT_EXPECT_NULL(test, irq_get_msi_desc(virq[i]));
	}
	KUNIT_EXPECT_NULL(test, pci_get_drvdata(pdev));

	KUNIT_ASSERT_GE(test, device_attach(&pdev->dev), 1);
	idxd = pci_get_drvdata(pdev);
	KUNIT_ASSERT_NOT_NULL(test, idxd);
	KUNIT_EXPECT_TRUE(test, idxd->ims_enabled);
	KUNIT_EXPECT_EQ(test, idxd->ims_in_use, 0);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, ioread32(ims + slot[i] * 16 + 12) & BIT(0), 1);
	iounmap(ims);

	/* The new domain works: a vector, its entry, its release */
	wq = idxd->wqs[0];
	vec = idxd_ims_vec_alloc(wq, IOMMU_PASID_INVALID, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec);
	KUNIT_EXPECT_EQ(test, idxd->ims_in_use, 1);
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_request_handle(vec), 0);
	idxd_ims_vec_free(vec);
	KUNIT_EXPECT_EQ(test, idxd->ims_in_use, 0);
}

/* The device's last command (CMD register): code and operand */
static void e2e_last_cmd(struct e2e *e, u32 *code, u32 *operand)
{
	union idxd_command_reg cmd;

	cmd.bits = ioread32(e->idxd->reg_base + IDXD_CMD_OFFSET);
	*code = cmd.cmd;
	*operand = cmd.operand;
}

/*
 * Freeing a vector on a device without interrupt handle commands releases
 * no handle, but must still drain what may name its entry before the entry
 * is reused: its PASID (DRAIN_PASID) or, without PASID, its work queue
 * (DRAIN_WQ). The device's CMD register shows the last command idxd ran.
 */
static void ims_e2e_free_drains(struct kunit *test)
{
	struct e2e *e = test->priv;
	struct e2e_vec *v = &e->v[0];
	u32 code, operand;

	/* A PASID no earlier command named */
	e2e_vec_get(test, v, 9);
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(v->vec), v->vec->map.index);
	e2e_vec_put(v);
	e2e_last_cmd(e, &code, &operand);
	KUNIT_EXPECT_EQ(test, code, IDXD_CMD_DRAIN_PASID);
	KUNIT_EXPECT_EQ(test, operand, 9);

	e2e_vec_get(test, v, IOMMU_PASID_INVALID);
	KUNIT_EXPECT_EQ(test, e2e_submit(e, DSA_OPCODE_NOOP,
					 idxd_ims_vec_handle(v->vec), 0),
			DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, e2e_wait_irqs(v, 1), 1);
	e2e_vec_put(v);
	e2e_last_cmd(e, &code, &operand);
	KUNIT_EXPECT_EQ(test, code, IDXD_CMD_DRAIN_WQ);
	KUNIT_EXPECT_EQ(test, operand, BIT(e->wq->id % 16) | (e->wq->id / 16) << 16);
}

/*
 * The device halts and asks for no FLR but for @reset_type (software
 * reset, warm or cold system reset): the owner hears HALTED, the vector
 * has no handle, and nothing restores it (idxd refuses commands on a
 * halted device). A system reset of the function follows: unbind, FLR,
 * probe; the device is back with an empty IMS domain.
 */
static void e2e_halt_no_flr(struct kunit *test, u32 reset_type)
{
	struct e2e *e = test->priv;
	struct e2e_vec *v = &e->v[0];
	struct pci_dev *pdev = e->pdev;
	struct idxd_device *idxd = e->idxd;
	union gensts_reg gensts;

	e2e_vec_get(test, v, IOMMU_PASID_INVALID);
	KUNIT_ASSERT_NE(test, idxd_ims_vec_handle(v->vec), INVALID_INT_HANDLE);
	iowrite32(E2E_TEST_HALT | reset_type << E2E_HALT_RESET_SHIFT,
		  idxd->reg_base + E2E_TEST_CONTROL);
	wait_event_timeout(v->wait, atomic_read(&v->events[IDXD_IMS_EVENT_HALTED]),
			   msecs_to_jiffies(5 * E2E_TIMEOUT_MS));
	/* idxd's recovery attempt (software reset) ends first */
	flush_workqueue(idxd->wq);
	gensts.bits = ioread32(idxd->reg_base + IDXD_GENSTATS_OFFSET);
	KUNIT_EXPECT_EQ(test, (u32)gensts.state, IDXD_DEVICE_STATE_HALT);
	KUNIT_EXPECT_EQ(test, (u32)gensts.reset_type, reset_type);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->events[IDXD_IMS_EVENT_HALTED]), 1);
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(v->vec), INVALID_INT_HANDLE);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->events[IDXD_IMS_EVENT_RESET]), 0);
	e2e_vec_put(v);

	/* The system reset of the function */
	put_device(wq_confdev(e->wq));
	e->wq = NULL;
	device_release_driver(&pdev->dev);
	KUNIT_ASSERT_EQ(test, pci_reset_function(pdev), 0);
	KUNIT_ASSERT_GE(test, device_attach(&pdev->dev), 1);
	idxd = pci_get_drvdata(pdev);
	KUNIT_ASSERT_NOT_NULL(test, idxd);
	gensts.bits = ioread32(idxd->reg_base + IDXD_GENSTATS_OFFSET);
	KUNIT_EXPECT_NE(test, (u32)gensts.state, IDXD_DEVICE_STATE_HALT);
	KUNIT_EXPECT_TRUE(test, idxd->ims_enabled);
	KUNIT_EXPECT_EQ(test, idxd->ims_in_use, 0);
}

static void ims_e2e_halt_software_reset(struct kunit *test)
{
	e2e_halt_no_flr(test, IDXD_DEVICE_RESET_SOFTWARE);
}

static void ims_e2e_halt_warm_reset(struct kunit *test)
{
	e2e_halt_no_flr(test, IDXD_DEVICE_RESET_WARM);
}

static void ims_e2e_halt_cold_reset(struct kunit *test)
{
	e2e_halt_no_flr(test, IDXD_DEVICE_RESET_COLD);
}

static struct kunit_case ims_e2e_cases[] = {
	KUNIT_CASE(ims_e2e_noop_memmove),
	KUNIT_CASE(ims_e2e_mask_unmask),
	KUNIT_CASE(ims_e2e_pasid_mismatch),
	KUNIT_CASE(ims_e2e_revocation),
	KUNIT_CASE(ims_e2e_flr),
	KUNIT_CASE(ims_e2e_halt_flr),
	/* last: the device comes back unconfigured */
	KUNIT_CASE(ims_e2e_unbind_rebind),
	{}
};

static struct kunit_suite ims_e2e_suite = {
	.name = "idxd_ims_e2e",
	.init = e2e_init,
	.exit = e2e_exit,
	.test_cases = ims_e2e_cases,
};

/* The same on a device without interrupt handle commands; no revocation */
static struct kunit_case ims_e2e_nohc_cases[] = {
	KUNIT_CASE(ims_e2e_noop_memmove),
	KUNIT_CASE(ims_e2e_mask_unmask),
	KUNIT_CASE(ims_e2e_pasid_mismatch),
	KUNIT_CASE(ims_e2e_free_drains),
	KUNIT_CASE(ims_e2e_flr),
	KUNIT_CASE(ims_e2e_halt_flr),
	/* last: the device comes back unconfigured */
	KUNIT_CASE(ims_e2e_unbind_rebind),
	{}
};

static struct kunit_suite ims_e2e_nohc_suite = {
	.name = "idxd_ims_e2e_no_handle_cmds",
	.init = e2e_nohc_init,
	.exit = e2e_exit,
	.test_cases = ims_e2e_nohc_cases,
};

/* After idxd_ims_e2e: its unbind case left the device unconfigured */
static struct kunit_case ims_e2e_halt_cases[] = {
	KUNIT_CASE(ims_e2e_halt_software_reset),
	KUNIT_CASE(ims_e2e_halt_warm_reset),
	KUNIT_CASE(ims_e2e_halt_cold_reset),
	{}
};

static struct kunit_suite ims_e2e_halt_suite = {
	.name = "idxd_ims_e2e_halt",
	.init = e2e_halt_init,
	.exit = e2e_exit,
	.test_cases = ims_e2e_halt_cases,
};

kunit_test_suites(&ims_e2e_suite, &ims_e2e_nohc_suite, &ims_e2e_halt_suite);

MODULE_DESCRIPTION("KUnit tests of idxd's IMS support on a probed device");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("IDXD");
