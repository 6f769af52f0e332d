// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the emulated MSI-X helper: the SET_IRQS frontend's argument
 * handling and state (MSI-X and device request indexes), reset, the
 * emulated capability, table and PBA, against the emulated backend.
 * Delivery through eventfds needs file descriptors and is tested from
 * userspace (tests/guest/vfio_edu.c in the IMS project).
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/pci.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>
#include <linux/vfio_msix_emul.h>

#define NVEC	5

static int me_init(struct kunit *test)
{
	struct vfio_msix_emul *me = kunit_kzalloc(test, sizeof(*me), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, me);
	KUNIT_ASSERT_EQ(test, vfio_msix_emul_init(me, NULL, NVEC, NULL), 0);
	vfio_msix_emul_cap_init(me, 0x50, 0, 0x1000, 2, 0x800);
	vfio_msix_emul_open(me);
	test->priv = me;
	return 0;
}

static void me_exit(struct kunit *test)
{
	struct vfio_msix_emul *me = test->priv;

	vfio_msix_emul_close(me);
	vfio_msix_emul_uninit(me);
}

static void msix_emul_init_bounds(struct kunit *test)
{
	struct vfio_msix_emul me2;

	KUNIT_EXPECT_EQ(test, vfio_msix_emul_init(&me2, NULL, 0, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_init(&me2, NULL, 2049, NULL), -EINVAL);
	KUNIT_ASSERT_EQ(test, vfio_msix_emul_init(&me2, NULL, 2048, NULL), 0);
	vfio_msix_emul_uninit(&me2);
}

static void msix_emul_backend_args(struct kunit *test)
{
	struct vfio_msix_emul *me = test->priv;
	union msi_instance_cookie c = { };
	struct device *host;
	s32 fd = -1;

	host = kunit_device_register(test, "vfio-msix-emul-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(host));
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_backend(me, NVEC, VFIO_MSIX_BACKEND_EMULATED,
							 NULL, c), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_backend(me, 0, VFIO_MSIX_BACKEND_IMS,
							 NULL, c), -EINVAL);
	/* A helper without a device (this suite's) takes no host backend */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_backend(me, 0, VFIO_MSIX_BACKEND_IMS,
							 host, c), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_backend(me, 0, 2, host, c), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_backend(me, 0, 7, NULL, c), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_backend(me, 0, VFIO_MSIX_BACKEND_EMULATED,
							 NULL, c), 0);
	/* Not while enabled */
	KUNIT_ASSERT_EQ(test, vfio_msix_emul_set_irqs(me, VFIO_IRQ_SET_DATA_EVENTFD |
						      VFIO_IRQ_SET_ACTION_TRIGGER,
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &fd), 0);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_backend(me, 0, VFIO_MSIX_BACKEND_EMULATED,
							 NULL, c), -EBUSY);
}

#define TRIG(d)	(VFIO_IRQ_SET_ACTION_TRIGGER | (d))

static void msix_emul_set_irqs_errors(struct kunit *test)
{
	struct vfio_msix_emul *me = test->priv;
	s32 fds[NVEC] = { -1, -1, -1, -1, -1 };
	u8 bools[NVEC] = { 1, 1, 1, 1, 1 };

	/* Other indexes have no interrupts */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_MSI_IRQ_INDEX, 0, 1, fds),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_INTX_IRQ_INDEX, 0, 1, fds),
			-EINVAL);
	/* No action but TRIGGER, as in vfio-pci */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, VFIO_IRQ_SET_DATA_NONE,
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL),
			-ENOTTY);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_NONE) |
						      VFIO_IRQ_SET_ACTION_MASK,
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL),
			-ENOTTY);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, VFIO_IRQ_SET_ACTION_MASK |
						      VFIO_IRQ_SET_DATA_NONE,
						      VFIO_PCI_REQ_IRQ_INDEX, 0, 1, NULL),
			-ENOTTY);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, VFIO_IRQ_SET_ACTION_MASK |
						      VFIO_IRQ_SET_DATA_NONE,
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL),
			-ENOTTY);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, VFIO_IRQ_SET_ACTION_UNMASK |
						      VFIO_IRQ_SET_DATA_NONE,
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL),
			-ENOTTY);
	/* Out of range */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_MSIX_IRQ_INDEX, NVEC, 1, fds),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_MSIX_IRQ_INDEX, 1, NVEC, fds),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_MSIX_IRQ_INDEX, 2, UINT_MAX, fds),
			-EINVAL);
	/* Loopback, disable and an empty attach need an enabled index */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_NONE),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_BOOL),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC, bools),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_NONE),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, fds),
			-EINVAL);
	/* A descriptor which is not an eventfd changes nothing */
	fds[2] = INT_MAX;
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC, fds),
			-EBADF);
	KUNIT_EXPECT_FALSE(test, me->enabled);
}

/* The device request index: one eventfd, vfio-pci's rules */
static void msix_emul_req(struct kunit *test)
{
	struct vfio_msix_emul *me = test->priv;
	s32 fd = -1;
	u8 one = 1;

	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_REQ_IRQ_INDEX, 1, 1, &fd),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_REQ_IRQ_INDEX, 0, 2, &fd),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_REQ_IRQ_INDEX, 0, 0, &fd),
			-EINVAL);
	/* Loopback and clearing need an eventfd; BOOL without one is a no-op */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_NONE),
						      VFIO_PCI_REQ_IRQ_INDEX, 0, 1, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_NONE),
						      VFIO_PCI_REQ_IRQ_INDEX, 0, 0, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_BOOL),
						      VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &one), 0);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &fd), 0);
	fd = INT_MAX;
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &fd),
			-EBADF);
	KUNIT_EXPECT_NULL(test, me->req_trigger);
	/* No eventfd: the request is only logged, the MSI-X index is untouched */
	vfio_msix_emul_request(me, 1);
	KUNIT_EXPECT_FALSE(test, me->enabled);
}

/* A function reset: index disabled, capability and table as new, one lock hold */
static void msix_emul_reset(struct kunit *test)
{
	struct vfio_msix_emul *me = test->priv;
	s32 fds[NVEC] = { -1, -1, -1, -1, -1 };
	u8 b[4];
	int ret[4];

	KUNIT_ASSERT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC, fds), 0);
	mutex_lock(&me->lock);
	put_unaligned_le32(PCI_MSIX_ENTRY_CTRL_MASKBIT, b);
	ret[0] = vfio_msix_emul_table_rw(me, 2 * 16 + 12, b, 4, true);
	put_unaligned_le16(PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE, b);
	ret[1] = vfio_msix_emul_cap_rw(me, PCI_MSIX_FLAGS, b, 2, true);
	vfio_msix_emul_reset(me);
	ret[2] = vfio_msix_emul_table_rw(me, 2 * 16 + 12, b, 4, false);
	ret[3] = vfio_msix_emul_cap_rw(me, PCI_MSIX_FLAGS, b + 2, 2, false);
	mutex_unlock(&me->lock);
	KUNIT_EXPECT_EQ(test, ret[0] | ret[1] | ret[2] | ret[3], 0);
	KUNIT_EXPECT_FALSE(test, me->enabled);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(b), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(b + 2), NVEC - 1);
	/* Disabled: loopback is refused again */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_NONE),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL),
			-EINVAL);
}

static void msix_emul_enable_disable(struct kunit *test)
{
	struct vfio_msix_emul *me = test->priv;
	s32 fds[NVEC] = { -1, -1, -1, -1, -1 };
	u8 bools[NVEC] = { 1, 0, 1, 0, 1 };

	KUNIT_ASSERT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC, fds), 0);
	KUNIT_EXPECT_TRUE(test, me->enabled);
	/* Loopback on vectors without eventfds does nothing */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_NONE),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC, NULL), 0);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_BOOL),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC, bools), 0);
	/* A bad descriptor on an enabled index keeps it enabled */
	fds[4] = INT_MAX;
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC, fds),
			-EBADF);
	KUNIT_EXPECT_TRUE(test, me->enabled);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_NONE),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL), 0);
	KUNIT_EXPECT_FALSE(test, me->enabled);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_NONE),
						      VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL),
			-EINVAL);
}

static void msix_emul_cap(struct kunit *test)
{
	struct vfio_msix_emul *me = test->priv;
	u8 cap[VFIO_MSIX_EMUL_CAP_SIZE], b[4];
	unsigned int i;

	mutex_lock(&me->lock);
	/* EXPECT, not ASSERT, while the lock is held */
	for (i = 0; i < sizeof(cap); i++)
		KUNIT_EXPECT_EQ(test, vfio_msix_emul_cap_rw(me, i, &cap[i], 1, false), 0);
	KUNIT_EXPECT_EQ(test, cap[0], PCI_CAP_ID_MSIX);
	KUNIT_EXPECT_EQ(test, cap[1], 0x50);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(&cap[2]), NVEC - 1);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(&cap[4]), 0x1000);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(&cap[8]), 0x802);

	/* Only Enable and Function Mask are writable */
	put_unaligned_le32(0xffffffff, b);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_cap_rw(me, 0, b, 4, true), 0);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_cap_rw(me, 0, b, 4, false), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b),
			0x50 << 8 | PCI_CAP_ID_MSIX |
			(u32)(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | (NVEC - 1)) << 16);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_cap_rw(me, 4, b, 4, true), 0);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_cap_rw(me, 4, b, 4, false), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b), 0x1000);

	/* Outside the capability */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_cap_rw(me, 12, b, 1, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_cap_rw(me, 10, b, 4, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_cap_rw(me, 0, b, 0, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_cap_rw(me, 0, b, 5, false), -EINVAL);
	mutex_unlock(&me->lock);
}

static void msix_emul_table(struct kunit *test)
{
	struct vfio_msix_emul *me = test->priv;
	u8 b[8];

	mutex_lock(&me->lock);
	/* Entries start unmasked (see vfio_msix_emul_table_rw()) */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, 3 * 16 + 12, b, 4, false), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b), 0);
	/* Address and data are kept, only the mask bit of control */
	put_unaligned_le64(0x12345678fee00000ULL, b);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, 3 * 16, b, 8, true), 0);
	put_unaligned_le32(0xffffffff, b);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, 3 * 16 + 12, b, 4, true), 0);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, 3 * 16, b, 8, false), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le64(b), 0x12345678fee00000ULL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, 3 * 16 + 8, b, 8, false), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le64(b), (u64)PCI_MSIX_ENTRY_CTRL_MASKBIT << 32);

	/* Bad offsets and sizes */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, NVEC * 16, b, 4, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, NVEC * 16 - 4, b, 8, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, 2, b, 4, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, 4, b, 8, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, 0, b, 2, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, UINT_MAX - 3, b, 4, false), -EINVAL);
	mutex_unlock(&me->lock);
}

static void msix_emul_pba(struct kunit *test)
{
	struct vfio_msix_emul *me = test->priv;
	s32 fd = -1;
	u8 b[8];

	KUNIT_ASSERT_EQ(test, vfio_msix_emul_set_irqs(me, TRIG(VFIO_IRQ_SET_DATA_EVENTFD),
						      VFIO_PCI_MSIX_IRQ_INDEX, 1, 1, &fd), 0);
	mutex_lock(&me->lock);
	put_unaligned_le32(PCI_MSIX_ENTRY_CTRL_MASKBIT, b);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_table_rw(me, 16 + 12, b, 4, true), 0);
	/* Without an eventfd the event is dropped, not pending */
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_trigger(me, 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_pba_read(me, 0, b, 8), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le64(b), 0);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_trigger(me, NVEC), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_host_index(me, 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_host_index(me, NVEC), -EINVAL);
	/* One 64-bit word for five vectors */
	put_unaligned_le32(0xffffffff, b);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_pba_read(me, 4, b, 4), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b), 0);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_pba_read(me, 8, b, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_pba_read(me, 4, b, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_msix_emul_pba_read(me, 0, b, 1), -EINVAL);
	mutex_unlock(&me->lock);
}

static struct kunit_case msix_emul_cases[] = {
	KUNIT_CASE(msix_emul_init_bounds),
	KUNIT_CASE(msix_emul_backend_args),
	KUNIT_CASE(msix_emul_set_irqs_errors),
	KUNIT_CASE(msix_emul_req),
	KUNIT_CASE(msix_emul_reset),
	KUNIT_CASE(msix_emul_enable_disable),
	KUNIT_CASE(msix_emul_cap),
	KUNIT_CASE(msix_emul_table),
	KUNIT_CASE(msix_emul_pba),
	{ }
};

static struct kunit_suite msix_emul_suite = {
	.name		= "vfio_msix_emul",
	.init		= me_init,
	.exit		= me_exit,
	.test_cases	= msix_emul_cases,
};

kunit_test_suite(msix_emul_suite);

MODULE_DESCRIPTION("KUnit tests of the VFIO emulated MSI-X helper");
MODULE_LICENSE("GPL");
