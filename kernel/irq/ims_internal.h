/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interface of the IMS core (device interface, table library)
 * and its KUnit tests; not for drivers.
 */
#ifndef _KERNEL_IRQ_IMS_INTERNAL_H
#define _KERNEL_IRQ_IMS_INTERNAL_H

#include <linux/irq_ims.h>

/* The device interface for the table library: a domain with a release hook */
int __device_create_ims_domain(struct device *dev,
			       const struct msi_domain_template *template,
			       unsigned int hwsize, void *data,
			       void (*release)(void *data, bool orphaned));

#if IS_ENABLED(CONFIG_IRQ_MSI_IMS_KUNIT_TEST)
/* Called for every slot word the library writes, after the write */
typedef void (*ims_write_trace_t)(const struct ims_table_info *info, unsigned int slot,
				  unsigned int offset, u32 val);
void ims_set_write_trace(struct device *dev, ims_write_trace_t trace);
#endif

#endif /* _KERNEL_IRQ_IMS_INTERNAL_H */
