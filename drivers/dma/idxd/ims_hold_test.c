// SPDX-License-Identifier: GPL-2.0
/*
 * A test client of idxd's IMS API with its own module init and exit: it
 * holds IMS vectors of a work queue from its load to its unload, so that
 * unloading idxd, unbinding the device and unloading the client can be
 * tested with live vectors (tests/guest/dsa_ims_unload.c). The KUnit
 * module idxd_ims_e2e cannot be that client: KUnit owns its init and exit.
 *
 * At load it allocates "nr" vectors on the enabled dedicated work queue
 * "wq" (without PASID), gets their interrupt handles, requests their
 * interrupts and proves each one live: a NOOP descriptor with the vector's
 * handle, submitted through the work queue's IMS portal, completes and
 * raises that vector's interrupt, once. Otherwise the load fails with
 * everything undone: -ENODEV without such a work queue or device, -EINVAL
 * for a work queue that is not an enabled dedicated one or a bad "nr",
 * idxd's error for the vectors and handles, -ETIMEDOUT when a completion
 * or its interrupt does not come, -EIO when the NOOP fails.
 *
 * The vectors stay held until the module is unloaded or the device goes
 * away (%IDXD_IMS_EVENT_REMOVING: the handler is freed, idxd frees the
 * vector). The read-only parameter "held" says how many are held.
 *
 * idxd delivers REMOVING from its PCI remove callback, under the device
 * lock; the client allocates and frees under that lock too, so that it
 * never frees a vector whose REMOVING has started.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <uapi/linux/idxd.h>
#include "idxd.h"
#include "registers.h"

#define HOLD_MAX_VECS		16
#define HOLD_TIMEOUT_MS		2000

static char *wq_name = "wq0.0";
module_param_named(wq, wq_name, charp, 0444);
MODULE_PARM_DESC(wq, "The enabled dedicated work queue without PASID to hold vectors of");

static unsigned int nr_vecs = 3;
module_param_named(nr, nr_vecs, uint, 0444);
MODULE_PARM_DESC(nr, "How many IMS vectors to hold (1 to 16)");

struct hold_vec {
	struct idxd_ims_vec	*vec;		/* NULL once freed */
	int			virq;
	bool			irq_requested;
	atomic_t		irqs;
	wait_queue_head_t	wait;
};

static struct pci_dev *hold_pdev;
static struct hold_vec hold_vecs[HOLD_MAX_VECS];

static int hold_held_get(char *buf, const struct kernel_param *kp)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(hold_vecs); i++)
		n += !!READ_ONCE(hold_vecs[i].vec);
	return sysfs_emit(buf, "%u\n", n);
}

static int hold_held_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops hold_held_ops = {
	.get	= hold_held_get,
	.set	= hold_held_set,
};
module_param_cb(held, &hold_held_ops, NULL, 0444);
MODULE_PARM_DESC(held, "How many IMS vectors the module holds (read only)");

static irqreturn_t hold_irq(int irq, void *data)
{
	struct hold_vec *h = data;

	atomic_inc(&h->irqs);
	wake_up(&h->wait);
	return IRQ_HANDLED;
}

/* Device lock held; nothing if idxd freed the vector already */
static void hold_vec_put(struct hold_vec *h)
{
	if (h->irq_requested)
		free_irq(h->virq, h);
	h->irq_requested = false;
	if (h->vec)
		idxd_ims_vec_free(h->vec);
	WRITE_ONCE(h->vec, NULL);
}

static void hold_event(struct idxd_ims_vec *vec, enum idxd_ims_event event, void *ctx)
{
	struct hold_vec *h = ctx;

	/* The vector stays held across revocations, halts and resets */
	if (event != IDXD_IMS_EVENT_REMOVING)
		return;
	/* From idxd's remove, under the device lock: idxd frees the vector */
	device_lock_assert(&hold_pdev->dev);
	if (h->irq_requested)
		free_irq(h->virq, h);
	h->irq_requested = false;
	WRITE_ONCE(h->vec, NULL);
}

static int hold_vec_get(struct hold_vec *h, struct idxd_wq *wq)
{
	struct idxd_ims_vec *vec;
	int rc;

	vec = idxd_ims_vec_alloc(wq, IOMMU_PASID_INVALID, hold_event, h);
	if (IS_ERR(vec))
		return PTR_ERR(vec);
	WRITE_ONCE(h->vec, vec);
	h->virq = vec->map.virq;
	rc = idxd_ims_vec_request_handle(vec);
	if (rc)
		return rc;
	rc = request_irq(h->virq, hold_irq, 0, "idxd-ims-hold", h);
	if (rc)
		return rc;
	h->irq_requested = true;
	return 0;
}

/*
 * A NOOP with @h's handle through the IMS @portal, with a completion record
 * and an interrupt requested: 0 once both came and the NOOP succeeded.
 */
static int hold_prove(struct hold_vec *h, void __iomem *portal,
		      struct dsa_completion_record *cr, dma_addr_t cr_dma)
{
	struct dsa_hw_desc desc = {
		.priv		= 1,
		.opcode		= DSA_OPCODE_NOOP,
		.flags		= IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_RCI,
		.completion_addr = cr_dma,
		.int_handle	= idxd_ims_vec_handle(h->vec),
	};
	int irqs = atomic_read(&h->irqs);

	memset(cr, 0, sizeof(*cr));
	/* The descriptor and the cleared record reach memory first */
	wmb();
	iosubmit_cmds512(portal, &desc, 1);
	/* The device writes the record before it raises the interrupt */
	if (!wait_event_timeout(h->wait, atomic_read(&h->irqs) > irqs,
				msecs_to_jiffies(HOLD_TIMEOUT_MS)))
		return -ETIMEDOUT;
	dma_rmb();
	return READ_ONCE(cr->status) == DSA_COMP_SUCCESS ? 0 : -EIO;
}

/* Device lock held: the vectors of @wq, each proven live */
static int hold_vecs_get(struct idxd_wq *wq)
{
	struct device *dev = &wq->idxd->pdev->dev;
	struct dsa_completion_record *cr;
	void __iomem *portal;
	dma_addr_t cr_dma;
	unsigned int i;
	int rc;

	portal = ioremap(idxd_wq_ims_portal(wq, false), PAGE_SIZE);
	if (!portal)
		return -ENOMEM;
	cr = dma_alloc_coherent(dev, sizeof(*cr), &cr_dma, GFP_KERNEL);
	if (!cr) {
		iounmap(portal);
		return -ENOMEM;
	}
	for (i = 0; i < nr_vecs; i++) {
		rc = hold_vec_get(&hold_vecs[i], wq);
		if (rc)
			goto fail;
	}
	for (i = 0; i < nr_vecs; i++) {
		rc = hold_prove(&hold_vecs[i], portal, cr, cr_dma);
		if (rc)
			goto fail;
	}
	/* Each interrupt on its own vector: none counted twice */
	for (i = 0; i < nr_vecs; i++) {
		if (atomic_read(&hold_vecs[i].irqs) != 1) {
			rc = -EIO;
			goto fail;
		}
	}
	goto out;
fail:
	dev_err(dev, "%s: IMS vector %u: %d\n", wq_name, i, rc);
	for (i = 0; i < nr_vecs; i++)
		hold_vec_put(&hold_vecs[i]);
out:
	dma_free_coherent(dev, sizeof(*cr), cr, cr_dma);
	iounmap(portal);
	return rc;
}

static int __init hold_init(void)
{
	struct idxd_device *idxd;
	struct idxd_wq *wq;
	struct device *dev;
	unsigned int i;
	int rc;

	if (!nr_vecs || nr_vecs > HOLD_MAX_VECS)
		return -EINVAL;
	for (i = 0; i < nr_vecs; i++)
		init_waitqueue_head(&hold_vecs[i].wait);
	dev = bus_find_device_by_name(&dsa_bus_type, NULL, wq_name);
	if (!dev)
		return -ENODEV;
	if (!is_idxd_wq_dev(confdev_to_idxd_dev(dev))) {
		rc = -ENODEV;
		goto put_wq;
	}
	/* The work queue's reference keeps its device's memory */
	wq = confdev_to_wq(dev);
	idxd = wq->idxd;
	hold_pdev = pci_dev_get(idxd->pdev);
	device_lock(&hold_pdev->dev);
	if (pci_get_drvdata(hold_pdev) != idxd)
		rc = -ENODEV;		/* unbound since the lookup */
	else if (wq->state != IDXD_WQ_ENABLED || !wq_dedicated(wq))
		rc = -EINVAL;
	else
		rc = hold_vecs_get(wq);
	device_unlock(&hold_pdev->dev);
	if (rc) {
		pci_dev_put(hold_pdev);
		hold_pdev = NULL;
	}
put_wq:
	put_device(dev);
	return rc;
}
module_init(hold_init);

static void __exit hold_exit(void)
{
	unsigned int i;

	device_lock(&hold_pdev->dev);
	for (i = 0; i < nr_vecs; i++)
		hold_vec_put(&hold_vecs[i]);
	device_unlock(&hold_pdev->dev);
	pci_dev_put(hold_pdev);
}
module_exit(hold_exit);

MODULE_DESCRIPTION("Test client holding idxd IMS vectors across unload and unbind");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("IDXD");
