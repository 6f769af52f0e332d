/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the ims-edu driver offers the edu mediated device sample
 * (ims-edu-mdev.c): the device's IMS state and its firing logic. The
 * mediated device driver binds to the auxiliary device "ims_edu.vfio" which
 * ims-edu creates below each edu PCI function.
 */
#ifndef _SAMPLES_IMS_EDU_H
#define _SAMPLES_IMS_EDU_H

#include <linux/types.h>

struct pci_dev;

int ims_edu_ims_status(struct pci_dev *pdev);
int ims_edu_fire(struct pci_dev *pdev, unsigned int slot);
void ims_edu_slot_reset(struct pci_dev *pdev, unsigned int slot);
bool ims_edu_slot_pending(struct pci_dev *pdev, unsigned int slot);

#endif /* _SAMPLES_IMS_EDU_H */
