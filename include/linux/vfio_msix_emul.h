/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Emulated MSI-X for VFIO devices whose vectors are not the MSI-X vectors of
 * a physical function: mediated devices, vfio-pci variant drivers and
 * scalable IOV devices.
 *
 * The frontend is VFIO_DEVICE_SET_IRQS on the MSI-X index with vfio-pci's
 * semantics. Every vector has a backend: emulated (the driver signals it in
 * software) or a host IMS vector of a parent device. The device request
 * index asks the user to release a device that is being removed.
 * Optionally the helper also emulates the MSI-X capability, table and PBA
 * for users without a VMM in front.
 *
 * See Documentation/driver-api/vfio-msix-emul.rst.
 */
#ifndef _LINUX_VFIO_MSIX_EMUL_H
#define _LINUX_VFIO_MSIX_EMUL_H

#include <linux/msi_api.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct device;
struct eventfd_ctx;
struct vfio_msix_emul;
struct vfio_msix_emul_vector;

/**
 * enum vfio_msix_backend - What backs a guest MSI-X vector
 * @VFIO_MSIX_BACKEND_EMULATED:	Nothing in the host: the driver signals the
 *				vector with vfio_msix_emul_trigger().
 * @VFIO_MSIX_BACKEND_IMS:	A host IMS vector allocated from the IMS domain
 *				of the vector's host device, with the vector's
 *				cookie, when an eventfd is attached.
 */
enum vfio_msix_backend {
	VFIO_MSIX_BACKEND_EMULATED,
	VFIO_MSIX_BACKEND_IMS,
};

/**
 * struct vfio_msix_emul_ops - Driver callbacks, all optional
 * @host_bound:		A host vector at host index @index (IMS slot) with
 *			Linux irq @irq now backs @vector. Called
 *			with &vfio_msix_emul.lock held, before the vector can
 *			be signalled; the driver resets the entry's device
 *			state here.
 * @host_unbound:	The host vector of @vector is about to be freed. The
 *			driver must make sure that the device no longer
 *			posts it once this returns. Lock held.
 * @host_pending:	Whether the masked host entry of @vector has an
 *			event pending in the device, for the emulated PBA.
 *			Asked first; without it the helper asks the irq
 *			chip (irq_get_irqchip_state(), which x86's MSI and
 *			remapping chips cannot answer: the PBA then shows
 *			nothing pending). Lock held.
 */
struct vfio_msix_emul_ops {
	void	(*host_bound)(struct vfio_msix_emul *me, unsigned int vector,
			      unsigned int index, unsigned int irq);
	void	(*host_unbound)(struct vfio_msix_emul *me, unsigned int vector,
				unsigned int index);
	bool	(*host_pending)(struct vfio_msix_emul *me, unsigned int vector,
				unsigned int index);
};

/**
 * struct vfio_msix_emul - Emulated MSI-X of one VFIO device
 * @lock:	Serializes the ioctl path and the driver's trapped accesses
 *		(config space, MSI-X table and PBA, doorbells). The driver
 *		holds it around vfio_msix_emul_cap_rw(),
 *		vfio_msix_emul_table_rw(), vfio_msix_emul_pba_read(),
 *		vfio_msix_emul_trigger(), vfio_msix_emul_host_index() and
 *		vfio_msix_emul_reset(); the other entry points take it
 *		themselves.
 * @dev:	The VFIO device's struct device (names and messages)
 * @ops:	The driver's callbacks, or NULL
 * @nvec:	Number of vectors
 * @enabled:	The MSI-X index is enabled through VFIO_DEVICE_SET_IRQS
 * @ctrl:	Emulated Message Control (enable and function mask bits)
 * @cap_next:	Emulated capability: next capability pointer
 * @table:	Emulated capability: table offset and BIR
 * @pba:	Emulated capability: PBA offset and BIR
 * @req_trigger: The device request eventfd (%VFIO_PCI_REQ_IRQ_INDEX), or NULL
 * @vec:	Per vector state (private to the helper)
 */
struct vfio_msix_emul {
	struct mutex				lock;	/* see above */
	struct device				*dev;
	const struct vfio_msix_emul_ops		*ops;
	unsigned int				nvec;
	bool					enabled;
	u16					ctrl;
	u8					cap_next;
	u32					table;
	u32					pba;
	struct eventfd_ctx			*req_trigger;
	struct vfio_msix_emul_vector		*vec;
};

/* Size of the emulated MSI-X capability in config space */
#define VFIO_MSIX_EMUL_CAP_SIZE		12

int vfio_msix_emul_init(struct vfio_msix_emul *me, struct device *dev,
			unsigned int nvec, const struct vfio_msix_emul_ops *ops);
void vfio_msix_emul_uninit(struct vfio_msix_emul *me);
int vfio_msix_emul_set_backend(struct vfio_msix_emul *me, unsigned int vector,
			       enum vfio_msix_backend backend,
			       struct device *host_dev,
			       union msi_instance_cookie cookie);
void vfio_msix_emul_open(struct vfio_msix_emul *me);
void vfio_msix_emul_reset(struct vfio_msix_emul *me);
void vfio_msix_emul_close(struct vfio_msix_emul *me);
void vfio_msix_emul_request(struct vfio_msix_emul *me, unsigned int count);
long vfio_msix_emul_ioctl(struct vfio_msix_emul *me, unsigned int cmd,
			  unsigned long arg);
int vfio_msix_emul_set_irqs(struct vfio_msix_emul *me, u32 flags,
			    unsigned int index, unsigned int start,
			    unsigned int count, void *data);
int vfio_msix_emul_trigger(struct vfio_msix_emul *me, unsigned int vector);
int vfio_msix_emul_host_index(struct vfio_msix_emul *me, unsigned int vector);
void vfio_msix_emul_cap_init(struct vfio_msix_emul *me, u8 next,
			     u8 table_bir, u32 table_offset,
			     u8 pba_bir, u32 pba_offset);
int vfio_msix_emul_cap_rw(struct vfio_msix_emul *me, unsigned int pos,
			  void *buf, unsigned int count, bool write);
int vfio_msix_emul_table_rw(struct vfio_msix_emul *me, unsigned int offset,
			    void *buf, unsigned int count, bool write);
int vfio_msix_emul_pba_read(struct vfio_msix_emul *me, unsigned int offset,
			    void *buf, unsigned int count);

#endif /* _LINUX_VFIO_MSIX_EMUL_H */
