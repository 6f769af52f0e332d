// SPDX-License-Identifier: GPL-2.0
/*
 * PCI/IMS: the interface of 6.2-6.9 (pci_create_ims_domain(),
 * pci_ims_alloc_irq(), pci_ims_free_irq()) plus allocation at an index,
 * freeing all vectors and removing the domain, on top of the bus neutral
 * IMS device interface (kernel/irq/ims_domain.c).
 */
#include <linux/irq_ims.h>
#include <linux/msi.h>
#include <linux/pci.h>

#include "msi.h"

/*
 * The PCI policy: a device may only get an IMS domain where it may use MSI
 * at all. pci=nomsi, a device with no_msi set (quirks) and a bridge above
 * it which does not forward MSI writes (PCI_BUS_FLAGS_NO_MSI) refuse IMS as
 * they refuse MSI and MSI-X.
 */
static int pci_ims_supported(struct device *dev)
{
	return pci_msi_supported(to_pci_dev(dev), 1) ? 0 : -EOPNOTSUPP;
}

static struct ims_bus_policy pci_ims_policy = {
	.bus		= &pci_bus_type,
	.supported	= pci_ims_supported,
};

static int __init pci_ims_init(void)
{
	ims_register_bus_policy(&pci_ims_policy);
	return 0;
}
postcore_initcall(pci_ims_init);

/**
 * pci_create_ims_domain - Create the IMS domain of a PCI device
 * @pdev:	The PCI device
 * @template:	Domain template with the device's irq chip; bus token
 *		%DOMAIN_BUS_PCI_DEVICE_IMS; see device_create_ims_domain()
 *		for the requirements
 * @hwsize:	Number of slots, 0 for unbounded software indices
 * @data:	Stored as msi_domain_info::data and as the irq chip data
 *
 * The IMS domain is a second per device MSI domain beside the PCI/MSI(-X)
 * one. It is only created when the MSI parent (the interrupt remapping
 * unit) accepts IMS for @pdev; a refusal is logged with its reason.
 * IMS table library users call ims_create_domain() with &pdev->dev
 * instead.
 *
 * Context: Process context, may sleep.
 * Return: 0 on success or a negative error code, see
 * device_create_ims_domain().
 */
int pci_create_ims_domain(struct pci_dev *pdev, const struct msi_domain_template *template,
			  unsigned int hwsize, void *data)
{
	return device_create_ims_domain(&pdev->dev, template, hwsize, data);
}

/**
 * pci_remove_ims_domain - Remove the IMS domain of a PCI device
 * @pdev:	The PCI device
 *
 * See device_remove_ims_domain(). Without this call the domain is removed
 * when the driver is unbound.
 *
 * Context: Process context, may sleep.
 */
void pci_remove_ims_domain(struct pci_dev *pdev)
{
	device_remove_ims_domain(&pdev->dev);
}
EXPORT_SYMBOL_NS_GPL(pci_remove_ims_domain, "IMS");

/**
 * pci_ims_alloc_irq - Allocate an IMS vector at any free slot
 * @pdev:	The PCI device
 * @icookie:	Optional per entry cookie (a PASID, a queue context pointer)
 * @affdesc:	Optional affinity descriptor
 *
 * Context: Process context, may sleep.
 * Return: &struct msi_map; on failure its index holds the error code, see
 * device_ims_alloc_irq().
 */
struct msi_map pci_ims_alloc_irq(struct pci_dev *pdev, union msi_instance_cookie *icookie,
				 const struct irq_affinity_desc *affdesc)
{
	return device_ims_alloc_irq(&pdev->dev, MSI_ANY_INDEX, icookie, affdesc);
}
EXPORT_SYMBOL_NS_GPL(pci_ims_alloc_irq, "IMS");

/**
 * pci_ims_alloc_irq_at - Allocate an IMS vector at a given slot
 * @pdev:	The PCI device
 * @index:	The slot, or %MSI_ANY_INDEX for any free slot
 * @icookie:	Optional per entry cookie
 * @affdesc:	Optional affinity descriptor
 *
 * Context: Process context, may sleep.
 * Return: &struct msi_map; on failure its index holds the error code, see
 * device_ims_alloc_irq().
 */
struct msi_map pci_ims_alloc_irq_at(struct pci_dev *pdev, unsigned int index,
				    union msi_instance_cookie *icookie,
				    const struct irq_affinity_desc *affdesc)
{
	return device_ims_alloc_irq(&pdev->dev, index, icookie, affdesc);
}
EXPORT_SYMBOL_NS_GPL(pci_ims_alloc_irq_at, "IMS");

/**
 * pci_ims_free_irq - Free an IMS vector
 * @pdev:	The PCI device
 * @map:	The mapping returned by the allocation
 *
 * The handler must have been freed; a vector whose handler is still
 * requested is not freed (and warned about). Neither is a vector which is
 * not allocated, nor one whose slot now belongs to a different interrupt
 * than @map says (a stale map; warned about). device_ims_free_irq()
 * reports these as errors instead.
 *
 * Context: Process context, may sleep.
 */
void pci_ims_free_irq(struct pci_dev *pdev, struct msi_map map)
{
	int ret = device_ims_free_irq(&pdev->dev, map);

	WARN_ON_ONCE(ret == -EINVAL || ret == -EBUSY || ret == -ESTALE);
}
EXPORT_SYMBOL_NS_GPL(pci_ims_free_irq, "IMS");

/**
 * pci_ims_free_all_irqs - Free every IMS vector of a PCI device
 * @pdev:	The PCI device
 *
 * Context: Process context, may sleep.
 */
void pci_ims_free_all_irqs(struct pci_dev *pdev)
{
	device_ims_free_all_irqs(&pdev->dev);
}
