// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of IMS: the interrupt remapping parents' policy, the IMS table
 * library and the allocation interface.
 *
 * The tests run on the real parents of the booted machine, passed as
 * ims_kunit.variant= (vtd, dsa, vtd-caching, amdvi, none). Where a test needs
 * an IMS domain it uses a QEMU edu device (1234:11e8) which no driver has
 * bound, with table storage in kernel memory; those tests need the vtd
 * machine and are skipped elsewhere, where the policy tests check that the
 * same device is refused.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_ims.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <asm/irq_remapping.h>

/* mask_irq() and unmask_irq(), as flow handlers call them (IRQ_* settings are _IRQ_* here) */
#include "internals.h"
#include "ims_internal.h"

static char *variant = "";
module_param(variant, charp, 0444);
MODULE_PARM_DESC(variant, "machine variant: vtd, dsa, vtd-caching, amdvi or none");

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define NSLOTS		8

/* The DSA slot format: address low/high, data, control; 16 bytes */
static const struct ims_slot_format dsa_format = {
	.addr_lo	= 0,
	.addr_hi	= 4,
	.data		= 8,
	.ctrl		= 12,
	.mask		= BIT(0),
	.pasid_enable	= BIT(3),
	.pasid_field	= GENMASK(31, 12),
};

/*
 * A NIC style queue context: 32 bytes, the message in the middle, an
 * "interrupt enable" bit (active low mask) among driver owned bits.
 */
#define QCTX_SIZE	32
#define QCTX_ENABLE	BIT(31)
#define QCTX_OWNED	0x00c0ffee
static const struct ims_slot_format qctx_format = {
	.ctrl		= 0,
	.data		= 8,
	.addr_lo	= 12,
	.addr_hi	= 16,
	.mask		= QCTX_ENABLE,
	.mask_active_low = true,
};

static bool accepting_parent(void)
{
	/* dsa: the vtd machine with two DSA functions */
	return !strcmp(variant, "vtd") || !strcmp(variant, "dsa");
}

struct ims_trace {
	unsigned int	n;
	unsigned int	slot[64];
	unsigned int	off[64];
	u32		val[64];
};

static struct ims_trace *trace;

/*
 * The tests work on an edu device bound to a small test driver, as a real
 * IMS user would: everything device managed is released when the test
 * unbinds it, and the device is left clean for the next test (a device with
 * leftover device resources cannot be probed again).
 */
static struct {
	struct pci_dev	*target;
	bool		full;
	int		probe_ret;
	int		msi_virq;
	int		ims_virq[3];
	void		*mem;
} bound;

static int ims_kunit_probe(struct pci_dev *pdev, const struct pci_device_id *id);

static void ims_kunit_remove(struct pci_dev *pdev)
{
	if (bound.full)
		pci_free_irq_vectors(pdev);
}

static const struct pci_device_id ims_kunit_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};

static struct pci_driver ims_kunit_driver = {
	.name		= "ims-kunit-edu",
	.id_table	= ims_kunit_ids,
	.probe		= ims_kunit_probe,
	.remove		= ims_kunit_remove,
};

struct ims_test_ctx {
	struct pci_dev	*pdev;
	bool		registered;
};

static int ims_test_init(struct kunit *test)
{
	struct ims_test_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	test->priv = ctx;
	memset(&bound, 0, sizeof(bound));
	return 0;
}

static void ims_test_exit(struct kunit *test)
{
	struct ims_test_ctx *ctx = test->priv;

	trace = NULL;
	if (ctx->registered)
		pci_unregister_driver(&ims_kunit_driver);
	if (ctx->pdev)
		pci_dev_put(ctx->pdev);
}

/* Bind the test driver to the first edu device; @full: MSI + IMS in probe */
static struct pci_dev *edu_bind(struct kunit *test, bool full)
{
	struct ims_test_ctx *ctx = test->priv;
	struct pci_dev *pdev;

	/* Outside the IMS test machines (no declared variant) there is no edu */
	if (!*variant)
		kunit_skip(test, "needs an IMS test machine (ims_kunit.variant=)");
	pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, pdev, "no edu device on this machine");
	ctx->pdev = pdev;
	KUNIT_ASSERT_NULL_MSG(test, pdev->dev.driver, "edu device is bound to another driver");
	bound.target = pdev;
	bound.full = full;
	bound.probe_ret = -EPROBE_DEFER;
	KUNIT_ASSERT_EQ(test, pci_register_driver(&ims_kunit_driver), 0);
	ctx->registered = true;
	KUNIT_ASSERT_PTR_EQ(test, pdev->dev.driver, &ims_kunit_driver.driver);
	return pdev;
}

static struct pci_dev *edu_get(struct kunit *test)
{
	return edu_bind(test, false);
}

/* The edu device with an IMS domain possible, or skip */
static struct pci_dev *edu_ims_get(struct kunit *test)
{
	if (!accepting_parent())
		kunit_skip(test, "IMS needs the vtd machine (variant '%s')", variant);
	return edu_get(test);
}

static bool has_ims_domain(struct device *dev)
{
	if (!dev->msi.data)
		return false;
	guard(msi_descs_lock)(dev);
	return msi_get_device_domain(dev, MSI_SECONDARY_DOMAIN);
}

static irqreturn_t ims_test_handler(int irq, void *data)
{
	return IRQ_HANDLED;
}

static void *kunit_slots(struct kunit *test, size_t size)
{
	void *p = kunit_kzalloc(test, size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

static u32 word(const void *slot, unsigned int off)
{
	return *(const u32 *)(slot + off);
}

/* --------------------------------------------------------------------- */
/* Parent policy                                                          */

static void ims_policy_intel_decision(struct kunit *test)
{
	const char *why;

	KUNIT_EXPECT_NULL(test, intel_ir_ims_refusal(true, true, false));
	why = intel_ir_ims_refusal(true, true, true);
	KUNIT_ASSERT_NOT_NULL(test, why);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "caching mode"));
	why = intel_ir_ims_refusal(true, false, false);
	KUNIT_ASSERT_NOT_NULL(test, why);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "nosid"));
	why = intel_ir_ims_refusal(false, true, false);
	KUNIT_ASSERT_NOT_NULL(test, why);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "not a PCI device"));
}

static void ims_policy_amd_decision(struct kunit *test)
{
	const char *why;

	/* Bare metal AMD-Vi (no NpCache) accepts PCI devices */
	KUNIT_EXPECT_NULL(test, amd_ir_ims_refusal(true, false));
	why = amd_ir_ims_refusal(true, true);
	KUNIT_ASSERT_NOT_NULL(test, why);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "NpCache"));
	KUNIT_EXPECT_NOT_NULL(test, amd_ir_ims_refusal(false, false));
}

/* The real parent of an edu device accepts (vtd) or refuses (others) */
static void ims_policy_real_parent(struct kunit *test)
{
	struct pci_dev *pdev = edu_get(test);
	void *mem = kunit_slots(test, NSLOTS * 16);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format, .mem = mem,
	};
	int want = accepting_parent() ? 0 : -EOPNOTSUPP;

	KUNIT_EXPECT_EQ(test, device_ims_supported(&pdev->dev), want);
	KUNIT_EXPECT_EQ(test, ims_create_domain(&pdev->dev, &info), want);
	KUNIT_EXPECT_EQ(test, has_ims_domain(&pdev->dev), accepting_parent());
	device_remove_ims_domain(&pdev->dev);
	KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));
	/* The raw PCI interface agrees */
	KUNIT_EXPECT_EQ(test, pci_ims_alloc_irq(pdev, NULL, NULL).index, -ENODEV);
}

/* A device on a bus without an IMS policy (not PCI) is refused, even below VT-d */
static void ims_policy_non_pci_refused(struct kunit *test)
{
	struct pci_dev *pdev = edu_ims_get(test);
	struct device *dev = kunit_device_register(test, "ims-kunit-plat");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev_set_msi_domain(dev, dev_get_msi_domain(&pdev->dev));
	KUNIT_EXPECT_EQ(test, device_ims_supported(dev), -EOPNOTSUPP);
	dev_set_msi_domain(dev, NULL);
	KUNIT_EXPECT_EQ(test, device_ims_supported(dev), -EOPNOTSUPP);
}

static void ims_raw_mask(struct irq_data *d)
{
}

static void ims_raw_write(struct irq_data *d, struct msi_msg *msg)
{
}

/*
 * The raw template interface checks what the core relies on before it asks
 * the parent: each missing piece is -EINVAL on every machine, and a
 * complete template gets the parent's answer.
 */
static void ims_policy_raw_template_checked(struct kunit *test)
{
	struct pci_dev *pdev = edu_get(test);
	const struct msi_domain_template good = {
		.chip = {
			.name			= "IMS-RAW",
			.irq_mask		= ims_raw_mask,
			.irq_unmask		= ims_raw_mask,
			.irq_write_msi_msg	= ims_raw_write,
		},
		.info = {
			.flags		= MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS |
					  MSI_FLAG_FREE_MSI_DESCS |
					  MSI_FLAG_USE_DEF_DOM_OPS |
					  MSI_FLAG_USE_DEF_CHIP_OPS,
			.bus_token	= DOMAIN_BUS_PCI_DEVICE_IMS,
		},
	};
	struct msi_domain_template *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	*t = good;
	t->info.flags &= ~MSI_FLAG_USE_DEF_DOM_OPS;	/* no msi_teardown */
	KUNIT_EXPECT_EQ(test, device_create_ims_domain(&pdev->dev, t, 8, NULL), -EINVAL);
	*t = good;
	t->info.flags &= ~MSI_FLAG_FREE_MSI_DESCS;
	KUNIT_EXPECT_EQ(test, device_create_ims_domain(&pdev->dev, t, 8, NULL), -EINVAL);
	*t = good;
	t->info.bus_token = DOMAIN_BUS_PCI_DEVICE_MSIX;	/* not IMS */
	KUNIT_EXPECT_EQ(test, device_create_ims_domain(&pdev->dev, t, 8, NULL), -EINVAL);
	*t = good;
	t->chip.irq_mask = NULL;
	KUNIT_EXPECT_EQ(test, device_create_ims_domain(&pdev->dev, t, 8, NULL), -EINVAL);
	*t = good;
	t->chip.irq_set_affinity = irq_chip_set_affinity_parent;
	KUNIT_EXPECT_EQ(test, device_create_ims_domain(&pdev->dev, t, 8, NULL), -EINVAL);
	/* Bus lock callbacks: only the table library can fence them at a leak */
	*t = good;
	t->chip.irq_bus_lock = ims_raw_mask;
	KUNIT_EXPECT_EQ(test, device_create_ims_domain(&pdev->dev, t, 8, NULL), -EINVAL);
	*t = good;
	t->chip.irq_bus_sync_unlock = ims_raw_mask;
	KUNIT_EXPECT_EQ(test, device_create_ims_domain(&pdev->dev, t, 8, NULL), -EINVAL);
	KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));

	/* The PCI wrapper: the same checks, the same error codes */
	*t = good;
	t->chip.irq_unmask = NULL;
	KUNIT_EXPECT_EQ(test, pci_create_ims_domain(pdev, t, 8, NULL), -EINVAL);
	*t = good;
	KUNIT_EXPECT_EQ(test, pci_create_ims_domain(pdev, t, 8, NULL),
			accepting_parent() ? 0 : -EOPNOTSUPP);
	if (accepting_parent())
		KUNIT_EXPECT_EQ(test, pci_create_ims_domain(pdev, t, 8, NULL), -EBUSY);
	pci_remove_ims_domain(pdev);
	KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));

	*t = good;
	KUNIT_EXPECT_EQ(test, device_create_ims_domain(&pdev->dev, t, 8, NULL),
			accepting_parent() ? 0 : -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, has_ims_domain(&pdev->dev), accepting_parent());
	device_remove_ims_domain(&pdev->dev);
	KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));
}

/*
 * The PCI "no MSI" policy applies to IMS: a device with no_msi set (quirks)
 * and a device behind a bridge which does not forward MSI writes are
 * refused, below an accepting parent too (pci=nomsi takes the same path).
 */
static void ims_policy_pci_no_msi(struct kunit *test)
{
	struct pci_dev *pdev = edu_ims_get(test);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format,
	};
	int ret;

	info.mem = kunit_slots(test, NSLOTS * 16);
	pdev->no_msi = 1;
	ret = ims_create_domain(&pdev->dev, &info);
	pdev->no_msi = 0;
	KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
	KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));

	pdev->bus->bus_flags |= PCI_BUS_FLAGS_NO_MSI;
	ret = ims_create_domain(&pdev->dev, &info);
	pdev->bus->bus_flags &= ~PCI_BUS_FLAGS_NO_MSI;
	KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
	KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));

	/* The same device, MSI allowed again: accepted */
	KUNIT_EXPECT_EQ(test, ims_create_domain(&pdev->dev, &info), 0);
}

/*
 * A stand-in MSI parent which accepts IMS, so that the creation errors
 * the parent causes once the domain is set up can be produced on every
 * machine: it refuses the device domain, or its msi_prepare() fails.
 */
struct ims_fake_parent {
	bool	refuse;
	int	prepare_ret;
};

/* Called on the device domain, whose parent is the stand-in */
static int ims_fake_prepare(struct irq_domain *domain, struct device *dev, int nvec,
			    msi_alloc_info_t *arg)
{
	struct ims_fake_parent *fp = domain->parent->host_data;

	return fp->prepare_ret;
}

static bool ims_fake_init_dev_msi_info(struct device *dev, struct irq_domain *domain,
				       struct irq_domain *msi_parent_domain,
				       struct msi_domain_info *info)
{
	struct ims_fake_parent *fp = domain->host_data;

	if (fp->refuse)
		return false;
	info->ops->msi_prepare = ims_fake_prepare;
	return true;
}

static const struct msi_parent_ops ims_fake_parent_ops = {
	.supported_flags	= MSI_FLAG_PCI_IMS,
	.bus_select_token	= DOMAIN_BUS_ANY,
	.init_dev_msi_info	= ims_fake_init_dev_msi_info,
};

/* Not the MSI core's -ENOSPC for multi-vector PCI/MSI: it must come through */
static int ims_fake_alloc(struct irq_domain *domain, unsigned int virq,
			  unsigned int nr_irqs, void *arg)
{
	return -EIO;
}

static const struct irq_domain_ops ims_fake_domain_ops = {
	.alloc	= ims_fake_alloc,
};

/*
 * Creation hands the parent's error code back: a refusal when the domain
 * is set up is -EOPNOTSUPP, a failed msi_prepare() its own code, not
 * -ENOMEM for both. An allocation the parent fails is unwound: its error
 * code, no vector, the slot never set up. Nothing is left behind, and the
 * device's own parent still gets its say afterwards.
 */
static void ims_policy_parent_errors(struct kunit *test)
{
	struct pci_dev *pdev = edu_get(test);
	struct irq_domain *real = dev_get_msi_domain(&pdev->dev);
	struct ims_fake_parent fp = { };
	struct irq_domain_info dinfo = {
		.hwirq_max	= NSLOTS,
		.ops		= &ims_fake_domain_ops,
		.host_data	= &fp,
	};
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format,
	};
	struct irq_domain *fake;
	int refused, prepare, created;
	struct msi_map map = { };

	info.mem = kunit_slots(test, NSLOTS * 16);
	dinfo.fwnode = irq_domain_alloc_named_fwnode("ims-kunit-parent");
	KUNIT_ASSERT_NOT_NULL(test, dinfo.fwnode);
	fake = msi_create_parent_irq_domain(&dinfo, &ims_fake_parent_ops);
	if (!fake)
		irq_domain_free_fwnode(dinfo.fwnode);
	KUNIT_ASSERT_NOT_NULL(test, fake);

	dev_set_msi_domain(&pdev->dev, fake);
	fp.refuse = true;
	refused = ims_create_domain(&pdev->dev, &info);
	fp.refuse = false;
	fp.prepare_ret = -ENXIO;
	prepare = ims_create_domain(&pdev->dev, &info);
	fp.prepare_ret = 0;
	/* The stand-in's alloc() fails every vector with -EIO */
	memset(info.mem, 0xa5, NSLOTS * 16);
	created = ims_create_domain(&pdev->dev, &info);
	if (!created) {
		map = device_ims_alloc_irq(&pdev->dev, 2, NULL, NULL);
		KUNIT_EXPECT_EQ(test, msi_domain_get_virq(&pdev->dev, MSI_SECONDARY_DOMAIN, 2), 0);
	}
	/* Whatever was created goes before the stand-in does */
	device_remove_ims_domain(&pdev->dev);
	dev_set_msi_domain(&pdev->dev, real);
	irq_domain_remove(fake);
	irq_domain_free_fwnode(dinfo.fwnode);

	KUNIT_EXPECT_EQ(test, refused, -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, prepare, -ENXIO);
	KUNIT_EXPECT_EQ(test, created, 0);
	KUNIT_EXPECT_EQ(test, map.index, -EIO);
	KUNIT_EXPECT_EQ(test, word(info.mem + 2 * 16, 12), 0xa5a5a5a5);
	KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));
	KUNIT_EXPECT_EQ(test, ims_create_domain(&pdev->dev, &info),
			accepting_parent() ? 0 : -EOPNOTSUPP);
}

static struct kunit_case ims_policy_cases[] = {
	KUNIT_CASE(ims_policy_intel_decision),
	KUNIT_CASE(ims_policy_amd_decision),
	KUNIT_CASE(ims_policy_real_parent),
	KUNIT_CASE(ims_policy_non_pci_refused),
	KUNIT_CASE(ims_policy_raw_template_checked),
	KUNIT_CASE(ims_policy_pci_no_msi),
	KUNIT_CASE(ims_policy_parent_errors),
	{}
};

static struct kunit_suite ims_policy_suite = {
	.name = "ims_policy",
	.init = ims_test_init,
	.exit = ims_test_exit,
	.test_cases = ims_policy_cases,
};

/* --------------------------------------------------------------------- */
/* Table descriptions                                                     */

static const struct ims_table_ops dummy_ops;

static void ims_desc_invalid_rejected(struct kunit *test)
{
	struct pci_dev *pdev = edu_get(test);
	void *mem = kunit_slots(test, NSLOTS * 16);
	const struct ims_table_info good = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format, .mem = mem,
	};
	struct ims_table_info *bad = kunit_kcalloc(test, 20, sizeof(*bad), GFP_KERNEL);
	int i, n = 0;

	KUNIT_ASSERT_NOT_NULL(test, bad);

	bad[n] = good; bad[n++].stride = 12;
	bad[n] = good; bad[n++].stride = 18;
	bad[n] = good; bad[n++].format.data = 0;		/* overlaps addr_lo */
	bad[n] = good; bad[n++].format.ctrl = 14;		/* unaligned */
	bad[n] = good; bad[n++].format.ctrl = 16;		/* beyond the slot */
	bad[n] = good; bad[n++].format.mask = 0;
	bad[n] = good; bad[n++].format.mask = BIT(0) | BIT(1);
	bad[n] = good; bad[n++].format.pasid_field = GENMASK(31, 20) | BIT(12);
	bad[n] = good; bad[n++].format.pasid_enable = 0;
	bad[n] = good; bad[n++].format.pasid_enable = BIT(12);	/* inside the field */
	bad[n] = good; bad[n++].mem = NULL;			/* per entry: no PASID */
	bad[n] = good; bad[n].storage = IMS_STORAGE_MMIO; bad[n++].mmio = NULL;
	bad[n] = good; bad[n++].nr_slots = MSI_MAX_INDEX + 2;
	bad[n] = good; bad[n++].name = "a-name-longer-than-the-chip-name-room";
	bad[n] = good; bad[n].storage = IMS_STORAGE_CUSTOM; bad[n++].ops = &dummy_ops;
	bad[n] = good; bad[n++].storage = 7;
	/* 2 * 2 GiB: the table size would overflow */
	bad[n] = good; bad[n].nr_slots = 2; bad[n++].stride = 0x80000000;

	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, ims_create_domain(&pdev->dev, &bad[i]), -EINVAL,
				    "description %d", i);
		KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));
	}
}

static struct kunit_case ims_desc_cases[] = {
	KUNIT_CASE(ims_desc_invalid_rejected),
	{}
};

static struct kunit_suite ims_desc_suite = {
	.name = "ims_table_desc",
	.init = ims_test_init,
	.exit = ims_test_exit,
	.test_cases = ims_desc_cases,
};

/* --------------------------------------------------------------------- */
/* The table library on the vtd machine                                   */

static void ims_record(const struct ims_table_info *info, unsigned int slot,
		       unsigned int off, u32 val)
{
	if (trace && trace->n < ARRAY_SIZE(trace->val)) {
		trace->slot[trace->n] = slot;
		trace->off[trace->n] = off;
		trace->val[trace->n++] = val;
	}
}

static struct device *lib_domain(struct kunit *test, const struct ims_table_info *info)
{
	struct pci_dev *pdev = edu_ims_get(test);

	KUNIT_ASSERT_EQ(test, ims_create_domain(&pdev->dev, info), 0);
	return &pdev->dev;
}

/* An IMS domain with NSLOTS DSA format slots in memory, returned in @mem */
static struct device *dsa_mem_domain(struct kunit *test, void **mem)
{
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format,
	};

	*mem = kunit_slots(test, NSLOTS * 16);
	info.mem = *mem;
	return lib_domain(test, &info);
}

static void expect_cached_msg(struct kunit *test, unsigned int virq, const void *slot,
			      const struct ims_slot_format *f)
{
	struct msi_msg msg;

	get_cached_msi_msg(virq, &msg);
	KUNIT_EXPECT_EQ(test, msg.address_lo & 0xfff00000, 0xfee00000);
	KUNIT_EXPECT_EQ(test, word(slot, f->addr_lo), msg.address_lo);
	KUNIT_EXPECT_EQ(test, word(slot, f->addr_hi), msg.address_hi);
	KUNIT_EXPECT_EQ(test, word(slot, f->data), msg.data);
}

/* MMIO array with the DSA slot format: the exact words of slot 3 */
static void ims_lib_dsa_mmio_bytes(struct kunit *test)
{
	void *regs = kunit_slots(test, NSLOTS * 16);
	struct ims_table_info info = {
		.name = "KUNIT-DSA", .storage = IMS_STORAGE_MMIO, .nr_slots = NSLOTS,
		.stride = 16, .format = dsa_format,
		.mmio = (void __iomem __force *)regs,
	};
	union msi_instance_cookie pasid = ims_pasid_cookie(0x12345);
	/* Control bits the format does not own are the driver's: kept */
	const u32 owned = 0xa5a5a5a5 & ~(BIT(0) | BIT(3) | GENMASK(31, 12));
	const u32 ctrl_pasid = owned | BIT(3) | (0x12345 << 12);
	struct device *dev;
	struct irq_data *d;
	void *slot = regs + 3 * 16;
	struct msi_map map;
	char name[48];

	/* Stale content the library must overwrite */
	memset(slot, 0xa5, 16);
	dev = lib_domain(test, &info);
	map = device_ims_alloc_irq(dev, 3, &pasid, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 3);

	/* Allocated: masked, PASID encoded, no message yet */
	KUNIT_EXPECT_EQ(test, word(slot, 12), BIT(0) | ctrl_pasid);
	KUNIT_EXPECT_EQ(test, word(slot, 0), 0);
	KUNIT_EXPECT_EQ(test, word(slot, 4), 0);
	KUNIT_EXPECT_EQ(test, word(slot, 8), 0);

	/* /proc/interrupts: chip names the device, hwirq is the slot */
	d = irq_get_irq_data(map.virq);
	KUNIT_ASSERT_NOT_NULL(test, d);
	snprintf(name, sizeof(name), "IR-KUNIT-DSA-%s", dev_name(dev));
	KUNIT_EXPECT_STREQ(test, d->chip->name, name);
	KUNIT_EXPECT_EQ(test, irqd_to_hwirq(d), 3);

	/* Requested: message written, unmasked */
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	expect_cached_msg(test, map.virq, slot, &dsa_format);
	KUNIT_EXPECT_EQ(test, word(slot, 12), ctrl_pasid);

	/*
	 * Mask at disable_irq() time, not lazily at the next interrupt. The
	 * control word comes from the library's cache, not from a read of
	 * the table: a clobbered word is rewritten whole.
	 */
	*(u32 *)(slot + 12) = 0;
	irq_set_status_flags(map.virq, _IRQ_DISABLE_UNLAZY);
	disable_irq(map.virq);
	KUNIT_EXPECT_EQ(test, word(slot, 12), BIT(0) | ctrl_pasid);
	enable_irq(map.virq);
	KUNIT_EXPECT_EQ(test, word(slot, 12), ctrl_pasid);

	free_irq(map.virq, test);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), 0);
	/* Freed: masked, PASID off, message cleared */
	KUNIT_EXPECT_EQ(test, word(slot, 12), owned | BIT(0));
	KUNIT_EXPECT_EQ(test, word(slot, 0), 0);
	KUNIT_EXPECT_EQ(test, word(slot, 8), 0);
	/* Neighbours untouched */
	KUNIT_EXPECT_EQ(test, word(regs + 2 * 16, 12), 0);
	KUNIT_EXPECT_EQ(test, word(regs + 4 * 16, 0), 0);
}

/* Per entry queue contexts in memory, active low mask, owned bits kept */
static void ims_lib_queue_context_bytes(struct kunit *test)
{
	struct ims_table_info info = {
		.name = "KUNIT-QCTX", .storage = IMS_STORAGE_MEMORY, .nr_slots = 0,
		.stride = QCTX_SIZE, .format = qctx_format, .mem = NULL,
	};
	void *q0 = kunit_slots(test, QCTX_SIZE), *q1 = kunit_slots(test, QCTX_SIZE);
	union msi_instance_cookie c0 = { .ptr = q0 }, c1 = { .ptr = q1 }, none = { };
	union msi_instance_cookie pasid = ims_pasid_cookie(4);
	struct msi_map m0, m1;
	struct device *dev;

	*(u32 *)q0 = QCTX_OWNED | QCTX_ENABLE;
	*(u32 *)q1 = QCTX_OWNED;
	dev = lib_domain(test, &info);

	/* A per entry slot needs its address as cookie, never a PASID */
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, MSI_ANY_INDEX, &none, NULL).index,
			-EINVAL);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, MSI_ANY_INDEX, &pasid, NULL).index,
			-EINVAL);
	m0 = device_ims_alloc_irq(dev, MSI_ANY_INDEX, &c0, NULL);
	m1 = device_ims_alloc_irq(dev, MSI_ANY_INDEX, &c1, NULL);
	KUNIT_ASSERT_EQ(test, m0.index, 0);
	KUNIT_ASSERT_EQ(test, m1.index, 1);
	/* Masked = enable bit clear; the driver's bits survive */
	KUNIT_EXPECT_EQ(test, word(q0, 0), QCTX_OWNED);
	KUNIT_EXPECT_EQ(test, word(q1, 0), QCTX_OWNED);

	KUNIT_ASSERT_EQ(test, request_irq(m1.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	expect_cached_msg(test, m1.virq, q1, &qctx_format);
	KUNIT_EXPECT_EQ(test, word(q1, 0), QCTX_OWNED | QCTX_ENABLE);
	/* The other context is untouched */
	KUNIT_EXPECT_EQ(test, word(q0, 0), QCTX_OWNED);
	KUNIT_EXPECT_EQ(test, word(q0, 12), 0);

	irq_set_status_flags(m1.virq, _IRQ_DISABLE_UNLAZY);
	disable_irq(m1.virq);
	KUNIT_EXPECT_EQ(test, word(q1, 0), QCTX_OWNED);
	enable_irq(m1.virq);
	free_irq(m1.virq, test);
	KUNIT_EXPECT_EQ(test, word(q1, 0), QCTX_OWNED);
}

/*
 * A NIC style queue context with a PASID: 64 bytes, the control word
 * first. The driver keeps one context per queue and tells the library
 * where the context of a slot is (slot_mem), so the cookie holds the
 * PASID: both on one entry.
 */
#define NIC_CTX		64
#define NIC_MASK	BIT(0)
#define NIC_PASID_EN	BIT(31)
#define NIC_PASID(p)	((p) << 10)
static const struct ims_slot_format nic_format = {
	.ctrl		= 0,
	.addr_lo	= 16,
	.addr_hi	= 20,
	.data		= 24,
	.mask		= NIC_MASK,
	.pasid_enable	= NIC_PASID_EN,
	.pasid_field	= GENMASK(29, 10),
};

/* Three contexts, in the opposite order of their slots; none for slot 3 on */
static void *nic_slot_mem(const struct ims_table_info *info, unsigned int slot)
{
	return slot < 3 ? info->priv + (2 - slot) * NIC_CTX : NULL;
}

static void ims_lib_slot_mem_pasid(struct kunit *test)
{
	void *ctx = kunit_slots(test, 3 * NIC_CTX), *slot0 = ctx + 2 * NIC_CTX;
	struct ims_table_info info = {
		.name = "KUNIT-NIC", .storage = IMS_STORAGE_MEMORY, .nr_slots = 3,
		.stride = NIC_CTX, .format = nic_format, .mem = ctx,
		.slot_mem = nic_slot_mem, .priv = ctx,
	};
	union msi_instance_cookie p5 = ims_pasid_cookie(5), p9 = ims_pasid_cookie(9);
	union msi_instance_cookie addr = { .ptr = ctx }, none = { };
	struct device *dev = &edu_ims_get(test)->dev;
	struct msi_map map, m1, m2;

	/* Slots come from the array or from the driver, not both */
	KUNIT_EXPECT_EQ(test, ims_create_domain(dev, &info), -EINVAL);
	info.mem = NULL;
	info.nr_slots = 0;
	KUNIT_ASSERT_EQ(test, ims_create_domain(dev, &info), 0);

	/* The cookie is a PASID (or none), never an address */
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 0, &addr, NULL).index, -EINVAL);
	/* The driver has no context for slot 3: refused, nothing left */
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 3, &p5, NULL).index, -EINVAL);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 3), 0);

	map = device_ims_alloc_irq(dev, 0, &p5, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 0);
	/* Slot 0 is the driver's last context: masked, with the PASID */
	KUNIT_EXPECT_EQ(test, word(slot0, 0), NIC_MASK | NIC_PASID_EN | NIC_PASID(5));
	KUNIT_EXPECT_EQ(test, word(ctx, 0), 0);

	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	expect_cached_msg(test, map.virq, slot0, &nic_format);
	KUNIT_EXPECT_EQ(test, word(slot0, 0), NIC_PASID_EN | NIC_PASID(5));

	/* Another PASID for the same interrupt */
	KUNIT_EXPECT_EQ(test, ims_set_cookie(dev, 0, &p9), 0);
	KUNIT_EXPECT_EQ(test, word(slot0, 0), NIC_PASID_EN | NIC_PASID(9));
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 0), map.virq);
	expect_cached_msg(test, map.virq, slot0, &nic_format);

	/* Any free slot: the core's choice is checked again, slot 3 refused */
	m1 = device_ims_alloc_irq(dev, MSI_ANY_INDEX, &none, NULL);
	m2 = device_ims_alloc_irq(dev, MSI_ANY_INDEX, &none, NULL);
	KUNIT_EXPECT_EQ(test, m1.index, 1);
	KUNIT_EXPECT_EQ(test, m2.index, 2);
	KUNIT_EXPECT_EQ(test, word(ctx, 0), NIC_MASK);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, MSI_ANY_INDEX, &p5, NULL).index,
			-EINVAL);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 3), 0);

	free_irq(map.virq, test);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), 0);
	/* Freed: masked, PASID off, message cleared */
	KUNIT_EXPECT_EQ(test, word(slot0, 0), NIC_MASK);
	KUNIT_EXPECT_EQ(test, word(slot0, 24), 0);
}

/* Custom storage: the library calls the driver's callbacks */
struct custom_log {
	unsigned int	writes, masks, unmasks, inits, releases, syncs;
	unsigned int	writes_unmasked;
	bool		masked;
	struct msi_msg	last;
	unsigned int	last_slot;
};

static void custom_write(const struct ims_table_info *info, unsigned int slot,
			 const union msi_instance_cookie *c, const struct msi_msg *msg)
{
	struct custom_log *log = info->priv;

	log->writes++;
	if (!log->masked)
		log->writes_unmasked++;
	log->last = *msg;
	log->last_slot = slot;
}

static void custom_mask(const struct ims_table_info *info, unsigned int slot,
			const union msi_instance_cookie *c, bool masked)
{
	struct custom_log *log = info->priv;

	if (masked)
		log->masks++;
	else
		log->unmasks++;
	log->masked = masked;
}

static int custom_check(const struct ims_table_info *info, unsigned int slot,
			const union msi_instance_cookie *c)
{
	/* This device takes an even "VM id" below 256 */
	return c->value < 256 && !(c->value & 1) ? 0 : -EINVAL;
}

static void custom_init(const struct ims_table_info *info, unsigned int slot,
			const union msi_instance_cookie *c)
{
	struct custom_log *log = info->priv;

	log->inits++;
	log->masked = true;
}

static void custom_release(const struct ims_table_info *info, unsigned int slot,
			   const union msi_instance_cookie *c)
{
	((struct custom_log *)info->priv)->releases++;
}

static const struct ims_table_ops custom_ops = {
	.write_msg	= custom_write,
	.set_mask	= custom_mask,
	.check_cookie	= custom_check,
	.init_slot	= custom_init,
	.release_slot	= custom_release,
};

static void ims_lib_custom_callbacks(struct kunit *test)
{
	struct custom_log *log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);
	struct ims_table_info info = {
		.name = "KUNIT-CUSTOM", .storage = IMS_STORAGE_CUSTOM, .nr_slots = 0,
		.ops = &custom_ops,
	};
	union msi_instance_cookie odd = { .value = 3 }, even = { .value = 4 };
	struct irq_desc *desc;
	struct irq_data *d;
	unsigned long flags;
	struct msi_msg msg;
	struct msi_map map;
	struct device *dev;

	KUNIT_ASSERT_NOT_NULL(test, log);
	info.priv = log;
	dev = lib_domain(test, &info);

	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 5, &odd, NULL).index, -EINVAL);
	/* The range is checked before the driver sees the slot */
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, MSI_MAX_INDEX + 1, &even, NULL).index,
			-ERANGE);
	KUNIT_EXPECT_EQ(test, log->inits, 0);
	map = device_ims_alloc_irq(dev, 5, &even, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 5);
	KUNIT_EXPECT_EQ(test, log->inits, 1);
	KUNIT_EXPECT_EQ(test, log->writes, 0);

	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	get_cached_msi_msg(map.virq, &msg);
	KUNIT_EXPECT_EQ(test, log->writes, 1);
	KUNIT_EXPECT_EQ(test, log->last_slot, 5);
	KUNIT_EXPECT_EQ(test, log->last.address_lo, msg.address_lo);
	KUNIT_EXPECT_EQ(test, log->last.address_lo & 0xfff00000, 0xfee00000);
	KUNIT_EXPECT_EQ(test, log->last.data, msg.data);
	KUNIT_EXPECT_GE(test, log->unmasks, 1);
	KUNIT_EXPECT_FALSE(test, log->masked);

	/* A rewrite of the live entry happens masked and unmasks again */
	d = irq_get_irq_data(map.virq);
	desc = irq_to_desc(map.virq);
	raw_spin_lock_irqsave(&desc->lock, flags);
	d->chip->irq_write_msi_msg(d, &msg);
	raw_spin_unlock_irqrestore(&desc->lock, flags);
	KUNIT_EXPECT_EQ(test, log->writes, 2);
	KUNIT_EXPECT_EQ(test, log->writes_unmasked, 0);
	KUNIT_EXPECT_FALSE(test, log->masked);
	free_irq(map.virq, test);
	KUNIT_EXPECT_GE(test, log->masks, 1);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), 0);
	KUNIT_EXPECT_EQ(test, log->releases, 1);
}

/* PASID encoding limits of the 20-bit DSA field */
static void ims_lib_pasid_encoding(struct kunit *test)
{
	union msi_instance_cookie wide = ims_pasid_cookie(0x100000);
	union msi_instance_cookie top = ims_pasid_cookie(0xfffff);
	union msi_instance_cookie raw = { .value = 0x42 };
	union msi_instance_cookie junk = { .value = IMS_COOKIE_PASID_VALID | BIT_ULL(40) };
	void *mem;
	struct device *dev = dsa_mem_domain(test, &mem);
	struct msi_map map;

	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 0, &wide, NULL).index, -EINVAL);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 0, &raw, NULL).index, -EINVAL);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 0, &junk, NULL).index, -EINVAL);
	/* Nothing was allocated or written */
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 0), 0);
	KUNIT_EXPECT_EQ(test, word(mem, 12), 0);

	map = device_ims_alloc_irq(dev, MSI_ANY_INDEX, &top, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 0);
	KUNIT_EXPECT_EQ(test, word(mem, 12), BIT(0) | BIT(3) | (0xfffffU << 12));
	/* No cookie: PASID disabled */
	map = device_ims_alloc_irq(dev, 1, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 1);
	KUNIT_EXPECT_EQ(test, word(mem + 16, 12), BIT(0));
}

/*
 * Write ordering: replay every word the library writes to an entry over its
 * lifetime and check that no message word is written while the entry is
 * unmasked, and that a rewrite leaves it unmasked again.
 */
static void ims_lib_write_ordering(struct kunit *test)
{
	struct ims_trace *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	void *mem;
	struct device *dev = dsa_mem_domain(test, &mem);
	union msi_instance_cookie pasid = ims_pasid_cookie(7);
	bool masked = false, torn = false;
	struct irq_desc *desc;
	struct irq_data *d;
	struct msi_msg msg;
	struct msi_map map;
	unsigned long flags;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	ims_set_write_trace(dev, ims_record);
	trace = t;

	map = device_ims_alloc_irq(dev, 2, &pasid, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 2);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);

	/* Rewrite the message of the live, unmasked entry */
	d = irq_get_irq_data(map.virq);
	desc = irq_to_desc(map.virq);
	get_cached_msi_msg(map.virq, &msg);
	raw_spin_lock_irqsave(&desc->lock, flags);
	d->chip->irq_write_msi_msg(d, &msg);
	raw_spin_unlock_irqrestore(&desc->lock, flags);
	KUNIT_EXPECT_EQ(test, word(mem + 32, 12) & BIT(0), 0);

	free_irq(map.virq, test);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), 0);
	trace = NULL;

	KUNIT_ASSERT_GT(test, t->n, 8);
	for (i = 0; i < t->n; i++) {
		KUNIT_EXPECT_EQ(test, t->slot[i], 2);
		if (t->off[i] == dsa_format.ctrl)
			masked = t->val[i] & BIT(0);
		else if (!masked)
			torn = true;
	}
	KUNIT_EXPECT_FALSE_MSG(test, torn, "a message word was written while unmasked");
	KUNIT_EXPECT_TRUE(test, masked);
}

/* Under remapping an affinity change updates the IRTE, not the stored message */
static void ims_lib_affinity_keeps_message(struct kunit *test)
{
	struct ims_trace *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	void *mem;
	struct device *dev = dsa_mem_domain(test, &mem);
	struct msi_map map;
	u32 before[4];

	KUNIT_ASSERT_NOT_NULL(test, t);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	map = device_ims_alloc_irq(dev, 0, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 0);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	memcpy(before, mem, sizeof(before));

	ims_set_write_trace(dev, ims_record);
	trace = t;
	KUNIT_EXPECT_EQ(test, irq_set_affinity(map.virq, cpumask_of(1)), 0);
	KUNIT_EXPECT_EQ(test, irq_set_affinity(map.virq, cpumask_of(0)), 0);
	trace = NULL;
	KUNIT_EXPECT_EQ(test, t->n, 0);
	KUNIT_EXPECT_EQ(test, memcmp(before, mem, sizeof(before)), 0);
	free_irq(map.virq, test);
}

static void ims_count_sync(const struct ims_table_info *info, unsigned int slot)
{
	atomic_inc((atomic_t *)info->priv);
}

static irqreturn_t ims_test_thread(int irq, void *data)
{
	return IRQ_HANDLED;
}

/*
 * A threaded handler without IRQF_ONESHOT: the core refuses it (-EINVAL)
 * unless the chip is IRQCHIP_ONESHOT_SAFE, which an edge triggered message
 * store is, as PCI/MSI is. The same holds for tables with a sync callback,
 * which under forced threading would otherwise take the bus lock and call
 * sync for every interrupt.
 */
static void ims_lib_threaded_without_oneshot(struct kunit *test)
{
	atomic_t *syncs = kunit_kzalloc(test, sizeof(*syncs), GFP_KERNEL);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format, .sync = ims_count_sync,
	};
	struct msi_map map;
	struct device *dev;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, syncs);
	info.priv = syncs;
	info.mem = kunit_slots(test, NSLOTS * 16);
	dev = lib_domain(test, &info);
	map = device_ims_alloc_irq(dev, 2, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 2);
	KUNIT_EXPECT_TRUE(test, irq_get_chip(map.virq)->flags & IRQCHIP_ONESHOT_SAFE);

	ret = request_threaded_irq(map.virq, NULL, ims_test_thread, 0, "ims-kunit", test);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		/* Request and free each reported the slot through sync */
		KUNIT_EXPECT_GE(test, atomic_read(syncs), 1);
		free_irq(map.virq, test);
	}
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), 0);
}

/* Slot 0 is the device's own: refused, but only once the slot is known */
static int custom_check_slot(const struct ims_table_info *info, unsigned int slot,
			     const union msi_instance_cookie *c)
{
	return slot == 0 ? -EPERM : 0;
}

static void custom_sync(const struct ims_table_info *info, unsigned int slot)
{
	((struct custom_log *)info->priv)->syncs++;
}

static const struct ims_table_ops custom_slot_ops = {
	.write_msg	= custom_write,
	.set_mask	= custom_mask,
	.check_cookie	= custom_check_slot,
	.init_slot	= custom_init,
	.release_slot	= custom_release,
};

/*
 * check_cookie() sees MSI_ANY_INDEX before the core picks a slot; it is
 * asked again with the slot, and its own error code reaches the caller
 * (not the MSI core's -ENOSPC), with nothing left allocated.
 */
static void ims_lib_check_cookie_any_index(struct kunit *test)
{
	struct custom_log *log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_CUSTOM, .nr_slots = 4, .ops = &custom_slot_ops,
		.sync = custom_sync,
	};
	struct device *dev;

	KUNIT_ASSERT_NOT_NULL(test, log);
	info.priv = log;
	dev = lib_domain(test, &info);

	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 0, NULL, NULL).index, -EPERM);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, MSI_ANY_INDEX, NULL, NULL).index,
			-EPERM);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 0), 0);
	KUNIT_EXPECT_EQ(test, log->inits, 0);
	KUNIT_EXPECT_EQ(test, log->releases, 0);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 1, NULL, NULL).index, 1);
	KUNIT_EXPECT_EQ(test, log->inits, 1);
	/* The refused slot left nothing behind: only slot 1 is reported */
	log->syncs = 0;
	KUNIT_EXPECT_EQ(test, ims_sync_all(dev), 0);
	KUNIT_EXPECT_EQ(test, log->syncs, 1);
}

/*
 * After a reset the PCI core's restore path rewrites every allocated entry
 * byte for byte: live and unmasked, requested but disabled, and allocated
 * but never requested, each with its PASID and the control bits the driver
 * owns. Slots without a vector are left alone.
 */
static void ims_lib_restore_after_reset(struct kunit *test)
{
	struct pci_dev *pdev = edu_ims_get(test);
	void *regs = kunit_slots(test, NSLOTS * 16);
	u8 *before = kunit_slots(test, NSLOTS * 16);
	struct ims_table_info info = {
		.name = "KUNIT-DSA", .storage = IMS_STORAGE_MMIO, .nr_slots = NSLOTS,
		.stride = 16, .format = dsa_format,
		.mmio = (void __iomem __force *)regs,
	};
	union msi_instance_cookie p1 = ims_pasid_cookie(0x11), p2 = ims_pasid_cookie(0x22);
	atomic_t *syncs = kunit_kzalloc(test, sizeof(*syncs), GFP_KERNEL);
	struct msi_map live, off, idle;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, syncs);
	/* Control bits the format does not own: the driver's, restored too */
	memset(regs, 0xa5, 3 * 16);
	/* Slots without a vector: left alone */
	memset(regs + 3 * 16, 0x33, (NSLOTS - 3) * 16);
	KUNIT_ASSERT_EQ(test, ims_create_domain(&pdev->dev, &info), 0);
	live = device_ims_alloc_irq(&pdev->dev, 0, &p1, NULL);
	off = device_ims_alloc_irq(&pdev->dev, 1, &p2, NULL);
	idle = device_ims_alloc_irq(&pdev->dev, 2, NULL, NULL);
	KUNIT_ASSERT_EQ(test, live.index, 0);
	KUNIT_ASSERT_EQ(test, off.index, 1);
	KUNIT_ASSERT_EQ(test, idle.index, 2);
	KUNIT_ASSERT_EQ(test, request_irq(live.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	KUNIT_ASSERT_EQ(test, request_irq(off.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	irq_set_status_flags(off.virq, _IRQ_DISABLE_UNLAZY);
	disable_irq(off.virq);
	memcpy(before, regs, NSLOTS * 16);

	/* The reset: the allocated entries lose everything */
	memset(regs, 0x5a, 3 * 16);
	pci_restore_msi_state(pdev);
	KUNIT_EXPECT_MEMEQ(test, regs, before, NSLOTS * 16);
	/* Live unmasked, disabled masked, idle masked: PASIDs back */
	KUNIT_EXPECT_EQ(test, word(regs, 12) & (BIT(0) | BIT(3) | GENMASK(31, 12)),
			BIT(3) | (0x11 << 12));
	KUNIT_EXPECT_EQ(test, word(regs + 16, 12) & (BIT(0) | BIT(3) | GENMASK(31, 12)),
			BIT(0) | BIT(3) | (0x22 << 12));
	KUNIT_EXPECT_EQ(test, word(regs + 32, 12) & (BIT(0) | BIT(3)), BIT(0));

	enable_irq(off.virq);
	free_irq(off.virq, test);
	free_irq(live.virq, test);
	device_remove_ims_domain(&pdev->dev);

	/*
	 * Memory slots with sync: a reset does not clear system memory, but
	 * the device must be told again. Restore calls no driver code (it
	 * runs in reset and resume paths); the driver reports every
	 * allocated slot with ims_sync_all().
	 */
	info = (struct ims_table_info){
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format, .mem = regs, .sync = ims_count_sync, .priv = syncs,
	};
	memset(regs, 0, NSLOTS * 16);
	KUNIT_ASSERT_EQ(test, ims_create_domain(&pdev->dev, &info), 0);
	live = device_ims_alloc_irq(&pdev->dev, 3, &p1, NULL);
	idle = device_ims_alloc_irq(&pdev->dev, 4, &p2, NULL);
	KUNIT_ASSERT_EQ(test, live.index, 3);
	KUNIT_ASSERT_EQ(test, idle.index, 4);
	KUNIT_ASSERT_EQ(test, request_irq(live.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	memcpy(before, regs, NSLOTS * 16);
	n = atomic_read(syncs);
	pci_restore_msi_state(pdev);
	KUNIT_EXPECT_MEMEQ(test, regs, before, NSLOTS * 16);
	KUNIT_EXPECT_EQ(test, atomic_read(syncs), n);
	KUNIT_EXPECT_EQ(test, ims_sync_all(&pdev->dev), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(syncs), n + 2);
	free_irq(live.virq, test);
	/* Freed slots are not reported any more */
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(&pdev->dev, live), 0);
	n = atomic_read(syncs);
	KUNIT_EXPECT_EQ(test, ims_sync_all(&pdev->dev), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(syncs), n + 1);
}

/* A sync which records the control word it publishes for the slot */
struct ims_publish_log {
	void		*mem;
	u32		published;
	int		syncs;
};

static void ims_publish_sync(const struct ims_table_info *info, unsigned int slot)
{
	struct ims_publish_log *log = info->priv;

	log->published = word(log->mem + slot * 16, 12);
	log->syncs++;
}

/* Mask or unmask an interrupt from hard interrupt context, as its flow handler does */
struct ims_hardirq_op {
	struct hrtimer		timer;
	struct completion	done;
	unsigned int		virq;
	bool			mask;
	bool			in_hardirq;
};

static enum hrtimer_restart ims_hardirq_fn(struct hrtimer *timer)
{
	struct ims_hardirq_op *op = container_of(timer, struct ims_hardirq_op, timer);
	struct irq_desc *desc = irq_to_desc(op->virq);

	op->in_hardirq = in_hardirq();
	raw_spin_lock(&desc->lock);
	if (op->mask)
		mask_irq(desc);
	else
		unmask_irq(desc);
	raw_spin_unlock(&desc->lock);
	complete(&op->done);
	return HRTIMER_NORESTART;
}

static void ims_hardirq_mask(struct kunit *test, unsigned int virq, bool mask)
{
	struct ims_hardirq_op op = { .virq = virq, .mask = mask };

	init_completion(&op.done);
	hrtimer_setup_on_stack(&op.timer, ims_hardirq_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	hrtimer_start(&op.timer, us_to_ktime(10), HRTIMER_MODE_REL_HARD);
	wait_for_completion(&op.done);
	hrtimer_cancel(&op.timer);
	destroy_hrtimer_on_stack(&op.timer);
	KUNIT_EXPECT_TRUE(test, op.in_hardirq);
}

/*
 * A table with sync holds the logical state: the flow handler's transient
 * mask of an enabled interrupt in hard interrupt context is not stored, so
 * a sync meanwhile (here ims_sync_all()) publishes "unmasked", and restore
 * unmasks it. disable_irq() still masks and publishes "masked". A table
 * without sync stores the transient mask (the control).
 */
static void ims_lib_sync_logical_mask(struct kunit *test)
{
	struct ims_publish_log *log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);
	union msi_instance_cookie p7 = ims_pasid_cookie(7);
	struct pci_dev *pdev = edu_ims_get(test);
	void *mem = kunit_slots(test, NSLOTS * 16);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format, .mem = mem, .sync = ims_publish_sync,
	};
	struct msi_map map;

	KUNIT_ASSERT_NOT_NULL(test, log);
	log->mem = mem;
	info.priv = log;
	KUNIT_ASSERT_EQ(test, ims_create_domain(&pdev->dev, &info), 0);
	map = device_ims_alloc_irq(&pdev->dev, 2, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 2);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	KUNIT_EXPECT_EQ(test, log->published & BIT(0), 0);

	ims_hardirq_mask(test, map.virq, true);
	KUNIT_EXPECT_TRUE(test, irqd_irq_masked(irq_get_irq_data(map.virq)));
	KUNIT_EXPECT_EQ(test, word(mem + 32, 12) & BIT(0), 0);
	log->syncs = 0;
	KUNIT_EXPECT_EQ(test, ims_sync_all(&pdev->dev), 0);
	KUNIT_EXPECT_EQ(test, log->syncs, 1);
	KUNIT_EXPECT_EQ(test, log->published & BIT(0), 0);
	/* Restore leaves an enabled interrupt unmasked, even masked transiently */
	memset(mem + 32, 0x5a, 16);
	pci_restore_msi_state(pdev);
	KUNIT_EXPECT_EQ(test, word(mem + 32, 12) & BIT(0), 0);
	ims_hardirq_mask(test, map.virq, false);
	KUNIT_EXPECT_FALSE(test, irqd_irq_masked(irq_get_irq_data(map.virq)));
	KUNIT_EXPECT_EQ(test, word(mem + 32, 12) & BIT(0), 0);
	/* A new cookie while masked transiently keeps the stored state */
	ims_hardirq_mask(test, map.virq, true);
	KUNIT_EXPECT_EQ(test, ims_set_cookie(&pdev->dev, 2, &p7), 0);
	ims_hardirq_mask(test, map.virq, false);
	KUNIT_EXPECT_EQ(test, word(mem + 32, 12) & (BIT(0) | BIT(3) | GENMASK(31, 12)),
			BIT(3) | (7 << 12));

	/* A disabled interrupt is masked, and sync publishes it */
	disable_irq(map.virq);
	KUNIT_EXPECT_EQ(test, word(mem + 32, 12) & BIT(0), BIT(0));
	KUNIT_EXPECT_EQ(test, log->published & BIT(0), BIT(0));
	pci_restore_msi_state(pdev);
	KUNIT_EXPECT_EQ(test, word(mem + 32, 12) & BIT(0), BIT(0));
	enable_irq(map.virq);
	KUNIT_EXPECT_EQ(test, log->published & BIT(0), 0);
	free_irq(map.virq, test);
	device_remove_ims_domain(&pdev->dev);

	/* Without sync the entry follows the flow handler */
	info.sync = NULL;
	KUNIT_ASSERT_EQ(test, ims_create_domain(&pdev->dev, &info), 0);
	map = device_ims_alloc_irq(&pdev->dev, 2, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 2);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	ims_hardirq_mask(test, map.virq, true);
	KUNIT_EXPECT_EQ(test, word(mem + 32, 12) & BIT(0), BIT(0));
	ims_hardirq_mask(test, map.virq, false);
	KUNIT_EXPECT_EQ(test, word(mem + 32, 12) & BIT(0), 0);
	free_irq(map.virq, test);
}

/*
 * A custom table with sync, masked transiently in hard interrupt context:
 * the device still has the entry unmasked (ims_lib_sync_logical_mask), so
 * a message write then must still be fenced by a mask, as genirq calls it
 * (under the descriptor lock).
 */
static void ims_lib_custom_write_transient_mask(struct kunit *test)
{
	struct custom_log *log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_CUSTOM, .nr_slots = 4, .ops = &custom_slot_ops,
		.sync = custom_sync,
	};
	struct irq_desc *desc;
	struct irq_data *d;
	struct msi_map map;
	struct msi_msg msg;
	struct device *dev;

	KUNIT_ASSERT_NOT_NULL(test, log);
	info.priv = log;
	dev = lib_domain(test, &info);
	map = device_ims_alloc_irq(dev, 1, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 1);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	KUNIT_EXPECT_FALSE(test, log->masked);

	ims_hardirq_mask(test, map.virq, true);
	KUNIT_EXPECT_FALSE(test, log->masked);
	desc = irq_to_desc(map.virq);
	d = irq_desc_get_irq_data(desc);
	get_cached_msi_msg(map.virq, &msg);
	log->writes = 0;
	log->writes_unmasked = 0;
	raw_spin_lock_irq(&desc->lock);
	d->chip->irq_write_msi_msg(d, &msg);
	raw_spin_unlock_irq(&desc->lock);
	KUNIT_EXPECT_EQ(test, log->writes, 1);
	KUNIT_EXPECT_EQ(test, log->writes_unmasked, 0);
	/* ... and leave it unmasked, as the device had it */
	KUNIT_EXPECT_FALSE(test, log->masked);
	ims_hardirq_mask(test, map.virq, false);
	KUNIT_EXPECT_FALSE(test, log->masked);
	free_irq(map.virq, test);
}

static DEFINE_MUTEX(ims_kunit_driver_lock);

/* A sync which takes a lock of the driver's, as a firmware mailbox would */
static void ims_locked_sync(const struct ims_table_info *info, unsigned int slot)
{
	guard(mutex)(&ims_kunit_driver_lock);
	atomic_inc((atomic_t *)info->priv);
}

struct ims_sync_race {
	struct device		*dev;
	unsigned int		virq;
	struct completion	go;
	atomic_t		*ready;
	int			err;
};

/* Allocates and frees vectors with the driver's lock held */
static int ims_sync_race_alloc(void *data)
{
	struct ims_sync_race *r = data;
	struct msi_map map;
	int i;

	atomic_inc(r->ready);
	wait_for_completion(&r->go);
	for (i = 0; i < 50 && !r->err; i++) {
		guard(mutex)(&ims_kunit_driver_lock);
		map = device_ims_alloc_irq(r->dev, MSI_ANY_INDEX, NULL, NULL);
		if (map.index < 0)
			r->err = map.index;
		else
			r->err = device_ims_free_irq(r->dev, map);
	}
	return 0;
}

/* Requests and frees the handler of another vector: sync runs each time */
static int ims_sync_race_request(void *data)
{
	struct ims_sync_race *r = data;
	int i;

	atomic_inc(r->ready);
	wait_for_completion(&r->go);
	for (i = 0; i < 50 && !r->err; i++) {
		r->err = request_irq(r->virq, ims_test_handler, 0, "ims-kunit", r);
		if (!r->err)
			free_irq(r->virq, r);
	}
	return 0;
}

/*
 * Lock order: sync takes a driver lock, and the driver allocates with that
 * lock held. The library must not take a lock of its own inside the MSI
 * core's allocation (under the irq domain mutex) which sync runs under,
 * or this deadlocks, and lockdep reports the cycle even when the timing
 * spares it. Two threads on CPUs 0 and 1, 50 rounds each.
 */
static void ims_lib_sync_lock_order(struct kunit *test)
{
	atomic_t *syncs = kunit_kzalloc(test, sizeof(*syncs), GFP_KERNEL);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format, .sync = ims_locked_sync,
	};
	struct ims_sync_race r[2] = { };
	int (*fn[2])(void *) = { ims_sync_race_alloc, ims_sync_race_request };
	struct task_struct *t[2];
	atomic_t ready = ATOMIC_INIT(0);
	struct msi_map map;
	struct device *dev;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, syncs);
	info.priv = syncs;
	info.mem = kunit_slots(test, NSLOTS * 16);
	/* skips first where no IMS machine is declared (e.g. kunit.py's x86_64) */
	dev = lib_domain(test, &info);
	KUNIT_ASSERT_TRUE_MSG(test, cpu_online(0) && cpu_online(1), "needs CPUs 0 and 1");
	map = device_ims_alloc_irq(dev, NSLOTS - 1, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, NSLOTS - 1);

	for (i = 0; i < 2; i++) {
		r[i].dev = dev;
		r[i].virq = map.virq;
		r[i].ready = &ready;
		init_completion(&r[i].go);
		t[i] = kthread_create(fn[i], &r[i], "ims-sync/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
		kthread_bind(t[i], i);
		get_task_struct(t[i]);
		wake_up_process(t[i]);
	}
	while (atomic_read(&ready) < 2)
		usleep_range(500, 1000);
	for (i = 0; i < 2; i++)
		complete(&r[i].go);
	for (i = 0; i < 2; i++) {
		kthread_stop(t[i]);
		put_task_struct(t[i]);
	}
	KUNIT_EXPECT_EQ(test, r[0].err, 0);
	KUNIT_EXPECT_EQ(test, r[1].err, 0);
	/* Every request and free of the other vector was reported */
	KUNIT_EXPECT_GE(test, atomic_read(syncs), 100);
}

/* Big-endian slot words: the same DSA entry, byte swapped */
static void ims_lib_big_endian_bytes(struct kunit *test)
{
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format,
	};
	union msi_instance_cookie pasid = ims_pasid_cookie(0x12345);
	const __be32 *w;
	struct msi_msg msg;
	struct msi_map map;
	struct device *dev;

	info.format.big_endian = true;
	info.mem = kunit_slots(test, NSLOTS * 16);
	w = info.mem + 2 * 16;
	dev = lib_domain(test, &info);
	map = device_ims_alloc_irq(dev, 2, &pasid, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 2);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(w[3]), BIT(0) | BIT(3) | (0x12345 << 12));
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	get_cached_msi_msg(map.virq, &msg);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(w[0]), msg.address_lo);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(w[1]), msg.address_hi);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(w[2]), msg.data);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(w[3]), BIT(3) | (0x12345 << 12));
	free_irq(map.virq, test);
}

struct shadow_table {
	atomic_t		syncs;
	u32			pushed_data[4];
	bool			pushed_masked[4];
	struct msi_msg		shadow[4];
	bool			masked[4];
};

static void shadow_write(const struct ims_table_info *info, unsigned int slot,
			 const union msi_instance_cookie *c, const struct msi_msg *msg)
{
	struct shadow_table *st = info->priv;

	st->shadow[slot] = *msg;
}

static void shadow_mask(const struct ims_table_info *info, unsigned int slot,
			const union msi_instance_cookie *c, bool masked)
{
	struct shadow_table *st = info->priv;

	st->masked[slot] = masked;
}

/* The "firmware command": sleeps, then takes the shadow of the slot */
static void shadow_sync(const struct ims_table_info *info, unsigned int slot)
{
	struct shadow_table *st = info->priv;

	might_sleep();
	usleep_range(100, 200);
	st->pushed_data[slot] = st->shadow[slot].data;
	st->pushed_masked[slot] = st->masked[slot];
	atomic_inc(&st->syncs);
}

static const struct ims_table_ops shadow_ops = {
	.write_msg	= shadow_write,
	.set_mask	= shadow_mask,
};

/*
 * A sleepable custom kind: entries that only (sleeping) firmware commands
 * can change. The atomic callbacks fill a shadow, sync sends it.
 */
static void ims_lib_custom_sync_sleeps(struct kunit *test)
{
	struct shadow_table *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_CUSTOM, .nr_slots = 4, .ops = &shadow_ops,
		.sync = shadow_sync,
	};
	struct msi_msg msg;
	struct msi_map map;
	struct device *dev;

	KUNIT_ASSERT_NOT_NULL(test, st);
	info.priv = st;
	dev = lib_domain(test, &info);
	map = device_ims_alloc_irq(dev, 3, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 3);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	get_cached_msi_msg(map.virq, &msg);
	KUNIT_EXPECT_GE(test, atomic_read(&st->syncs), 1);
	KUNIT_EXPECT_EQ(test, st->pushed_data[3], msg.data);
	KUNIT_EXPECT_FALSE(test, st->pushed_masked[3]);
	/* Not lazy: disable_irq() masks at once, so sync sees it */
	disable_irq(map.virq);
	KUNIT_EXPECT_TRUE(test, st->pushed_masked[3]);
	enable_irq(map.virq);
	KUNIT_EXPECT_FALSE(test, st->pushed_masked[3]);
	free_irq(map.virq, test);
	KUNIT_EXPECT_TRUE(test, st->pushed_masked[3]);
	/* No callback could rebind a custom entry */
	KUNIT_EXPECT_EQ(test, ims_set_cookie(dev, 3, &(union msi_instance_cookie){ }),
			-EOPNOTSUPP);
}

/* IMS vectors are listed in the device's msi_irqs/ directory */
static void ims_lib_sysfs_msi_irqs(struct kunit *test)
{
	void *mem;
	struct device *dev = dsa_mem_domain(test, &mem);
	struct msi_map map = device_ims_alloc_irq(dev, 4, NULL, NULL);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct msi_desc *desc;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, map.index, 4);
	desc = irq_get_msi_desc(map.virq);
	KUNIT_ASSERT_NOT_NULL(test, desc);
	KUNIT_ASSERT_NOT_NULL(test, desc->sysfs_attrs);
	/* The mode says IMS, not the device's MSI or MSI-X mode */
	KUNIT_EXPECT_EQ(test, desc->sysfs_attrs[0].show(dev, &desc->sysfs_attrs[0], buf), 4);
	KUNIT_EXPECT_STREQ(test, buf, "ims\n");
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), 0);
}

/* A new PASID for a live entry: same interrupt, same message */
static void ims_lib_set_cookie(struct kunit *test)
{
	union msi_instance_cookie p5 = ims_pasid_cookie(5), p9 = ims_pasid_cookie(9);
	union msi_instance_cookie wide = ims_pasid_cookie(0x100000), none = { };
	void *mem;
	struct device *dev = dsa_mem_domain(test, &mem);
	struct msi_map map = device_ims_alloc_irq(dev, 6, &p5, NULL);
	void *slot = mem + 6 * 16;
	u8 before[16];

	KUNIT_ASSERT_EQ(test, map.index, 6);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	KUNIT_EXPECT_EQ(test, word(slot, 12), BIT(3) | (5 << 12));
	memcpy(before, slot, 16);

	KUNIT_EXPECT_EQ(test, ims_set_cookie(dev, 6, &wide), -EINVAL);
	KUNIT_EXPECT_EQ(test, ims_set_cookie(dev, 5, &p9), -ENOENT);
	KUNIT_EXPECT_MEMEQ(test, slot, before, 16);

	KUNIT_EXPECT_EQ(test, ims_set_cookie(dev, 6, &p9), 0);
	KUNIT_EXPECT_EQ(test, word(slot, 12), BIT(3) | (9 << 12));
	KUNIT_EXPECT_MEMEQ(test, slot, before, 12);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 6), map.virq);
	KUNIT_EXPECT_EQ(test, irq_get_msi_desc(map.virq)->data.icookie.value, p9.value);

	/* No PASID; a disabled entry stays masked */
	irq_set_status_flags(map.virq, _IRQ_DISABLE_UNLAZY);
	disable_irq(map.virq);
	KUNIT_EXPECT_EQ(test, ims_set_cookie(dev, 6, &none), 0);
	KUNIT_EXPECT_EQ(test, word(slot, 12), BIT(0));
	enable_irq(map.virq);
	KUNIT_EXPECT_EQ(test, word(slot, 12), 0);
	free_irq(map.virq, test);
}

static struct kunit_case ims_lib_cases[] = {
	KUNIT_CASE(ims_lib_dsa_mmio_bytes),
	KUNIT_CASE(ims_lib_queue_context_bytes),
	KUNIT_CASE(ims_lib_slot_mem_pasid),
	KUNIT_CASE(ims_lib_custom_callbacks),
	KUNIT_CASE(ims_lib_pasid_encoding),
	KUNIT_CASE(ims_lib_write_ordering),
	KUNIT_CASE(ims_lib_affinity_keeps_message),
	KUNIT_CASE(ims_lib_threaded_without_oneshot),
	KUNIT_CASE(ims_lib_check_cookie_any_index),
	KUNIT_CASE(ims_lib_restore_after_reset),
	KUNIT_CASE(ims_lib_sync_logical_mask),
	KUNIT_CASE(ims_lib_custom_write_transient_mask),
	KUNIT_CASE(ims_lib_sync_lock_order),
	KUNIT_CASE(ims_lib_big_endian_bytes),
	KUNIT_CASE(ims_lib_custom_sync_sleeps),
	KUNIT_CASE(ims_lib_sysfs_msi_irqs),
	KUNIT_CASE(ims_lib_set_cookie),
	{}
};

static struct kunit_suite ims_lib_suite = {
	.name = "ims_table",
	.init = ims_test_init,
	.exit = ims_test_exit,
	.test_cases = ims_lib_cases,
};

/* --------------------------------------------------------------------- */
/* Allocation interface                                                   */

static struct device *alloc_domain(struct kunit *test)
{
	void *mem;

	return dsa_mem_domain(test, &mem);
}

static void ims_alloc_index_and_any(struct kunit *test)
{
	struct device *dev = alloc_domain(test);

	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 5, NULL, NULL).index, 5);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, MSI_ANY_INDEX, NULL, NULL).index, 0);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, MSI_ANY_INDEX, NULL, NULL).index, 1);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 5, NULL, NULL).index, -EBUSY);
	KUNIT_EXPECT_NE(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 5), 0);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 2), 0);
}

static void ims_alloc_exhaustion(struct kunit *test)
{
	struct device *dev = alloc_domain(test);
	struct msi_map map[NSLOTS];
	int i;

	for (i = 0; i < NSLOTS; i++) {
		map[i] = device_ims_alloc_irq(dev, MSI_ANY_INDEX, NULL, NULL);
		KUNIT_ASSERT_EQ(test, map[i].index, i);
	}
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, MSI_ANY_INDEX, NULL, NULL).index,
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map[6]), 0);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, MSI_ANY_INDEX, NULL, NULL).index, 6);
}

static void ims_alloc_range_and_double_free(struct kunit *test)
{
	struct device *dev = alloc_domain(test);
	struct msi_map map, other;

	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, NSLOTS, NULL, NULL).index, -ERANGE);
	map = device_ims_alloc_irq(dev, 2, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 2);
	/* A map holding an error code, a slot beyond the table */
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, (struct msi_map){ .index = -ENOSPC }),
			-EINVAL);
	other = (struct msi_map){ .index = NSLOTS, .virq = map.virq };
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, other), -ERANGE);
	/* The slot holds another interrupt than the map says: nothing freed */
	other = (struct msi_map){ .index = 2, .virq = map.virq + 1 };
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, other), -ESTALE);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 2), map.virq);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), 0);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), -ENOENT);
	other = (struct msi_map){ .index = 3, .virq = map.virq };
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, other), -ENOENT);
}

static void ims_alloc_free_with_handler(struct kunit *test)
{
	struct device *dev = alloc_domain(test);
	struct msi_map map = device_ims_alloc_irq(dev, 1, NULL, NULL);

	KUNIT_ASSERT_EQ(test, map.index, 1);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), -EBUSY);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 1), map.virq);
	free_irq(map.virq, test);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), 0);
}

static void ims_alloc_free_all(struct kunit *test)
{
	struct device *dev = alloc_domain(test);
	int i;

	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, device_ims_alloc_irq(dev, i * 2, NULL, NULL).index, i * 2);
	device_ims_free_all_irqs(dev);
	for (i = 0; i < NSLOTS; i++)
		KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, i), 0);
	KUNIT_EXPECT_TRUE(test, has_ims_domain(dev));
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, MSI_ANY_INDEX, NULL, NULL).index, 0);
}

static void ims_alloc_no_domain(struct kunit *test)
{
	struct pci_dev *pdev = edu_get(test);

	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(&pdev->dev, 0, NULL, NULL).index, -ENODEV);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(&pdev->dev, (struct msi_map){ .virq = 1 }),
			-ENODEV);
	device_ims_free_all_irqs(&pdev->dev);
	device_remove_ims_domain(&pdev->dev);
}

static void ims_alloc_create_twice(struct kunit *test)
{
	struct device *dev = alloc_domain(test);
	void *mem = kunit_slots(test, 16);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = 1, .stride = 16,
		.format = dsa_format, .mem = mem,
	};

	KUNIT_EXPECT_EQ(test, ims_create_domain(dev, &info), -EBUSY);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 7, NULL, NULL).index, 7);
}

struct ims_race {
	struct device		*dev;
	const struct ims_table_info *info;
	struct completion	go;
	atomic_t		ready;
	int			ret;
};

static int ims_race_creator(void *data)
{
	struct ims_race *r = data;

	atomic_inc(&r->ready);
	wait_for_completion(&r->go);
	r->ret = ims_create_domain(r->dev, r->info);
	return 0;
}

/*
 * Two creators at once on CPUs 0 and 1: exactly one gets the domain, the
 * other -EBUSY (not a WARN in the MSI core and -ENOMEM).
 */
static void ims_alloc_create_concurrently(struct kunit *test)
{
	struct pci_dev *pdev = edu_ims_get(test);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format,
	};
	int round, cpu, busy = 0;

	KUNIT_ASSERT_TRUE_MSG(test, cpu_online(0) && cpu_online(1), "needs CPUs 0 and 1");
	info.mem = kunit_slots(test, NSLOTS * 16);
	for (round = 0; round < 50; round++) {
		struct ims_race r[2] = { };
		struct task_struct *t[2];

		for (cpu = 0; cpu < 2; cpu++) {
			r[cpu].dev = &pdev->dev;
			r[cpu].info = &info;
			init_completion(&r[cpu].go);
			t[cpu] = kthread_create(ims_race_creator, &r[cpu], "ims-race/%d", cpu);
			KUNIT_ASSERT_FALSE(test, IS_ERR(t[cpu]));
			kthread_bind(t[cpu], cpu);
			get_task_struct(t[cpu]);
			wake_up_process(t[cpu]);
		}
		while (atomic_read(&r[0].ready) + atomic_read(&r[1].ready) < 2)
			usleep_range(500, 1000);
		complete(&r[0].go);
		complete(&r[1].go);
		for (cpu = 0; cpu < 2; cpu++) {
			kthread_stop(t[cpu]);
			put_task_struct(t[cpu]);
		}
		KUNIT_EXPECT_TRUE_MSG(test, (r[0].ret == 0 && r[1].ret == -EBUSY) ||
				      (r[0].ret == -EBUSY && r[1].ret == 0),
				      "round %d: %d and %d", round, r[0].ret, r[1].ret);
		busy += r[0].ret == -EBUSY || r[1].ret == -EBUSY;
		KUNIT_EXPECT_TRUE(test, has_ims_domain(&pdev->dev));
		device_remove_ims_domain(&pdev->dev);
	}
	KUNIT_EXPECT_EQ(test, busy, 50);
}

/*
 * Removing the domain frees its idle vectors. A vector whose handler its
 * owner still holds is a bug of the owner: the core frees neither the
 * handler nor the vector, but warns once and leaks the domain with that
 * vector, whose chip no longer touches the table. The owner's late
 * free_irq() then writes nothing, and the device can get a new domain.
 */
static void ims_alloc_remove_live(struct kunit *test)
{
	void *mem, *mem2, *busy_slot;
	struct device *dev = dsa_mem_domain(test, &mem);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format,
	};
	unsigned int virqs[3];
	u8 live[16], poison[16];
	struct irq_data *d;
	struct msi_map map;
	int i;

	for (i = 0; i < 3; i++) {
		map = device_ims_alloc_irq(dev, MSI_ANY_INDEX, NULL, NULL);
		KUNIT_ASSERT_EQ(test, map.index, i);
		virqs[i] = map.virq;
	}
	KUNIT_ASSERT_EQ(test, request_irq(virqs[1], ims_test_handler, 0, "ims-kunit", test), 0);
	busy_slot = mem + 16;
	memcpy(live, busy_slot, sizeof(live));
	KUNIT_ASSERT_EQ(test, word(live, 12) & BIT(0), 0);

	kunit_warning_suppress(test) {
		device_remove_ims_domain(dev);
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}
	KUNIT_EXPECT_FALSE(test, has_ims_domain(dev));
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 0, NULL, NULL).index, -ENODEV);
	/* The idle vectors are freed and their slots masked */
	KUNIT_EXPECT_NULL(test, irq_get_msi_desc(virqs[0]));
	KUNIT_EXPECT_NULL(test, irq_get_msi_desc(virqs[2]));
	KUNIT_EXPECT_EQ(test, word(mem, 12), BIT(0));
	KUNIT_EXPECT_EQ(test, word(mem + 32, 12), BIT(0));
	/* The busy one keeps its handler and its entry, untouched */
	KUNIT_EXPECT_TRUE(test, irq_has_action(virqs[1]));
	KUNIT_EXPECT_NOT_NULL(test, irq_get_msi_desc(virqs[1]));
	KUNIT_EXPECT_MEMEQ(test, busy_slot, live, sizeof(live));
	d = irq_get_irq_data(virqs[1]);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_STREQ(test, d->chip->name, "IMS-orphan");

	/* The owner frees late: nothing reaches the (possibly freed) table */
	memset(poison, 0x5a, sizeof(poison));
	memcpy(busy_slot, poison, sizeof(poison));
	disable_irq(virqs[1]);
	enable_irq(virqs[1]);
	free_irq(virqs[1], test);
	KUNIT_EXPECT_FALSE(test, irq_has_action(virqs[1]));
	KUNIT_EXPECT_MEMEQ(test, busy_slot, poison, sizeof(poison));

	/* The device can have a new domain */
	mem2 = kunit_slots(test, NSLOTS * 16);
	info.mem = mem2;
	KUNIT_ASSERT_EQ(test, ims_create_domain(dev, &info), 0);
	map = device_ims_alloc_irq(dev, 1, NULL, NULL);
	KUNIT_EXPECT_EQ(test, map.index, 1);
	KUNIT_EXPECT_NE(test, map.virq, virqs[1]);
}

/*
 * A sync already on its way when the domain is leaked: an owner's
 * free_irq() or disable_irq() that read the library's chip just before the
 * swap calls the library's bus unlock after it. No sync may reach the
 * driver then; the call is made here directly, as that owner would.
 */
static void ims_alloc_remove_live_sync(struct kunit *test)
{
	atomic_t *syncs = kunit_kzalloc(test, sizeof(*syncs), GFP_KERNEL);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format, .sync = ims_count_sync,
	};
	struct irq_chip *lib_chip;
	struct irq_data *d;
	struct msi_map map;
	struct device *dev;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, syncs);
	info.priv = syncs;
	info.mem = kunit_slots(test, NSLOTS * 16);
	dev = lib_domain(test, &info);
	map = device_ims_alloc_irq(dev, 1, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 1);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	d = irq_get_irq_data(map.virq);
	KUNIT_ASSERT_NOT_NULL(test, d);
	lib_chip = d->chip;
	KUNIT_ASSERT_NOT_NULL(test, lib_chip->irq_bus_sync_unlock);
	/* While the domain lives, the library's bus unlock reports the slot */
	n = atomic_read(syncs);
	lib_chip->irq_bus_sync_unlock(d);
	KUNIT_EXPECT_EQ(test, atomic_read(syncs), n + 1);

	kunit_warning_suppress(test) {
		device_remove_ims_domain(dev);
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}
	KUNIT_EXPECT_STREQ(test, d->chip->name, "IMS-orphan");
	n = atomic_read(syncs);
	lib_chip->irq_bus_sync_unlock(d);
	disable_irq(map.virq);
	enable_irq(map.virq);
	free_irq(map.virq, test);
	KUNIT_EXPECT_EQ(test, atomic_read(syncs), n);
}

/* A sync that blocks once, for up to 200 ms, and counts late calls */
struct ims_block_sync {
	struct completion	entered;
	struct completion	go;
	atomic_t		block;
	atomic_t		after_removal;
	bool			removed;
};

static void ims_blocking_sync(const struct ims_table_info *info, unsigned int slot)
{
	struct ims_block_sync *b = info->priv;

	if (READ_ONCE(b->removed))
		atomic_inc(&b->after_removal);
	if (atomic_xchg(&b->block, 0)) {
		complete(&b->entered);
		wait_for_completion_timeout(&b->go, msecs_to_jiffies(200));
	}
}

struct ims_free_op {
	unsigned int		virq;
	void			*dev_id;
	struct completion	done;
};

static int ims_free_thread(void *data)
{
	struct ims_free_op *op = data;

	free_irq(op->virq, op->dev_id);
	complete(&op->done);
	return 0;
}

/*
 * The domain is removed while the owner's free_irq() is under way: the
 * handler is already unlinked, but free_irq() is in the table's sync and
 * goes on using the vector until it drops the request mutex. The vector is
 * still the owner's: it is orphaned, not freed under free_irq(), removal
 * waits for the sync in progress, and no sync runs after removal returns.
 */
static void ims_alloc_remove_during_free(struct kunit *test)
{
	struct ims_block_sync *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	struct ims_free_op *op = kunit_kzalloc(test, sizeof(*op), GFP_KERNEL);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format, .sync = ims_blocking_sync,
	};
	struct task_struct *t;
	struct irq_data *d;
	struct msi_map map;
	struct device *dev;
	bool entered;

	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, op);
	init_completion(&b->entered);
	init_completion(&b->go);
	init_completion(&op->done);
	info.priv = b;
	info.mem = kunit_slots(test, NSLOTS * 16);
	dev = lib_domain(test, &info);
	map = device_ims_alloc_irq(dev, 1, NULL, NULL);
	KUNIT_ASSERT_EQ(test, map.index, 1);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);

	atomic_set(&b->block, 1);
	op->virq = map.virq;
	op->dev_id = test;
	t = kthread_run(ims_free_thread, op, "ims-kunit-free");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	entered = wait_for_completion_timeout(&b->entered, 5 * HZ);
	KUNIT_EXPECT_TRUE(test, entered);
	if (entered) {
		KUNIT_EXPECT_FALSE(test, irq_has_action(map.virq));
		kunit_warning_suppress(test) {
			device_remove_ims_domain(dev);
			KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
		}
		WRITE_ONCE(b->removed, true);
		/* Not freed: still the owner's interrupt, with the orphan chip */
		d = irq_get_irq_data(map.virq);
		KUNIT_EXPECT_NOT_NULL(test, d);
		if (d)
			KUNIT_EXPECT_STREQ(test, d->chip->name, "IMS-orphan");
	}
	complete(&b->go);
	wait_for_completion(&op->done);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->after_removal), 0);
}

/*
 * Freeing all vectors leaves one with a handler allocated, with a warning,
 * and frees the rest; the owner frees it later.
 */
static void ims_alloc_free_all_busy(struct kunit *test)
{
	struct device *dev = alloc_domain(test);
	struct msi_map map;
	int i;

	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, device_ims_alloc_irq(dev, i, NULL, NULL).index, i);
	map.index = 1;
	map.virq = msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 1);
	KUNIT_ASSERT_EQ(test, request_irq(map.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	kunit_warning_suppress(test) {
		device_ims_free_all_irqs(dev);
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 0), 0);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 2), 0);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(dev, MSI_SECONDARY_DOMAIN, 1), map.virq);
	KUNIT_EXPECT_TRUE(test, irq_has_action(map.virq));
	free_irq(map.virq, test);
	KUNIT_EXPECT_EQ(test, device_ims_free_irq(dev, map), 0);
}

/*
 * The PCI/IMS interface: allocation anywhere and at an index, a free that
 * refuses a stale map (the slot now holds another interrupt) and a vector
 * with a handler, each with one warning and nothing freed, freeing all and
 * removing the domain.
 */
static void ims_alloc_pci_interface(struct kunit *test)
{
	struct pci_dev *pdev = to_pci_dev(alloc_domain(test));
	struct msi_map m0, m3, m4, stale;

	m0 = pci_ims_alloc_irq(pdev, NULL, NULL);
	KUNIT_ASSERT_EQ(test, m0.index, 0);
	m3 = pci_ims_alloc_irq_at(pdev, 3, NULL, NULL);
	KUNIT_ASSERT_EQ(test, m3.index, 3);
	KUNIT_EXPECT_EQ(test, pci_ims_alloc_irq_at(pdev, 3, NULL, NULL).index, -EBUSY);
	m4 = pci_ims_alloc_irq_at(pdev, 4, NULL, NULL);
	KUNIT_ASSERT_EQ(test, m4.index, 4);

	pci_ims_free_irq(pdev, m0);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(&pdev->dev, MSI_SECONDARY_DOMAIN, 0), 0);

	/* Slot 3 with slot 4's interrupt: a stale map frees nothing */
	stale = (struct msi_map){ .index = 3, .virq = m4.virq };
	kunit_warning_suppress(test) {
		pci_ims_free_irq(pdev, stale);
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(&pdev->dev, MSI_SECONDARY_DOMAIN, 3), m3.virq);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(&pdev->dev, MSI_SECONDARY_DOMAIN, 4), m4.virq);

	/* A vector whose handler is requested is not freed */
	KUNIT_ASSERT_EQ(test, request_irq(m4.virq, ims_test_handler, 0, "ims-kunit", test), 0);
	kunit_warning_suppress(test) {
		pci_ims_free_irq(pdev, m4);
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(&pdev->dev, MSI_SECONDARY_DOMAIN, 4), m4.virq);
	free_irq(m4.virq, test);

	pci_ims_free_all_irqs(pdev);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(&pdev->dev, MSI_SECONDARY_DOMAIN, 3), 0);
	KUNIT_EXPECT_EQ(test, msi_domain_get_virq(&pdev->dev, MSI_SECONDARY_DOMAIN, 4), 0);
	KUNIT_EXPECT_TRUE(test, has_ims_domain(&pdev->dev));
	pci_remove_ims_domain(pdev);
	KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));
	KUNIT_EXPECT_EQ(test, pci_ims_alloc_irq(pdev, NULL, NULL).index, -ENODEV);
}

struct ims_churn {
	struct device	*dev;
	int		allocs;
	int		enodev;
	int		other;
};

/* Allocate and free any slot, as fast as it goes, until stopped */
static int ims_churn_fn(void *data)
{
	struct ims_churn *c = data;
	struct msi_map map;
	int ret;

	while (!kthread_should_stop()) {
		map = device_ims_alloc_irq(c->dev, MSI_ANY_INDEX, NULL, NULL);
		if (map.index >= 0) {
			c->allocs++;
			/* The domain may have gone with the vector meanwhile */
			ret = device_ims_free_irq(c->dev, map);
			if (ret && ret != -ENODEV && ret != -ENOENT)
				c->other++;
		} else if (map.index == -ENODEV) {
			c->enodev++;
		} else if (map.index != -ENOSPC) {
			c->other++;
		}
		cond_resched();
	}
	return 0;
}

/*
 * Create and remove the domain while another CPU allocates and frees in
 * it: every allocation either lands in a live domain and is freed with it,
 * or fails with -ENODEV. A vector allocated between freeing all and
 * removing the domain would survive into the removed domain (a warning in
 * irq_domain_remove(), which fails the run).
 */
static void ims_alloc_concurrent_remove(struct kunit *test)
{
	struct pci_dev *pdev = edu_ims_get(test);
	struct ims_table_info info = {
		.storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS, .stride = 16,
		.format = dsa_format,
	};
	struct ims_churn c = { .dev = &pdev->dev };
	struct task_struct *t;
	int round;

	KUNIT_ASSERT_TRUE_MSG(test, cpu_online(1), "needs CPU 1");
	info.mem = kunit_slots(test, NSLOTS * 16);
	t = kthread_create(ims_churn_fn, &c, "ims-churn");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, 1);
	get_task_struct(t);
	wake_up_process(t);
	for (round = 0; round < 60; round++) {
		KUNIT_ASSERT_EQ(test, ims_create_domain(&pdev->dev, &info), 0);
		usleep_range(1000, 3000);
		device_remove_ims_domain(&pdev->dev);
		usleep_range(20, 100);
	}
	kthread_stop(t);
	put_task_struct(t);
	kunit_info(test, "%d allocations, %d -ENODEV\n", c.allocs, c.enodev);
	KUNIT_EXPECT_GT(test, c.allocs, 0);
	KUNIT_EXPECT_GT(test, c.enodev, 0);
	KUNIT_EXPECT_EQ(test, c.other, 0);
	KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));
}

/*
 * In a full probe the driver enables MSI, creates an IMS domain, allocates
 * three device managed vectors and requests one device managed handler.
 */
static int ims_kunit_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ims_table_info info = {
		.name = "KUNIT-BOUND", .storage = IMS_STORAGE_MEMORY, .nr_slots = NSLOTS,
		.stride = 16, .format = dsa_format, .mem = bound.mem,
	};
	struct msi_map map;
	int i, ret;

	if (pdev != bound.target)
		return -ENODEV;
	if (!bound.full) {
		bound.probe_ret = 0;
		return 0;
	}
	ret = pcim_enable_device(pdev);
	if (!ret)
		ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (ret < 0)
		goto out;
	bound.msi_virq = pci_irq_vector(pdev, 0);
	ret = ims_create_domain(&pdev->dev, &info);
	if (ret)
		goto out;
	for (i = 0; i < 3; i++) {
		map = devm_device_ims_alloc_irq(&pdev->dev, MSI_ANY_INDEX, NULL, NULL);
		if (map.index < 0) {
			ret = map.index;
			goto out;
		}
		bound.ims_virq[i] = map.virq;
	}
	ret = devm_request_irq(&pdev->dev, bound.ims_virq[0], ims_test_handler, 0,
			       "ims-kunit-bound", &bound);
out:
	bound.probe_ret = ret;
	return ret;
}

static void ims_alloc_devres_and_msi(struct kunit *test)
{
	struct ims_test_ctx *ctx = test->priv;
	struct pci_dev *pdev;
	struct irq_data *d;
	int i;

	if (!accepting_parent())
		kunit_skip(test, "IMS needs the vtd machine (variant '%s')", variant);
	bound.mem = kunit_slots(test, NSLOTS * 16);
	pdev = edu_bind(test, true);
	KUNIT_EXPECT_EQ(test, bound.probe_ret, 0);
	if (!bound.probe_ret) {
		/* IMS beside MSI: two domains, distinct interrupts */
		d = irq_get_irq_data(bound.msi_virq);
		KUNIT_EXPECT_NOT_NULL(test, strstr(d->chip->name, "PCI-MSI"));
		d = irq_get_irq_data(bound.ims_virq[0]);
		KUNIT_EXPECT_NOT_NULL(test, strstr(d->chip->name, "KUNIT-BOUND"));
		for (i = 0; i < 3; i++)
			KUNIT_EXPECT_NE(test, bound.ims_virq[i], bound.msi_virq);
		KUNIT_EXPECT_TRUE(test, irq_has_action(bound.ims_virq[0]));
		KUNIT_EXPECT_NE(test, word(bound.mem, 12) & BIT(0), BIT(0));
	}
	pci_unregister_driver(&ims_kunit_driver);
	ctx->registered = false;

	/* Unbinding released the handler, the vectors and the domain */
	KUNIT_EXPECT_NULL(test, pdev->dev.driver);
	KUNIT_EXPECT_FALSE(test, has_ims_domain(&pdev->dev));
	for (i = 0; i < 3; i++)
		if (bound.ims_virq[i])
			KUNIT_EXPECT_NULL(test, irq_get_msi_desc(bound.ims_virq[i]));
	KUNIT_EXPECT_EQ(test, word(bound.mem, 12), BIT(0));
}

static struct kunit_case ims_alloc_cases[] = {
	KUNIT_CASE(ims_alloc_index_and_any),
	KUNIT_CASE(ims_alloc_exhaustion),
	KUNIT_CASE(ims_alloc_range_and_double_free),
	KUNIT_CASE(ims_alloc_free_with_handler),
	KUNIT_CASE(ims_alloc_free_all),
	KUNIT_CASE(ims_alloc_free_all_busy),
	KUNIT_CASE(ims_alloc_pci_interface),
	KUNIT_CASE(ims_alloc_concurrent_remove),
	KUNIT_CASE(ims_alloc_no_domain),
	KUNIT_CASE(ims_alloc_create_twice),
	KUNIT_CASE(ims_alloc_create_concurrently),
	KUNIT_CASE(ims_alloc_remove_live),
	KUNIT_CASE(ims_alloc_remove_live_sync),
	KUNIT_CASE(ims_alloc_remove_during_free),
	KUNIT_CASE(ims_alloc_devres_and_msi),
	{}
};

static struct kunit_suite ims_alloc_suite = {
	.name = "ims_alloc",
	.init = ims_test_init,
	.exit = ims_test_exit,
	.test_cases = ims_alloc_cases,
};

kunit_test_suites(&ims_policy_suite, &ims_desc_suite, &ims_lib_suite, &ims_alloc_suite);

MODULE_DESCRIPTION("KUnit tests of IMS domains and the IMS table library");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
MODULE_IMPORT_NS("IMS");
