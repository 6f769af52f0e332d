// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated MSI-X for VFIO devices: VFIO_DEVICE_SET_IRQS on the MSI-X index
 * with vfio-pci's semantics, over per vector backends (emulated or host
 * IMS), the device request index, and an optional emulated MSI-X
 * capability, table and PBA.
 *
 * See Documentation/driver-api/vfio-msix-emul.rst.
 */
#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_ims.h>
#include <linux/irqbypass.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>
#include <linux/vfio_msix_emul.h>

/*
 * struct vfio_msix_emul_vector - State of one guest vector
 * @me:		The helper the vector belongs to
 * @backend:	What backs the vector
 * @host_dev:	Host device of an IMS backend
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

static bool vec_masked(struct vfio_msix_emul *me, struct vfio_msix_emul_vector *v)
{
	return (me->ctrl & PCI_MSIX_FLAGS_MASKALL) ||
	       (v->entry[PCI_MSIX_ENTRY_VECTOR_CTRL / 4] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/*
 * The trigger of a host backed vector changes while its irq is requested
 * only in vector_swap(), which waits for running handlers before it drops
 * the old eventfd.
 */
static irqreturn_t vfio_msix_emul_host_handler(int irq, void *arg)
{
	struct vfio_msix_emul_vector *v = arg;

	eventfd_signal(READ_ONCE(v->trigger));
	return IRQ_HANDLED;
}

/**
 * vfio_msix_emul_init - Initialize the emulated MSI-X of a VFIO device
 * @me:		The helper, embedded in the driver's device state
 * @dev:	The VFIO device's struct device (used for names and messages);
 *		NULL only for tests, which can then use the emulated backend
 *		only
 * @nvec:	Number of MSI-X vectors, 1 to %PCI_MSIX_FLAGS_QSIZE + 1
 * @ops:	Optional driver callbacks
 *
 * Every vector starts with the emulated backend; change it with
 * vfio_msix_emul_set_backend() before the device is opened. Call from the
 * driver's &vfio_device_ops.init and undo with vfio_msix_emul_uninit().
 *
 * Context: process context.
 * Return: 0, -EINVAL for a bad @nvec or -ENOMEM.
 */
int vfio_msix_emul_init(struct vfio_msix_emul *me, struct device *dev,
			unsigned int nvec, const struct vfio_msix_emul_ops *ops)
{
	unsigned int i;

	if (!nvec || nvec > PCI_MSIX_FLAGS_QSIZE + 1)
		return -EINVAL;
	memset(me, 0, sizeof(*me));
	me->vec = kcalloc(nvec, sizeof(*me->vec), GFP_KERNEL);
	if (!me->vec)
		return -ENOMEM;
	mutex_init(&me->lock);
	me->dev = dev;
	me->ops = ops;
	me->nvec = nvec;
	for (i = 0; i < nvec; i++)
		me->vec[i].me = me;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_init);

/**
 * vfio_msix_emul_uninit - Release what vfio_msix_emul_init() set up
 * @me:		The helper; the device must be closed
 *
 * Context: process context.
 */
void vfio_msix_emul_uninit(struct vfio_msix_emul *me)
{
	if (!me->vec)
		return;
	WARN_ON_ONCE(me->enabled);
	kfree(me->vec);
	me->vec = NULL;
	mutex_destroy(&me->lock);
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_uninit);

/**
 * vfio_msix_emul_set_backend - Choose what backs a vector
 * @me:		The helper
 * @vector:	The guest vector
 * @backend:	The backend
 * @host_dev:	%VFIO_MSIX_BACKEND_IMS: the device whose IMS domain provides
 *		the host vector (the parent physical device, never the
 *		mediated device); NULL for emulated. It and its IMS domain
 *		must outlive the device's close (vfio_msix_emul_close()):
 *		a parent driver removes its mediated devices before it
 *		removes its IMS domain.
 * @cookie:	%VFIO_MSIX_BACKEND_IMS: the IMS cookie (e.g. a PASID), opaque
 *		to the helper; ignored otherwise
 *
 * Call while the device is not open (before the first open or from
 * &vfio_device_ops.init). Host vectors are only allocated when an eventfd
 * is attached.
 *
 * Context: process context.
 * Return: 0, -EINVAL for a bad @vector, @backend or @host_dev (or a host
 * backend on a helper initialized without a device), or -EBUSY while the
 * MSI-X index is enabled.
 */
int vfio_msix_emul_set_backend(struct vfio_msix_emul *me, unsigned int vector,
			       enum vfio_msix_backend backend,
			       struct device *host_dev,
			       union msi_instance_cookie cookie)
{
	struct vfio_msix_emul_vector *v;
	int ret = 0;

	if (vector >= me->nvec)
		return -EINVAL;
	switch (backend) {
	case VFIO_MSIX_BACKEND_EMULATED:
		host_dev = NULL;
		break;
	case VFIO_MSIX_BACKEND_IMS:
		if (!host_dev || !me->dev)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	mutex_lock(&me->lock);
	if (me->enabled) {
		ret = -EBUSY;
	} else {
		v = &me->vec[vector];
		v->backend = backend;
		v->host_dev = host_dev;
		v->cookie = backend == VFIO_MSIX_BACKEND_IMS ? cookie :
			    (union msi_instance_cookie){ };
	}
	mutex_unlock(&me->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_set_backend);

static void host_free(struct vfio_msix_emul_vector *v)
{
	irq_clear_status_flags(v->map.virq, IRQ_DISABLE_UNLAZY);
	device_ims_free_irq(v->host_dev, v->map);
	v->map = (struct msi_map){ };
}

/* One irqbypass producer per host vector; failure is not fatal, as in vfio-pci */
static void producer_register(struct vfio_msix_emul *me, unsigned int vector)
{
	struct vfio_msix_emul_vector *v = &me->vec[vector];
	int ret;

	ret = irq_bypass_register_producer(&v->producer, v->trigger, v->map.virq);
	if (ret)
		dev_info_ratelimited(me->dev,
				     "irq bypass producer of vector %u not registered: %d\n",
				     vector, ret);
}

/* Detach the eventfd of @v and free its host vector */
static void vector_detach(struct vfio_msix_emul *me, unsigned int vector)
{
	struct vfio_msix_emul_vector *v = &me->vec[vector];

	lockdep_assert_held(&me->lock);
	if (!v->trigger)
		return;
	if (v->map.virq) {
		irq_bypass_unregister_producer(&v->producer);
		/* The device stops posting the entry, then the irq goes */
		if (me->ops && me->ops->host_unbound)
			me->ops->host_unbound(me, vector, v->map.index);
		free_irq(v->map.virq, v);
		host_free(v);
		kfree(v->name);
		v->name = NULL;
		v->host_masked = false;
	}
	eventfd_ctx_put(v->trigger);
	v->trigger = NULL;
	v->pending = false;
}

/* Attach @trigger (a reference the vector takes over on success) to @v */
static int vector_attach(struct vfio_msix_emul *me, unsigned int vector,
			 struct eventfd_ctx *trigger)
{
	struct vfio_msix_emul_vector *v = &me->vec[vector];
	struct msi_map map;
	bool masked;
	int ret;

	lockdep_assert_held(&me->lock);
	if (v->backend == VFIO_MSIX_BACKEND_EMULATED) {
		v->trigger = trigger;
		return 0;
	}

	map = device_ims_alloc_irq(v->host_dev, MSI_ANY_INDEX, &v->cookie, NULL);
	if (map.index < 0)
		return map.index;
	v->map = map;
	/*
	 * A mask must reach the device's entry at once, also for chips
	 * without an irq_disable callback (IMS tables without sync): the
	 * device then holds a masked event as pending, which is what the
	 * emulated PBA reports, and a posted interrupt (which never enters
	 * the host flow handler) is held back too.
	 */
	irq_set_status_flags(map.virq, IRQ_DISABLE_UNLAZY);

	v->name = kasprintf(GFP_KERNEL_ACCOUNT, "vfio-msix-emul[%u](%s)", vector,
			    dev_name(me->dev));
	if (!v->name) {
		ret = -ENOMEM;
		goto free_host;
	}

	v->trigger = trigger;
	if (me->ops && me->ops->host_bound)
		me->ops->host_bound(me, vector, map.index, map.virq);

	/* A masked vector starts with its host entry masked */
	masked = vec_masked(me, v);
	ret = request_irq(map.virq, vfio_msix_emul_host_handler,
			  masked ? IRQF_NO_AUTOEN : 0, v->name, v);
	if (ret)
		goto unbound;
	v->host_masked = masked;

	producer_register(me, vector);
	return 0;

unbound:
	if (me->ops && me->ops->host_unbound)
		me->ops->host_unbound(me, vector, map.index);
	v->trigger = NULL;
	kfree(v->name);
	v->name = NULL;
free_host:
	host_free(v);
	return ret;
}

/*
 * Replace the eventfd of a vector that has one, keeping its host vector, as
 * vfio-pci does: a VMM swaps eventfds on every guest mask and unmask, and
 * the host vector must neither move nor lose the event the device holds for
 * it. Handlers still running with the old eventfd finish before it is put.
 */
static void vector_swap(struct vfio_msix_emul *me, unsigned int vector,
			struct eventfd_ctx *trigger)
{
	struct vfio_msix_emul_vector *v = &me->vec[vector];
	struct eventfd_ctx *old = v->trigger;

	lockdep_assert_held(&me->lock);
	if (!v->map.virq) {
		v->trigger = trigger;
		eventfd_ctx_put(old);
		return;
	}
	irq_bypass_unregister_producer(&v->producer);
	WRITE_ONCE(v->trigger, trigger);
	synchronize_irq(v->map.virq);
	eventfd_ctx_put(old);
	producer_register(me, vector);
}

static void msix_disable(struct vfio_msix_emul *me)
{
	unsigned int i;

	for (i = 0; i < me->nvec; i++)
		vector_detach(me, i);
	me->enabled = false;
}

/*
 * Attach eventfds (fd >= 0) or detach (fd < 0) vectors start to
 * start + count - 1; a vector that has an eventfd keeps its host vector
 * when it gets another one. Every eventfd is looked up before anything
 * changes, so a bad descriptor leaves the vectors alone; a failed host
 * allocation detaches the vectors of the call up to the failing one, like
 * vfio-pci.
 */
static int set_eventfds(struct vfio_msix_emul *me, unsigned int start,
			unsigned int count, const s32 *fds)
{
	struct eventfd_ctx **triggers;
	unsigned int i;
	int ret = 0;

	triggers = kcalloc(count, sizeof(*triggers), GFP_KERNEL);
	if (!triggers)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		if (fds[i] < 0)
			continue;
		triggers[i] = eventfd_ctx_fdget(fds[i]);
		if (IS_ERR(triggers[i])) {
			ret = PTR_ERR(triggers[i]);
			triggers[i] = NULL;
			goto put;
		}
	}

	for (i = 0; i < count; i++) {
		if (triggers[i] && me->vec[start + i].trigger) {
			vector_swap(me, start + i, triggers[i]);
			triggers[i] = NULL;
			continue;
		}
		vector_detach(me, start + i);
		if (!triggers[i])
			continue;
		ret = vector_attach(me, start + i, triggers[i]);
		if (ret) {
			while (i--)
				vector_detach(me, start + i);
			goto put;
		}
		triggers[i] = NULL;
	}
put:
	for (i = 0; i < count; i++)
		if (triggers[i])
			eventfd_ctx_put(triggers[i]);
	kfree(triggers);
	return ret;
}

/* The device request index: one eventfd, as vfio-pci's */
static int set_req(struct vfio_msix_emul *me, u32 flags, unsigned int count, void *data)
{
	struct eventfd_ctx *trigger;
	s32 fd;

	lockdep_assert_held(&me->lock);
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (!me->req_trigger)
			return -EINVAL;
		if (count) {
			eventfd_signal(me->req_trigger);
		} else {
			eventfd_ctx_put(me->req_trigger);
			me->req_trigger = NULL;
		}
		return 0;
	}
	if (!count)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(u8 *)data && me->req_trigger)
			eventfd_signal(me->req_trigger);
		return 0;
	}
	fd = *(s32 *)data;
	if (fd == -1) {
		if (me->req_trigger)
			eventfd_ctx_put(me->req_trigger);
		me->req_trigger = NULL;
	} else if (fd >= 0) {
		trigger = eventfd_ctx_fdget(fd);
		if (IS_ERR(trigger))
			return PTR_ERR(trigger);
		if (me->req_trigger)
			eventfd_ctx_put(me->req_trigger);
		me->req_trigger = trigger;
	}
	return 0;
}

/**
 * vfio_msix_emul_set_irqs - VFIO_DEVICE_SET_IRQS with validated arguments
 * @me:		The helper
 * @flags:	&vfio_irq_set.flags
 * @index:	&vfio_irq_set.index
 * @start:	&vfio_irq_set.start
 * @count:	&vfio_irq_set.count
 * @data:	The data of the call: @count eventfds (s32) or bools (u8), or
 *		NULL for %VFIO_IRQ_SET_DATA_NONE
 *
 * The arguments must have passed vfio_set_irqs_validate_and_prepare() with
 * &vfio_msix_emul.nvec vectors on the MSI-X index and one on the request
 * index (vfio_msix_emul_ioctl() does that). vfio-pci's semantics on the
 * MSI-X index: the first eventfd enables it, eventfds attach (fd >= 0) or
 * detach (fd < 0), each attach allocating the host vector of a host backed
 * vector and each detach freeing it; an eventfd given to a vector that has
 * one replaces it and keeps the host vector (and an event the device holds
 * for it); %VFIO_IRQ_SET_DATA_NONE and %VFIO_IRQ_SET_DATA_BOOL signal the
 * attached eventfds (loopback); @count 0 with %VFIO_IRQ_SET_DATA_NONE
 * disables the index and frees everything. Masking through the ioctl is not
 * supported, as in vfio-pci. On %VFIO_PCI_REQ_IRQ_INDEX: the eventfd that
 * vfio_msix_emul_request() signals, set (fd >= 0) or cleared (fd -1, or
 * @count 0 with %VFIO_IRQ_SET_DATA_NONE), with loopback.
 *
 * Context: process context; takes &vfio_msix_emul.lock.
 * Return: 0; -EINVAL for another index, a loopback or disable of a
 * disabled MSI-X index; -ENOTTY for any action other than
 * %VFIO_IRQ_SET_ACTION_TRIGGER (as vfio-pci); the error of an eventfd
 * lookup, which changed nothing; the error of a host vector allocation
 * (e.g. -ENOSPC when the parent's IMS table is full), after which the
 * vectors of the call up to the failing one are detached (as vfio-pci
 * unwinds) and the index is disabled again if this call enabled it.
 */
int vfio_msix_emul_set_irqs(struct vfio_msix_emul *me, u32 flags,
			    unsigned int index, unsigned int start,
			    unsigned int count, void *data)
{
	u32 action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	bool enabled;
	unsigned int i;
	int ret = 0;

	if (index != VFIO_PCI_MSIX_IRQ_INDEX && index != VFIO_PCI_REQ_IRQ_INDEX)
		return -EINVAL;
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;
	if (index == VFIO_PCI_REQ_IRQ_INDEX) {
		if (start || count > 1)
			return -EINVAL;
		mutex_lock(&me->lock);
		ret = set_req(me, flags, count, data);
		mutex_unlock(&me->lock);
		return ret;
	}
	if (count > me->nvec || start > me->nvec - count)
		return -EINVAL;

	mutex_lock(&me->lock);
	if (!count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		if (me->enabled)
			msix_disable(me);
		else
			ret = -EINVAL;
		goto out;
	}

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		if (!count) {
			ret = me->enabled ? 0 : -EINVAL;
			goto out;
		}
		enabled = me->enabled;
		me->enabled = true;
		ret = set_eventfds(me, start, count, data);
		if (ret && !enabled)
			msix_disable(me);
		goto out;
	}

	if (!me->enabled) {
		ret = -EINVAL;
		goto out;
	}
	for (i = start; i < start + count; i++) {
		struct vfio_msix_emul_vector *v = &me->vec[i];

		if (!v->trigger)
			continue;
		if ((flags & VFIO_IRQ_SET_DATA_NONE) ||
		    ((flags & VFIO_IRQ_SET_DATA_BOOL) && ((u8 *)data)[i - start]))
			eventfd_signal(v->trigger);
	}
out:
	mutex_unlock(&me->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_set_irqs);

static long ioctl_get_irq_info(struct vfio_msix_emul *me, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	/* As vfio-pci: eventfds everywhere, dynamic MSI-X (no NORESIZE) */
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = 0;
	switch (info.index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
		break;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		info.count = me->nvec;
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		info.count = 1;
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
		break;
	default:
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long ioctl_set_irqs(struct vfio_msix_emul *me, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	unsigned int num = 0;
	void *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.index == VFIO_PCI_MSIX_IRQ_INDEX)
		num = me->nvec;
	else if (hdr.index == VFIO_PCI_REQ_IRQ_INDEX)
		num = 1;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, num, VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	ret = vfio_msix_emul_set_irqs(me, hdr.flags, hdr.index, hdr.start, hdr.count, data);
	kfree(data);
	return ret;
}

/**
 * vfio_msix_emul_ioctl - Handle the interrupt ioctls of a VFIO device
 * @me:		The helper
 * @cmd:	The ioctl
 * @arg:	Its user argument
 *
 * Handles %VFIO_DEVICE_GET_IRQ_INFO and %VFIO_DEVICE_SET_IRQS for a device
 * whose interrupts are its MSI-X vectors and the device request eventfd
 * (%VFIO_PCI_REQ_IRQ_INDEX): the other PCI indexes report no interrupts.
 * Call it from &vfio_device_ops.ioctl.
 *
 * Context: process context.
 * Return: the ioctl's result, or -ENOTTY for other ioctls.
 */
long vfio_msix_emul_ioctl(struct vfio_msix_emul *me, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case VFIO_DEVICE_GET_IRQ_INFO:
		return ioctl_get_irq_info(me, (void __user *)arg);
	case VFIO_DEVICE_SET_IRQS:
		return ioctl_set_irqs(me, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_ioctl);

static void reset_state(struct vfio_msix_emul *me)
{
	unsigned int i;

	me->ctrl = 0;
	for (i = 0; i < me->nvec; i++) {
		memset(me->vec[i].entry, 0, sizeof(me->vec[i].entry));
		me->vec[i].pending = false;
	}
}

/**
 * vfio_msix_emul_open - The device is being opened
 * @me:		The helper
 *
 * Resets the emulated capability and table. Call from
 * &vfio_device_ops.open_device.
 *
 * Context: process context; takes &vfio_msix_emul.lock.
 */
void vfio_msix_emul_open(struct vfio_msix_emul *me)
{
	mutex_lock(&me->lock);
	WARN_ON_ONCE(me->enabled);
	reset_state(me);
	mutex_unlock(&me->lock);
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_open);

/**
 * vfio_msix_emul_reset - A function reset of an open device
 * @me:		The helper
 *
 * Disables the MSI-X index (detaches every eventfd and frees every host
 * vector) and resets the emulated capability and table, in one critical
 * section, so that no SET_IRQS or trapped access in between sees a half
 * reset device. The device request eventfd stays, as in vfio-pci. For
 * %VFIO_DEVICE_RESET: the driver takes the lock, calls this, resets its own
 * state under the same lock and drops it.
 *
 * Context: process context, &vfio_msix_emul.lock held.
 */
void vfio_msix_emul_reset(struct vfio_msix_emul *me)
{
	lockdep_assert_held(&me->lock);
	msix_disable(me);
	reset_state(me);
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_reset);

/**
 * vfio_msix_emul_close - The device is being closed
 * @me:		The helper
 *
 * Disables the MSI-X index: detaches every eventfd and frees every host
 * vector; drops the device request eventfd. Call from
 * &vfio_device_ops.close_device.
 *
 * Context: process context; takes &vfio_msix_emul.lock.
 */
void vfio_msix_emul_close(struct vfio_msix_emul *me)
{
	mutex_lock(&me->lock);
	vfio_msix_emul_reset(me);
	if (me->req_trigger)
		eventfd_ctx_put(me->req_trigger);
	me->req_trigger = NULL;
	mutex_unlock(&me->lock);
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_close);

/**
 * vfio_msix_emul_request - Ask the user to release the device
 * @me:		The helper
 * @count:	How often the user has been asked before
 *
 * Signals the device request eventfd (%VFIO_PCI_REQ_IRQ_INDEX), as
 * vfio-pci does: call it from &vfio_device_ops.request, which the VFIO core
 * calls while it waits for the user to close a device that is being
 * removed (the instance removed, the parent unbound).
 *
 * Context: process context; takes &vfio_msix_emul.lock.
 */
void vfio_msix_emul_request(struct vfio_msix_emul *me, unsigned int count)
{
	mutex_lock(&me->lock);
	if (me->req_trigger) {
		if (!(count % 10))
			dev_notice_ratelimited(me->dev,
					       "Relaying device request to user (#%u)\n",
					       count);
		eventfd_signal(me->req_trigger);
	} else if (!count) {
		dev_warn(me->dev,
			 "No device request channel registered, blocked until released by user\n");
	}
	mutex_unlock(&me->lock);
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_request);

/**
 * vfio_msix_emul_trigger - Signal an emulated vector
 * @me:		The helper
 * @vector:	The vector
 *
 * For vectors with the emulated backend: signals the vector's eventfd, or
 * records the event as pending in the emulated PBA while the vector is
 * masked (delivered once on unmask). Host backed vectors are signalled by
 * their device.
 *
 * Context: process context, &vfio_msix_emul.lock held (a driver whose
 * events happen in atomic context defers them to a work item).
 * Return: 0, -ENOENT when no eventfd is attached (the event is dropped), or
 * -EINVAL for a bad or host backed vector.
 */
int vfio_msix_emul_trigger(struct vfio_msix_emul *me, unsigned int vector)
{
	struct vfio_msix_emul_vector *v;

	lockdep_assert_held(&me->lock);
	if (vector >= me->nvec)
		return -EINVAL;
	v = &me->vec[vector];
	if (v->backend != VFIO_MSIX_BACKEND_EMULATED)
		return -EINVAL;
	if (!v->trigger)
		return -ENOENT;
	if (vec_masked(me, v))
		v->pending = true;
	else
		eventfd_signal(v->trigger);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_trigger);

/**
 * vfio_msix_emul_host_index - Host vector behind a guest vector
 * @me:		The helper
 * @vector:	The guest vector
 *
 * Context: process context, &vfio_msix_emul.lock held.
 * Return: the host index (IMS slot) of the host vector that backs @vector
 * while its eventfd is attached, -ENOENT if none does, or -EINVAL for a bad
 * vector.
 */
int vfio_msix_emul_host_index(struct vfio_msix_emul *me, unsigned int vector)
{
	lockdep_assert_held(&me->lock);
	if (vector >= me->nvec)
		return -EINVAL;
	return me->vec[vector].map.virq ? me->vec[vector].map.index : -ENOENT;
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_host_index);

/* Mirror the emulated mask of @v into its host vector or deliver pending */
static void vec_update_mask(struct vfio_msix_emul *me, struct vfio_msix_emul_vector *v)
{
	bool masked = vec_masked(me, v);

	if (v->map.virq) {
		if (masked && !v->host_masked)
			disable_irq(v->map.virq);
		else if (!masked && v->host_masked)
			enable_irq(v->map.virq);
		v->host_masked = masked;
	} else if (!masked && v->pending) {
		v->pending = false;
		if (v->trigger)
			eventfd_signal(v->trigger);
	}
}

static bool vec_pending(struct vfio_msix_emul *me, unsigned int vector)
{
	struct vfio_msix_emul_vector *v = &me->vec[vector];
	bool state = false;

	if (!v->map.virq)
		return v->pending;
	if (!v->host_masked)
		return false;
	if (me->ops && me->ops->host_pending)
		return me->ops->host_pending(me, vector, v->map.index);
	if (irq_get_irqchip_state(v->map.virq, IRQCHIP_STATE_PENDING, &state))
		return false;
	return state;
}

/**
 * vfio_msix_emul_cap_init - Describe the emulated MSI-X capability
 * @me:		The helper
 * @next:	Config space offset of the next capability, or 0
 * @table_bir:	BAR of the emulated table
 * @table_offset: Offset of the table in that BAR (8-byte aligned)
 * @pba_bir:	BAR of the emulated PBA
 * @pba_offset:	Offset of the PBA in that BAR (8-byte aligned)
 *
 * For drivers that place the emulated capability into their config space
 * (at an offset of their choice) and the table and PBA into a BAR region;
 * they forward accesses with vfio_msix_emul_cap_rw(),
 * vfio_msix_emul_table_rw() and vfio_msix_emul_pba_read().
 *
 * Context: any; call before the device is opened.
 */
void vfio_msix_emul_cap_init(struct vfio_msix_emul *me, u8 next,
			     u8 table_bir, u32 table_offset,
			     u8 pba_bir, u32 pba_offset)
{
	me->cap_next = next;
	me->table = (table_offset & PCI_MSIX_TABLE_OFFSET) | (table_bir & PCI_MSIX_TABLE_BIR);
	me->pba = (pba_offset & PCI_MSIX_PBA_OFFSET) | (pba_bir & PCI_MSIX_PBA_BIR);
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_cap_init);

/**
 * vfio_msix_emul_cap_rw - Access the emulated MSI-X capability
 * @me:		The helper
 * @pos:	Offset from the start of the capability
 * @buf:	Little-endian bytes to read into or write from
 * @count:	Number of bytes, 1 to 4, within the capability
 * @write:	Write instead of read
 *
 * Only the MSI-X Enable and Function Mask bits are writable. Function Mask
 * masks every vector (mirrored into the host vectors); the Enable bit is
 * kept for the user to read back: the vectors are enabled through
 * VFIO_DEVICE_SET_IRQS, as with vfio-pci.
 *
 * Context: process context, &vfio_msix_emul.lock held.
 * Return: 0, or -EINVAL for an access outside the capability.
 */
int vfio_msix_emul_cap_rw(struct vfio_msix_emul *me, unsigned int pos,
			  void *buf, unsigned int count, bool write)
{
	u8 cap[VFIO_MSIX_EMUL_CAP_SIZE];
	u16 ctrl, old = me->ctrl;
	unsigned int i;

	lockdep_assert_held(&me->lock);
	if (!count || count > 4 || pos >= sizeof(cap) || count > sizeof(cap) - pos)
		return -EINVAL;

	cap[0] = PCI_CAP_ID_MSIX;
	cap[1] = me->cap_next;
	put_unaligned_le16(me->ctrl | (me->nvec - 1), &cap[PCI_MSIX_FLAGS]);
	put_unaligned_le32(me->table, &cap[PCI_MSIX_TABLE]);
	put_unaligned_le32(me->pba, &cap[PCI_MSIX_PBA]);
	if (!write) {
		memcpy(buf, &cap[pos], count);
		return 0;
	}

	memcpy(&cap[pos], buf, count);
	ctrl = get_unaligned_le16(&cap[PCI_MSIX_FLAGS]);
	me->ctrl = ctrl & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	if ((old ^ me->ctrl) & PCI_MSIX_FLAGS_MASKALL)
		for (i = 0; i < me->nvec; i++)
			vec_update_mask(me, &me->vec[i]);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_cap_rw);

/**
 * vfio_msix_emul_table_rw - Access the emulated MSI-X table
 * @me:		The helper
 * @offset:	Offset in the table
 * @buf:	Little-endian bytes to read into or write from
 * @count:	4 or 8, naturally aligned, within the table
 * @write:	Write instead of read
 *
 * The address and data words are stored for the user to read back (the
 * host message is the host's business). The mask bit of the Vector Control
 * word is mirrored into the vector's host entry at once (disable_irq() on
 * an irq that is never disabled lazily, and enable_irq()): the device then
 * holds the event as pending. An emulated vector's pending event is
 * delivered once when it is unmasked. The table starts with every entry
 * unmasked, unlike a physical function, so that a VMM which emulates its
 * own table (and never writes this one) still gets its interrupts.
 *
 * Context: process context, &vfio_msix_emul.lock held.
 * Return: 0, or -EINVAL for a bad offset or size.
 */
int vfio_msix_emul_table_rw(struct vfio_msix_emul *me, unsigned int offset,
			    void *buf, unsigned int count, bool write)
{
	unsigned int i, word, vector;

	lockdep_assert_held(&me->lock);
	if ((count != 4 && count != 8) || offset % count ||
	    offset >= me->nvec * PCI_MSIX_ENTRY_SIZE ||
	    count > me->nvec * PCI_MSIX_ENTRY_SIZE - offset)
		return -EINVAL;

	for (i = 0; i < count / 4; i++) {
		word = offset / 4 + i;
		vector = word / 4;
		if (!write) {
			put_unaligned_le32(me->vec[vector].entry[word % 4], buf + 4 * i);
			continue;
		}
		if (word % 4 == PCI_MSIX_ENTRY_VECTOR_CTRL / 4) {
			me->vec[vector].entry[word % 4] = get_unaligned_le32(buf + 4 * i) &
							  PCI_MSIX_ENTRY_CTRL_MASKBIT;
			vec_update_mask(me, &me->vec[vector]);
		} else {
			me->vec[vector].entry[word % 4] = get_unaligned_le32(buf + 4 * i);
		}
	}
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_table_rw);

/**
 * vfio_msix_emul_pba_read - Read the emulated Pending Bit Array
 * @me:		The helper
 * @offset:	Offset in the PBA
 * @buf:	Little-endian bytes to read into
 * @count:	4 or 8, naturally aligned, within the PBA (one bit per
 *		vector, rounded up to 64-bit words)
 *
 * A vector is pending when it is masked and its event happened: recorded by
 * the helper for emulated vectors, read from the device for host vectors
 * (&vfio_msix_emul_ops.host_pending, else irq_get_irqchip_state()).
 *
 * Context: process context, &vfio_msix_emul.lock held.
 * Return: 0, or -EINVAL for a bad offset or size.
 */
int vfio_msix_emul_pba_read(struct vfio_msix_emul *me, unsigned int offset,
			    void *buf, unsigned int count)
{
	unsigned int size = DIV_ROUND_UP(me->nvec, 64) * 8, bit;
	u64 val = 0;

	lockdep_assert_held(&me->lock);
	if ((count != 4 && count != 8) || offset % count || offset >= size ||
	    count > size - offset)
		return -EINVAL;
	for (bit = 0; bit < count * 8; bit++)
		if (offset * 8 + bit < me->nvec && vec_pending(me, offset * 8 + bit))
			val |= BIT_ULL(bit);
	if (count == 8)
		put_unaligned_le64(val, buf);
	else
		put_unaligned_le32(val, buf);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_msix_emul_pba_read);

MODULE_DESCRIPTION("Emulated MSI-X for VFIO devices, backed by emulated or IMS vectors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("IMS");
