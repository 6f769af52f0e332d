/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Emulated MSI-X for VFIO devices whose vectors are not the MSI-X vectors of
 * a physical function: mediated devices, vfio-pci variant drivers and
 * scalable IOV devices.
 *
 * The frontend is VFIO_DEVICE_SET_IRQS on the MSI-X index with vfio-pci's
 * semantics. Every vector has a backend: emulated (the driver signals it in
 * software), a host IMS vector of a parent device, or a host MSI-X vector.
 * Optionally the helper also emulates the MSI-X capability, table and PBA
 * for users without a VMM in front.
 *
 * See Documentation/driver-api/vfio-msix-emul.rst.
 */
#ifndef _LINUX_VFIO_MSIX_EMUL_H
#define _LINUX_VFIO_MSIX_EMUL_H

#include <linux/irqbypass.h>
#include <linux/msi_api.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct device;
struct eventfd_ctx;
struct vfio_msix_emul;

/**
 * enum vfio_msix_backend - What backs a guest MSI-X vector
 * @VFIO_MSIX_BACKEND_EMULATED:	Nothing in the host: the driver signals the
 *				vector with vfio_msix_emul_trigger().
 * @VFIO_MSIX_BACKEND_IMS:	A host IMS vector allocated from the IMS domain
 *				of the vector's host device, with the vector's
 *				cookie, when an eventfd is attached.
 * @VFIO_MSIX_BACKEND_MSIX:	A host MSI-X vector of the vector's host device
 *				(a PCI device with dynamic MSI-X enabled),
 *				allocated when an eventfd is attached.
 */
enum vfio_msix_backend {
	VFIO_MSIX_BACKEND_EMULATED,
	VFIO_MSIX_BACKEND_IMS,
	VFIO_MSIX_BACKEND_MSIX,
};

/**
 * struct vfio_msix_emul_ops - Driver callbacks, all optional
 * @host_bound:		A host vector at host index @index (IMS slot, MSI-X
 *			entry) with Linux irq @irq now backs @vector. Called
 *			with &vfio_msix_emul.lock held, before the vector can
 *			be signalled; the driver resets the entry's device
 *			state here.
 * @host_unbound:	The host vector of @vector is about to be freed. The
 *			driver must make sure that the device no longer
 *			posts it once this returns. Lock held.
 * @host_pending:	Whether the masked host entry of @vector has an
 *			event pending in the device. Used for the emulated
 *			PBA when the irq chip cannot answer
 *			irq_get_irqchip_state(). Lock held.
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
 * struct vfio_msix_emul_vector - State of one guest vector (private)
 * @me:		The helper the vector belongs to
 * @backend:	What backs the vector
 * @host_dev:	Host device of an IMS or MSI-X backend
 * @cookie:	IMS cookie (e.g. a PASID), opaque to the helper
 * @trigger:	The attached eventfd, or NULL
 * @map:	Host vector (index and Linux irq) while an eventfd is attached
 *		to a host backed vector; map.virq is 0 otherwise
 * @name:	Name of the host irq
 * @producer:	irqbypass producer of a host backed vector
 * @host_masked: The host irq is disabled because the vector is masked
 * @pending:	Emulated backend: signalled while masked
 * @entry:	Emulated MSI-X table entry: address low/high, data, control
 */
struct vfio_msix_emul_vector {
	struct vfio_msix_emul		*me;
	enum vfio_msix_backend		backend;
	struct device			*host_dev;
	union msi_instance_cookie	cookie;
	struct eventfd_ctx		*trigger;
	struct msi_map			map;
	char				*name;
	struct irq_bypass_producer	producer;
	bool				host_masked;
	bool				pending;
	u32				entry[4];
};

/**
 * struct vfio_msix_emul - Emulated MSI-X of one VFIO device
 * @lock:	Serializes the ioctl path and the driver's trapped accesses
 *		(config space, MSI-X table and PBA, doorbells). The driver
 *		holds it around vfio_msix_emul_cap_rw(),
 *		vfio_msix_emul_table_rw(), vfio_msix_emul_trigger() and
 *		vfio_msix_emul_host_index(); the ioctl entry points take it
 *		themselves.
 * @dev:	The VFIO device's struct device (names and messages)
 * @ops:	The driver's callbacks, or NULL
 * @nvec:	Number of vectors
 * @enabled:	The MSI-X index is enabled through VFIO_DEVICE_SET_IRQS
 * @ctrl:	Emulated Message Control (enable and function mask bits)
 * @cap_next:	Emulated capability: next capability pointer
 * @table:	Emulated capability: table offset and BIR
 * @pba:	Emulated capability: PBA offset and BIR
 * @vec:	Per vector state
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
void vfio_msix_emul_close(struct vfio_msix_emul *me);
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
