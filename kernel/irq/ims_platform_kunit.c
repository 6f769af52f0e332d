// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the machine the IMS tests run on.
 *
 * The IMS test suites reason about interrupt-remapping parents, so before
 * they are trusted this suite checks that the booted kernel really sits on
 * the platform the harness claims (passed as ims_platform_kunit.variant=):
 * which MSI parent domain owns the PCI devices, how many edu devices exist,
 * and that the debugging set (lockdep, KASAN) is live.
 */
#include <kunit/test.h>
#include <linux/debug_locks.h>
#include <linux/irqdomain.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>

static char *variant = "";
module_param(variant, charp, 0444);
MODULE_PARM_DESC(variant, "machine variant: vtd, dsa, vtd-caching, amdvi or none");

static int edu = -1;
module_param(edu, int, 0444);
MODULE_PARM_DESC(edu, "number of edu devices the machine was given");

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

static void ims_platform_variant_known(struct kunit *test)
{
	static const char * const known[] = { "vtd", "dsa", "vtd-caching", "amdvi", "none" };
	int i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(variant, known[i]))
			return;
	KUNIT_FAIL(test, "unknown variant '%s'", variant);
}

static void ims_platform_edu_count(struct kunit *test)
{
	struct pci_dev *pdev = NULL;
	int n = 0;

	while ((pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, pdev)))
		n++;
	KUNIT_EXPECT_EQ(test, n, edu);
}

/*
 * The bus token of the domain that parents a PCI device's per-device MSI
 * domains: the remapping unit's domain under VT-d or AMD-Vi, the plain
 * vector domain (DOMAIN_BUS_ANY) without remapping.
 */
static void ims_platform_msi_parent(struct kunit *test)
{
	enum irq_domain_bus_token want;
	struct pci_dev *pdev = NULL;
	int n = 0;

	/* dsa: the vtd machine with two DSA functions */
	if (!strcmp(variant, "vtd") || !strcmp(variant, "dsa") ||
	    !strcmp(variant, "vtd-caching"))
		want = DOMAIN_BUS_DMAR;
	else if (!strcmp(variant, "amdvi"))
		want = DOMAIN_BUS_AMDVI;
	else
		want = DOMAIN_BUS_ANY;

	while ((pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, pdev))) {
		struct irq_domain *d = dev_get_msi_domain(&pdev->dev);

		KUNIT_ASSERT_NOT_NULL(test, d);
		KUNIT_EXPECT_TRUE_MSG(test, irq_domain_is_msi_parent(d),
				      "%s: MSI domain %s is not an MSI parent",
				      pci_name(pdev), d->name);
		KUNIT_EXPECT_EQ_MSG(test, d->bus_token, want,
				    "%s: MSI parent %s", pci_name(pdev), d->name);
		n++;
	}
	if (!n)
		kunit_skip(test, "no edu device on this machine");
}

static void ims_platform_debug_set(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, IS_ENABLED(CONFIG_PROVE_LOCKING));
	KUNIT_EXPECT_TRUE(test, IS_ENABLED(CONFIG_KASAN));
	KUNIT_EXPECT_TRUE(test, IS_ENABLED(CONFIG_DEBUG_KMEMLEAK));
	KUNIT_EXPECT_EQ_MSG(test, debug_locks, 1,
			    "lockdep turned itself off: an earlier report happened");
}

static struct kunit_case ims_platform_cases[] = {
	KUNIT_CASE(ims_platform_variant_known),
	KUNIT_CASE(ims_platform_edu_count),
	KUNIT_CASE(ims_platform_msi_parent),
	KUNIT_CASE(ims_platform_debug_set),
	{}
};

/* The suite checks the IMS test machines only: without a variant, skip */
static int ims_platform_init(struct kunit *test)
{
	if (!*variant)
		kunit_skip(test, "no IMS test machine declared (ims_platform_kunit.variant=)");
	return 0;
}

static struct kunit_suite ims_platform_suite = {
	.name = "ims_platform",
	.init = ims_platform_init,
	.test_cases = ims_platform_cases,
};

kunit_test_suite(ims_platform_suite);

MODULE_DESCRIPTION("KUnit checks of the platform the IMS tests run on");
MODULE_LICENSE("GPL");
