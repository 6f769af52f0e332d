// SPDX-License-Identifier: GPL-2.0
/*
 * ims-edu-mdev: a mediated device sample whose guest MSI-X vectors are host
 * IMS vectors of the parent edu device.
 *
 * The parent is a physical edu device driven by the ims-edu sample driver,
 * which gives it an interrupt message store (IMS) and creates the auxiliary
 * device "ims_edu.vfio" that this driver binds to. The parent then offers
 * two mdev types below its PCI device, "ims-edu-vec4" and
 * "ims-edu-vec16", for instances with 4 or 16 MSI-X vectors.
 *
 * Each instance is a virtual PCI function (1234:11e9, its own IDs) with
 *
 *  - config space: an emulated MSI-X capability at 0x40 (table in BAR0 at
 *    0x1000, PBA at 0x1800) and a 32-bit memory BAR0 of 8 KiB;
 *  - BAR0:
 *      0x000 ID       (RO) 0x010011e9
 *      0x004 NVEC     (RO) number of MSI-X vectors
 *      0x008 DOORBELL (WO) "fire vector i": write i
 *      0x00c DROPPED  (RO) doorbells that found no vector to fire
 *      0x1000         the emulated MSI-X table
 *      0x1800         the emulated PBA
 *    accessed with 32-bit reads and writes (64-bit in the table and PBA).
 *
 * The vectors are the VFIO emulated MSI-X helper (drivers/vfio/
 * vfio_msix_emul.c): VFIO_DEVICE_SET_IRQS on the MSI-X index allocates, for
 * each eventfd attached, a host IMS vector from the parent's IMS domain.
 * The doorbell makes the parent device post the IMS entry that backs
 * vector i with its own DMA: the interrupt is a device-originated write
 * through the interrupt remapping unit, whose handler signals the eventfd.
 * Several instances share the parent's IMS table; an instance only finds
 * the slots of its own vectors, so it can never fire another's. A mask in
 * the emulated table masks the host IMS entry; a doorbell then leaves the
 * entry pending in the device (shown in the PBA), posted once on unmask.
 *
 * Where the parent has no IMS (no interrupt remapping, or a virtual IOMMU
 * which refuses IMS) the instances fall back to emulated vectors: the
 * doorbell signals the eventfd in software, with the same masking and PBA
 * semantics, so that userspace sees the same device. The "backend" sysfs
 * attribute of an instance says which: "ims" or "emulated".
 *
 * Removing an instance, or unbinding the parent, while a user has the
 * device open waits for the user to close it; the user is asked to through
 * the device request eventfd (VFIO_PCI_REQ_IRQ_INDEX), as with vfio-pci.
 *
 * Simplifications of a sample: Memory Space and Bus Master in the Command
 * register are kept for reading back but gate nothing (the doorbell works
 * with both clear, although it stands for device DMA), and the mdev remove
 * callback finds its state with dev_get_drvdata(), as mtty does.
 *
 * Test hook: /sys/kernel/debug/ims-edu-mdev/irqbypass. Writing an eventfd
 * descriptor registers an irqbypass consumer on it, as KVM's irqfd would,
 * and records the producer it meets; reading returns that producer's host
 * irq, or -1 if there was none. It shows the producer without KVM (posted
 * interrupts need KVM, which the TCG test machines do not have).
 *
 * The IMS cookie is the driver's business: edu's DMA carries no PASID, so
 * the instances use the zero cookie; a device with PASID tagged interrupts
 * would pass ims_pasid_cookie() of the instance's PASID.
 */
#include <linux/auxiliary_bus.h>
#include <linux/debugfs.h>
#include <linux/eventfd.h>
#include <linux/irqbypass.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>
#include <linux/vfio_msix_emul.h>

#include "ims-edu.h"

#define EDU_MDEV_VENDOR		0x1234
#define EDU_MDEV_DEVICE		0x11e9
#define EDU_MDEV_ID		(0x01000000 | EDU_MDEV_DEVICE)
#define EDU_MDEV_CFG_SIZE	PCI_CFG_SPACE_SIZE
#define EDU_MDEV_MSIX_CAP	0x40
#define EDU_MDEV_BAR0_SIZE	0x2000
#define EDU_MDEV_REG_ID		0x000
#define EDU_MDEV_REG_NVEC	0x004
#define EDU_MDEV_REG_DOORBELL	0x008
#define EDU_MDEV_REG_DROPPED	0x00c
#define EDU_MDEV_TABLE		0x1000
#define EDU_MDEV_PBA		0x1800
#define EDU_MDEV_MAX_INSTANCES	8

/* vfio-pci's region layout: the region index in the file offset's top bits */
#define EDU_MDEV_OFFSET_SHIFT	40
#define EDU_MDEV_OFFSET_TO_INDEX(off)	((off) >> EDU_MDEV_OFFSET_SHIFT)
#define EDU_MDEV_INDEX_TO_OFFSET(index)	((u64)(index) << EDU_MDEV_OFFSET_SHIFT)
#define EDU_MDEV_OFFSET_MASK	(BIT_ULL(EDU_MDEV_OFFSET_SHIFT) - 1)

struct edu_mdev_type {
	struct mdev_type	type;
	unsigned int		nvec;
};

/* One per edu device: the mdev parent and its types */
struct edu_mdev_parent {
	struct mdev_parent	parent;
	struct pci_dev		*pdev;
	struct edu_mdev_type	types[2];
	struct mdev_type	*type_ptrs[2];
};

/* One per instance */
struct edu_mdev {
	struct vfio_device	vdev;
	struct vfio_msix_emul	msix;
	struct pci_dev		*pdev;
	bool			ims;
	/* Config space, BAR0 register and DROPPED: under msix.lock */
	u8			config[EDU_MDEV_CFG_SIZE];
	u32			dropped;
};

static const struct vfio_device_ops edu_mdev_ops;

static struct edu_mdev *vdev_to_em(struct vfio_device *vdev)
{
	return container_of(vdev, struct edu_mdev, vdev);
}

static struct edu_mdev *msix_to_em(struct vfio_msix_emul *me)
{
	return container_of(me, struct edu_mdev, msix);
}

/* Host vector callbacks: the slot's device state follows its owner */
static void edu_mdev_host_bound(struct vfio_msix_emul *me, unsigned int vector,
				unsigned int slot, unsigned int irq)
{
	ims_edu_slot_reset(msix_to_em(me)->pdev, slot);
}

static void edu_mdev_host_unbound(struct vfio_msix_emul *me, unsigned int vector,
				  unsigned int slot)
{
	ims_edu_slot_reset(msix_to_em(me)->pdev, slot);
}

static bool edu_mdev_host_pending(struct vfio_msix_emul *me, unsigned int vector,
				  unsigned int slot)
{
	return ims_edu_slot_pending(msix_to_em(me)->pdev, slot);
}

static const struct vfio_msix_emul_ops edu_mdev_msix_ops = {
	.host_bound	= edu_mdev_host_bound,
	.host_unbound	= edu_mdev_host_unbound,
	.host_pending	= edu_mdev_host_pending,
};

static void edu_mdev_reset_config(struct edu_mdev *em)
{
	u8 *c = em->config;

	memset(c, 0, sizeof(em->config));
	put_unaligned_le16(EDU_MDEV_VENDOR, &c[PCI_VENDOR_ID]);
	put_unaligned_le16(EDU_MDEV_DEVICE, &c[PCI_DEVICE_ID]);
	put_unaligned_le16(PCI_STATUS_CAP_LIST, &c[PCI_STATUS]);
	c[PCI_REVISION_ID] = 1;
	/* Class: "other" unclassified device */
	put_unaligned_le16(PCI_CLASS_OTHERS << 8, &c[PCI_CLASS_DEVICE]);
	put_unaligned_le32(PCI_BASE_ADDRESS_SPACE_MEMORY, &c[PCI_BASE_ADDRESS_0]);
	put_unaligned_le16(PCI_SUBVENDOR_ID_REDHAT_QUMRANET, &c[PCI_SUBSYSTEM_VENDOR_ID]);
	put_unaligned_le16(EDU_MDEV_DEVICE, &c[PCI_SUBSYSTEM_ID]);
	c[PCI_CAPABILITY_LIST] = EDU_MDEV_MSIX_CAP;
}

static int edu_mdev_init_dev(struct vfio_device *vdev)
{
	struct edu_mdev *em = vdev_to_em(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct edu_mdev_type *type = container_of(mdev->type, struct edu_mdev_type, type);
	struct edu_mdev_parent *ep = container_of(mdev->type->parent,
						  struct edu_mdev_parent, parent);
	unsigned int i;
	int ret;

	em->pdev = ep->pdev;
	em->ims = !ims_edu_ims_status(em->pdev);
	ret = vfio_msix_emul_init(&em->msix, vdev->dev, type->nvec, &edu_mdev_msix_ops);
	if (ret)
		return ret;
	vfio_msix_emul_cap_init(&em->msix, 0, 0, EDU_MDEV_TABLE, 0, EDU_MDEV_PBA);
	/* Host IMS vectors from the parent's domain, else emulated ones */
	for (i = 0; em->ims && i < type->nvec; i++) {
		ret = vfio_msix_emul_set_backend(&em->msix, i, VFIO_MSIX_BACKEND_IMS,
						 &em->pdev->dev,
						 (union msi_instance_cookie){ });
		if (ret) {
			vfio_msix_emul_uninit(&em->msix);
			return ret;
		}
	}
	edu_mdev_reset_config(em);
	return 0;
}

static void edu_mdev_release_dev(struct vfio_device *vdev)
{
	vfio_msix_emul_uninit(&vdev_to_em(vdev)->msix);
}

/* A function reset: the MSI-X index disabled, config space as new */
static void edu_mdev_reset(struct edu_mdev *em)
{
	mutex_lock(&em->msix.lock);
	vfio_msix_emul_reset(&em->msix);
	edu_mdev_reset_config(em);
	em->dropped = 0;
	mutex_unlock(&em->msix.lock);
}

static int edu_mdev_open(struct vfio_device *vdev)
{
	struct edu_mdev *em = vdev_to_em(vdev);

	vfio_msix_emul_open(&em->msix);
	edu_mdev_reset(em);
	return 0;
}

static void edu_mdev_close(struct vfio_device *vdev)
{
	vfio_msix_emul_close(&vdev_to_em(vdev)->msix);
}

static int edu_mdev_config_rw(struct edu_mdev *em, unsigned int pos, u8 *buf,
			      unsigned int count, bool write)
{
	unsigned int cap = EDU_MDEV_MSIX_CAP, start, end, p, n;
	u32 val;
	int ret;

	if (pos >= EDU_MDEV_CFG_SIZE || count > EDU_MDEV_CFG_SIZE - pos)
		return -EINVAL;
	/* The bytes of the capability go to the helper, the others are ours */
	start = max(pos, cap);
	end = min(pos + count, cap + VFIO_MSIX_EMUL_CAP_SIZE);
	if (!write)
		memcpy(buf, &em->config[pos], count);
	for (p = start; p < end; p += n) {
		n = min(end - p, 4U);
		ret = vfio_msix_emul_cap_rw(&em->msix, p - cap, buf + p - pos, n, write);
		if (ret)
			return ret;
	}
	if (!write || start < end)
		return 0;
	/* Writable: Command (memory space, bus master) and BAR0 */
	if (pos == PCI_COMMAND && (count == 2 || count == 4)) {
		val = get_unaligned_le16(buf) & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		put_unaligned_le16(val, &em->config[PCI_COMMAND]);
	} else if (pos == PCI_BASE_ADDRESS_0 && count == 4) {
		val = get_unaligned_le32(buf) & ~(EDU_MDEV_BAR0_SIZE - 1);
		put_unaligned_le32(val | PCI_BASE_ADDRESS_SPACE_MEMORY,
				   &em->config[PCI_BASE_ADDRESS_0]);
	}
	/* Everything else is read-only: the write is ignored */
	return 0;
}

/* The doorbell: fire vector @vector of this instance */
static void edu_mdev_doorbell(struct edu_mdev *em, u32 vector)
{
	int slot;

	if (vector >= em->msix.nvec) {
		em->dropped++;
		return;
	}
	if (!em->ims) {
		if (vfio_msix_emul_trigger(&em->msix, vector))
			em->dropped++;
		return;
	}
	/* Only the slots of this instance's own vectors can be found here */
	slot = vfio_msix_emul_host_index(&em->msix, vector);
	if (slot < 0 || ims_edu_fire(em->pdev, slot))
		em->dropped++;
}

static int edu_mdev_bar0_rw(struct edu_mdev *em, unsigned int off, u8 *buf,
			    unsigned int count, bool write)
{
	unsigned int pba_size = DIV_ROUND_UP(em->msix.nvec, 64) * 8;
	u32 val = 0;

	if (off >= EDU_MDEV_BAR0_SIZE || count > EDU_MDEV_BAR0_SIZE - off)
		return -EINVAL;
	if (off >= EDU_MDEV_TABLE && off < EDU_MDEV_TABLE + em->msix.nvec * PCI_MSIX_ENTRY_SIZE)
		return vfio_msix_emul_table_rw(&em->msix, off - EDU_MDEV_TABLE, buf, count,
					       write);
	if (off >= EDU_MDEV_PBA && off < EDU_MDEV_PBA + pba_size) {
		if (!write)
			return vfio_msix_emul_pba_read(&em->msix, off - EDU_MDEV_PBA, buf,
						       count);
		/* The PBA is read-only */
		return (count == 4 || count == 8) && !(off % count) ? 0 : -EINVAL;
	}
	if (count != 4 || off % 4)
		return -EINVAL;

	if (write) {
		if (off == EDU_MDEV_REG_DOORBELL)
			edu_mdev_doorbell(em, get_unaligned_le32(buf));
		return 0;
	}
	switch (off) {
	case EDU_MDEV_REG_ID:
		val = EDU_MDEV_ID;
		break;
	case EDU_MDEV_REG_NVEC:
		val = em->msix.nvec;
		break;
	case EDU_MDEV_REG_DROPPED:
		val = em->dropped;
		break;
	}
	put_unaligned_le32(val, buf);
	return 0;
}

static ssize_t edu_mdev_rw(struct vfio_device *vdev, char __user *ubuf, size_t count,
			   loff_t *ppos, bool write)
{
	struct edu_mdev *em = vdev_to_em(vdev);
	unsigned int index = EDU_MDEV_OFFSET_TO_INDEX(*ppos);
	u64 off = *ppos & EDU_MDEV_OFFSET_MASK;
	u8 buf[8];
	int ret;

	if (!count || count > sizeof(buf) || off > U32_MAX)
		return -EINVAL;
	if (write && copy_from_user(buf, ubuf, count))
		return -EFAULT;

	mutex_lock(&em->msix.lock);
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = edu_mdev_config_rw(em, off, buf, count, write);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		ret = edu_mdev_bar0_rw(em, off, buf, count, write);
		break;
	default:
		ret = -EINVAL;
	}
	mutex_unlock(&em->msix.lock);
	if (ret)
		return ret;
	if (!write && copy_to_user(ubuf, buf, count))
		return -EFAULT;
	*ppos += count;
	return count;
}

static ssize_t edu_mdev_read(struct vfio_device *vdev, char __user *buf, size_t count,
			     loff_t *ppos)
{
	return edu_mdev_rw(vdev, buf, count, ppos, false);
}

static ssize_t edu_mdev_write(struct vfio_device *vdev, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	return edu_mdev_rw(vdev, (char __user *)buf, count, ppos, true);
}

static int edu_mdev_get_region_info(struct vfio_device *vdev, struct vfio_region_info *info,
				    struct vfio_info_cap *caps)
{
	if (info->index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info->offset = EDU_MDEV_INDEX_TO_OFFSET(info->index);
	info->size = 0;
	info->flags = 0;
	if (info->index == VFIO_PCI_CONFIG_REGION_INDEX)
		info->size = EDU_MDEV_CFG_SIZE;
	else if (info->index == VFIO_PCI_BAR0_REGION_INDEX)
		info->size = EDU_MDEV_BAR0_SIZE;
	if (info->size)
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	return 0;
}

static long edu_mdev_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	struct edu_mdev *em = vdev_to_em(vdev);
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		if (copy_from_user(&info, (void __user *)arg, minsz))
			return -EFAULT;
		if (info.argsz < minsz)
			return -EINVAL;
		info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
		info.num_regions = VFIO_PCI_NUM_REGIONS;
		info.num_irqs = VFIO_PCI_NUM_IRQS;
		return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
	case VFIO_DEVICE_RESET:
		edu_mdev_reset(em);
		return 0;
	default:
		return vfio_msix_emul_ioctl(&em->msix, cmd, arg);
	}
}

/* Removal waits for the user: ask it to close the device */
static void edu_mdev_request(struct vfio_device *vdev, unsigned int count)
{
	vfio_msix_emul_request(&vdev_to_em(vdev)->msix, count);
}

static const struct vfio_device_ops edu_mdev_ops = {
	.name			= "ims-edu-mdev",
	.init			= edu_mdev_init_dev,
	.release		= edu_mdev_release_dev,
	.open_device		= edu_mdev_open,
	.close_device		= edu_mdev_close,
	.read			= edu_mdev_read,
	.write			= edu_mdev_write,
	.ioctl			= edu_mdev_ioctl,
	.request		= edu_mdev_request,
	.get_region_info_caps	= edu_mdev_get_region_info,
	.bind_iommufd		= vfio_iommufd_emulated_bind,
	.unbind_iommufd		= vfio_iommufd_emulated_unbind,
	.attach_ioas		= vfio_iommufd_emulated_attach_ioas,
	.detach_ioas		= vfio_iommufd_emulated_detach_ioas,
};

static ssize_t backend_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct edu_mdev *em = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", em->ims ? "ims" : "emulated");
}
static DEVICE_ATTR_RO(backend);

static struct attribute *edu_mdev_attrs[] = {
	&dev_attr_backend.attr,
	NULL
};
ATTRIBUTE_GROUPS(edu_mdev);

static int edu_mdev_probe(struct mdev_device *mdev)
{
	struct edu_mdev *em;
	int ret;

	em = vfio_alloc_device(edu_mdev, vdev, &mdev->dev, &edu_mdev_ops);
	if (IS_ERR(em))
		return PTR_ERR(em);
	ret = vfio_register_emulated_iommu_dev(&em->vdev);
	if (ret) {
		vfio_put_device(&em->vdev);
		return ret;
	}
	dev_set_drvdata(&mdev->dev, em);
	return 0;
}

static void edu_mdev_remove(struct mdev_device *mdev)
{
	struct edu_mdev *em = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&em->vdev);
	vfio_put_device(&em->vdev);
}

static ssize_t edu_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	struct edu_mdev_type *type = container_of(mtype, struct edu_mdev_type, type);
	struct edu_mdev_parent *ep = container_of(mtype->parent, struct edu_mdev_parent,
						  parent);

	return sysfs_emit(buf, "%u MSI-X vectors, %s\n", type->nvec,
			  ims_edu_ims_status(ep->pdev) ? "emulated" : "host IMS");
}

static struct mdev_driver edu_mdev_driver = {
	.device_api		= VFIO_DEVICE_API_PCI_STRING,
	.max_instances		= EDU_MDEV_MAX_INSTANCES,
	.driver = {
		.name		= "ims_edu_mdev",
		.owner		= THIS_MODULE,
		.mod_name	= KBUILD_MODNAME,
		.dev_groups	= edu_mdev_groups,
	},
	.probe			= edu_mdev_probe,
	.remove			= edu_mdev_remove,
	.show_description	= edu_mdev_show_description,
};

/* The irqbypass test hook */
static DEFINE_MUTEX(edu_mdev_bypass_lock);
static int edu_mdev_bypass_irq = -1;
static struct dentry *edu_mdev_dbg;

static int edu_mdev_bypass_add(struct irq_bypass_consumer *cons,
			       struct irq_bypass_producer *prod)
{
	edu_mdev_bypass_irq = prod->irq;
	return 0;
}

static void edu_mdev_bypass_del(struct irq_bypass_consumer *cons,
				struct irq_bypass_producer *prod)
{
}

static ssize_t edu_mdev_bypass_write(struct file *file, const char __user *ubuf,
				     size_t len, loff_t *ppos)
{
	struct irq_bypass_consumer cons = {
		.add_producer	= edu_mdev_bypass_add,
		.del_producer	= edu_mdev_bypass_del,
	};
	struct eventfd_ctx *ctx;
	int fd, ret;

	ret = kstrtoint_from_user(ubuf, len, 0, &fd);
	if (ret)
		return ret;
	ctx = eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&edu_mdev_bypass_lock);
	edu_mdev_bypass_irq = -1;
	ret = irq_bypass_register_consumer(&cons, ctx);
	if (!ret)
		irq_bypass_unregister_consumer(&cons);
	mutex_unlock(&edu_mdev_bypass_lock);
	eventfd_ctx_put(ctx);
	return ret ? ret : len;
}

static ssize_t edu_mdev_bypass_read(struct file *file, char __user *ubuf, size_t len,
				    loff_t *ppos)
{
	char buf[16];
	int n;

	mutex_lock(&edu_mdev_bypass_lock);
	n = scnprintf(buf, sizeof(buf), "%d\n", edu_mdev_bypass_irq);
	mutex_unlock(&edu_mdev_bypass_lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations edu_mdev_bypass_fops = {
	.owner	= THIS_MODULE,
	.read	= edu_mdev_bypass_read,
	.write	= edu_mdev_bypass_write,
	.llseek	= default_llseek,
};

/* The parent: the edu PCI function above ims-edu's auxiliary device */
static int edu_mdev_aux_probe(struct auxiliary_device *adev,
			      const struct auxiliary_device_id *id)
{
	static const char * const names[] = { "vec4", "vec16" };
	static const unsigned int nvecs[] = { 4, 16 };
	struct edu_mdev_parent *ep;
	unsigned int i;
	int ret;

	ep = kzalloc_obj(*ep);
	if (!ep)
		return -ENOMEM;
	ep->pdev = to_pci_dev(adev->dev.parent);
	for (i = 0; i < ARRAY_SIZE(ep->types); i++) {
		ep->types[i].type.sysfs_name = names[i];
		ep->types[i].type.pretty_name = names[i];
		ep->types[i].nvec = nvecs[i];
		ep->type_ptrs[i] = &ep->types[i].type;
	}
	ret = mdev_register_parent(&ep->parent, &ep->pdev->dev, &edu_mdev_driver,
				   ep->type_ptrs, ARRAY_SIZE(ep->type_ptrs));
	if (ret) {
		kfree(ep);
		return ret;
	}
	auxiliary_set_drvdata(adev, ep);
	return 0;
}

static void edu_mdev_aux_remove(struct auxiliary_device *adev)
{
	struct edu_mdev_parent *ep = auxiliary_get_drvdata(adev);

	/* Removes every instance, waiting for their users to close them */
	mdev_unregister_parent(&ep->parent);
	kfree(ep);
}

static const struct auxiliary_device_id edu_mdev_aux_ids[] = {
	{ .name = "ims_edu.vfio" },
	{ }
};
MODULE_DEVICE_TABLE(auxiliary, edu_mdev_aux_ids);

static struct auxiliary_driver edu_mdev_aux_driver = {
	.name		= "mdev",
	.probe		= edu_mdev_aux_probe,
	.remove		= edu_mdev_aux_remove,
	.id_table	= edu_mdev_aux_ids,
};

static int __init edu_mdev_init(void)
{
	int ret;

	ret = mdev_register_driver(&edu_mdev_driver);
	if (ret)
		return ret;
	ret = auxiliary_driver_register(&edu_mdev_aux_driver);
	if (ret) {
		mdev_unregister_driver(&edu_mdev_driver);
		return ret;
	}
	edu_mdev_dbg = debugfs_create_dir("ims-edu-mdev", NULL);
	debugfs_create_file("irqbypass", 0600, edu_mdev_dbg, NULL, &edu_mdev_bypass_fops);
	return 0;
}
module_init(edu_mdev_init);

static void __exit edu_mdev_exit(void)
{
	debugfs_remove(edu_mdev_dbg);
	auxiliary_driver_unregister(&edu_mdev_aux_driver);
	mdev_unregister_driver(&edu_mdev_driver);
}
module_exit(edu_mdev_exit);

MODULE_DESCRIPTION("Mediated edu devices whose MSI-X vectors are host IMS vectors of the parent");
MODULE_LICENSE("GPL");
