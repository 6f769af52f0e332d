// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the idxd IMS support at register level.
 *
 * No DSA device exists under QEMU, so the real driver functions run against
 * a simulated BAR0 in kernel memory. A responder thread plays the device's
 * command interface: it picks up what the driver writes to the command
 * register, answers in the command status register and raises the command
 * completion (or handle revocation) cause through the driver's own misc
 * interrupt handler. The tests that need an IMS domain take a QEMU edu
 * device behind VT-d as the PCI device, so the IMS entries are written by
 * the real IMS library into the simulated table.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/iommu.h>
#include <linux/irq_ims.h>
#include <linux/kthread.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include "idxd.h"
#include "registers.h"

#define BAR_SIZE	0x8000
#define IMS_UNITS	0x40		/* table at 0x4000 */
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

struct sim {
	struct idxd_device	*idxd;
	void			*bar;
	struct task_struct	*responder;
	/* What the device answers: 0 or an error status, and handle base */
	u32			error;
	u32			release_error;
	u32			handle_base;
	bool			revoke;
	/* A device which stops answering; one which reads all ones */
	bool			stall;
	bool			gone;
	/*
	 * Hold the answer to interrupt driven commands (@holding while one
	 * is held), counting the commands written over the held one; halt
	 * the device with @halt_reset (a held command gets no answer); raise
	 * the command completion cause once.
	 */
	bool			hold;
	u32			hold_only;
	bool			holding;
	unsigned int		overwrites;
	bool			halt;
	u32			halt_reset;
	bool			raise_cmd;
	/*
	 * Answer interrupt driven commands with the active bit clear, as the
	 * device does, for callers which compare the whole status
	 */
	bool			exact_status;
	/* Responder iterations started, for sim_sync() */
	unsigned long		loops;
	/* What the driver sent */
	unsigned int		ncmds;
	union idxd_command_reg	cmds[32];
	struct pci_dev		*pdev;
	bool			registered;
};

static u32 rd32(struct sim *s, unsigned int off)
{
	return READ_ONCE(*(u32 *)(s->bar + off));
}

static void wr32(struct sim *s, unsigned int off, u32 val)
{
	WRITE_ONCE(*(u32 *)(s->bar + off), val);
}

static void wr64(struct sim *s, unsigned int off, u64 val)
{
	WRITE_ONCE(*(u64 *)(s->bar + off), val);
}

/* Raise an interrupt cause through the driver's misc interrupt handler */
static void sim_raise(struct sim *s, u32 cause)
{
	wr32(s, IDXD_INTCAUSE_OFFSET, cause);
	idxd_misc_thread(0, &s->idxd->ie);
	/* INTCAUSE is write-one-to-clear; the handler acknowledged it */
	wr32(s, IDXD_INTCAUSE_OFFSET, 0);
}

/* The device halts and asks for the reset @s->halt_reset */
static bool sim_halt(struct sim *s)
{
	union gensts_reg gensts = { };

	if (!READ_ONCE(s->halt))
		return false;
	gensts.state = IDXD_DEVICE_STATE_HALT;
	gensts.reset_type = s->halt_reset;
	wr32(s, IDXD_GENSTATS_OFFSET, gensts.bits);
	sim_raise(s, IDXD_INTC_HALT_STATE);
	/* Cleared once the driver has handled the halt */
	WRITE_ONCE(s->halt, false);
	return true;
}

/*
 * Hold an interrupt driven command until the test lets it go; a command
 * written meanwhile would overwrite it. False if the device halted.
 */
static bool sim_hold(struct sim *s)
{
	bool answer = true;

	WRITE_ONCE(s->holding, true);
	while (READ_ONCE(s->hold) && !kthread_should_stop()) {
		if (rd32(s, IDXD_CMD_OFFSET)) {
			s->overwrites++;
			break;
		}
		if (sim_halt(s)) {
			answer = false;
			break;
		}
		usleep_range(20, 50);
	}
	WRITE_ONCE(s->holding, false);
	return answer;
}

static int sim_respond(void *arg)
{
	struct sim *s = arg;
	struct idxd_device *idxd = s->idxd;

	wr32(s, IDXD_CMDSTS_OFFSET, IDXD_CMDSTS_ACTIVE);
	while (!kthread_should_stop()) {
		union idxd_command_reg cmd;
		u32 status = IDXD_CMDSTS_SUCCESS;

		WRITE_ONCE(s->loops, s->loops + 1);
		/* What the test changed before sim_sync() is seen from here on */
		smp_mb();
		cmd.bits = rd32(s, IDXD_CMD_OFFSET);
		if (s->revoke) {
			sim_raise(s, IDXD_INTC_INT_HANDLE_REVOKED);
			/* Cleared once the revocation work is queued */
			s->revoke = false;
		}
		sim_halt(s);
		if (READ_ONCE(s->raise_cmd)) {
			sim_raise(s, IDXD_INTC_CMD);
			WRITE_ONCE(s->raise_cmd, false);
		}
		if (READ_ONCE(s->gone)) {
			/* Whatever was written went nowhere */
			wr32(s, IDXD_CMD_OFFSET, 0);
			wr32(s, IDXD_CMDSTS_OFFSET, U32_MAX);
			usleep_range(20, 50);
			continue;
		}
		if (!cmd.bits || READ_ONCE(s->stall)) {
			usleep_range(20, 50);
			continue;
		}
		wr32(s, IDXD_CMD_OFFSET, 0);
		if (s->ncmds < ARRAY_SIZE(s->cmds))
			s->cmds[s->ncmds++] = cmd;
		if (cmd.cmd == IDXD_CMD_REQUEST_INT_HANDLE && s->error)
			status = s->error;
		else if (cmd.cmd == IDXD_CMD_REQUEST_INT_HANDLE)
			status = (s->handle_base + (cmd.operand & 0xffff)) <<
				 IDXD_CMDSTS_RES_SHIFT;
		else if (cmd.cmd == IDXD_CMD_RELEASE_INT_HANDLE)
			status = s->release_error;
		/*
		 * The status register reads "active" whenever no answer is
		 * pending, so that a driver polling right after its command
		 * write waits for the answer. An interrupt-driven command is
		 * answered with the active bit kept (the driver only reads
		 * the status after the completion); a polled one with it
		 * clear until the driver, which claims the command register
		 * (IDXD_FLAG_CMD_RUNNING) while it polls, has read the answer.
		 */
		if (cmd.int_req) {
			if (READ_ONCE(s->hold) &&
			    (!s->hold_only || cmd.cmd == s->hold_only) && !sim_hold(s))
				continue;
			if (!READ_ONCE(s->exact_status)) {
				wr32(s, IDXD_CMDSTS_OFFSET, status | IDXD_CMDSTS_ACTIVE);
				sim_raise(s, IDXD_INTC_CMD);
				continue;
			}
			/*
			 * Active again once the driver has read the answer
			 * (it may have sent its next command by then; the
			 * tests in this mode send interrupt driven ones only)
			 */
			wr32(s, IDXD_CMDSTS_OFFSET, status);
			sim_raise(s, IDXD_INTC_CMD);
			while (test_bit(IDXD_FLAG_CMD_RUNNING, &idxd->flags) &&
			       !rd32(s, IDXD_CMD_OFFSET) && !kthread_should_stop())
				usleep_range(20, 50);
			wr32(s, IDXD_CMDSTS_OFFSET, status | IDXD_CMDSTS_ACTIVE);
			continue;
		}
		wr32(s, IDXD_CMDSTS_OFFSET, status);
		/*
		 * Until the driver drops its claim of the command register,
		 * or has claimed it again for its next command
		 */
		while (test_bit(IDXD_FLAG_CMD_RUNNING, &idxd->flags) &&
		       !rd32(s, IDXD_CMD_OFFSET) && !kthread_should_stop())
			usleep_range(20, 50);
		wr32(s, IDXD_CMDSTS_OFFSET, status | IDXD_CMDSTS_ACTIVE);
	}
	return 0;
}

/*
 * Wait until the responder has run a whole iteration which started after
 * the caller's changes, so that none of its decisions predates them.
 */
static void sim_sync(struct sim *s)
{
	unsigned long start;
	int i;

	/* The changes before the count; pairs with the responder's barrier */
	smp_mb();
	start = READ_ONCE(s->loops);
	for (i = 0; i < 10000 && READ_ONCE(s->loops) - start < 2; i++)
		usleep_range(50, 100);
}

/* Wait until the responder holds an interrupt driven command */
static bool sim_wait_holding(struct sim *s)
{
	int i;

	for (i = 0; i < 2000 && !READ_ONCE(s->holding); i++)
		usleep_range(500, 1000);
	return READ_ONCE(s->holding);
}

/* A driver call made from a thread of its own, while the test plays the device */
struct sim_call {
	int			(*fn)(struct sim_call *c);
	struct sim		*s;
	struct idxd_ims_vec	*vec;
	int			rc;
	struct completion	done;
};

static int sim_call_thread(void *data)
{
	struct sim_call *c = data;

	c->rc = c->fn(c);
	/* Done for every later wait, also after a wait with a timeout */
	complete_all(&c->done);
	return 0;
}

/* Start @fn in a thread, on @cpu if not negative */
static struct sim_call *sim_call_start(struct kunit *test, int (*fn)(struct sim_call *c),
				       struct idxd_ims_vec *vec, int cpu)
{
	struct sim_call *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->fn = fn;
	c->s = test->priv;
	c->vec = vec;
	init_completion(&c->done);
	t = kthread_create(sim_call_thread, c, "idxd-ims-kunit-call");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	if (cpu >= 0)
		kthread_bind(t, cpu);
	wake_up_process(t);
	return c;
}

static int ims_kunit_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return pdev == pci_get_drvdata(pdev) ? 0 : -ENODEV;
}

/* The machine variant the harness declares (idxd.ims_kunit_variant=) */
static char *ims_kunit_variant = "";
module_param(ims_kunit_variant, charp, 0444);
MODULE_PARM_DESC(ims_kunit_variant, "machine variant of the IMS tests: vtd, dsa, vtd-caching, amdvi or none");

static const struct pci_device_id ims_kunit_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};

static struct pci_driver ims_kunit_driver = {
	.name		= "idxd-ims-kunit",
	.id_table	= ims_kunit_ids,
	.probe		= ims_kunit_probe,
};

static struct pci_dev *sim_pdev(struct kunit *test, struct sim *s)
{
	struct pci_dev *pdev;

	/* Every machine variant of the harness has edu devices, unbound */
	pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, pdev, "no edu device to stand in as the PCI device");
	s->pdev = pdev;
	KUNIT_ASSERT_NULL_MSG(test, pdev->dev.driver, "edu device is bound to another driver");
	/* Unbinding clears the drvdata again */
	/* Bind to this device only: the probe compares drvdata with itself */
	pci_set_drvdata(pdev, pdev);
	KUNIT_ASSERT_EQ(test, pci_register_driver(&ims_kunit_driver), 0);
	s->registered = true;
	KUNIT_ASSERT_PTR_EQ(test, pdev->dev.driver, &ims_kunit_driver.driver);
	return pdev;
}

static int sim_init(struct kunit *test)
{
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct idxd_device *idxd;
	union offsets_reg offsets = { };
	union gen_cap_reg gen_cap = { };

	if (!s)
		return -ENOMEM;
	test->priv = s;
	/* Outside the IMS test machines (no declared variant) there is no edu */
	if (!*ims_kunit_variant)
		kunit_skip(test, "needs an IMS test machine (idxd.ims_kunit_variant=)");
	/* Every machine variant of the harness has two CPUs */
	KUNIT_ASSERT_TRUE_MSG(test, cpu_online(0) && cpu_online(1),
			      "the responder needs CPUs 0 and 1");
	s->bar = kunit_kzalloc(test, BAR_SIZE, GFP_KERNEL);
	idxd = kunit_kzalloc(test, sizeof(*idxd), GFP_KERNEL);
	if (!s->bar || !idxd)
		return -ENOMEM;
	s->idxd = idxd;
	idxd->reg_base = (void __iomem __force *)s->bar;
	spin_lock_init(&idxd->cmd_lock);
	spin_lock_init(&idxd->dev_lock);
	init_waitqueue_head(&idxd->cmd_waitq);
	idxd_ims_init(idxd);
	idxd->state = IDXD_DEV_ENABLED;
	idxd->hw.cmd_cap = BIT(IDXD_CMD_REQUEST_INT_HANDLE) | BIT(IDXD_CMD_RELEASE_INT_HANDLE);
	idxd->request_int_handles = true;
	idxd->wq = alloc_workqueue("idxd-ims-kunit", WQ_UNBOUND, 0);
	if (!idxd->wq)
		return -ENOMEM;

	/* A device with 512 IMS entries at 0x4000 */
	gen_cap.max_ims_mult = 2;
	gen_cap.cmd_cap = 1;
	offsets.ims = IMS_UNITS;
	wr64(s, IDXD_GENCAP_OFFSET, gen_cap.bits);
	wr64(s, IDXD_TABLE_OFFSET, offsets.bits[0]);
	wr64(s, IDXD_TABLE_OFFSET + 8, offsets.bits[1]);

	/*
	 * The device answers from CPU 1 while the test's thread (it ends
	 * with the test) runs on CPU 0: a driver which spun for an answer
	 * with preemption off cannot starve it.
	 */
	set_cpus_allowed_ptr(current, cpumask_of(0));
	s->responder = kthread_create(sim_respond, s, "idxd-ims-sim");
	if (IS_ERR(s->responder))
		return PTR_ERR(s->responder);
	kthread_bind(s->responder, 1);
	wake_up_process(s->responder);
	return 0;
}

static void sim_exit(struct kunit *test)
{
	struct sim *s = test->priv;

	if (!s)
		return;
	if (s->idxd && s->idxd->ims_enabled)
		idxd_ims_teardown(s->idxd);
	if (s->responder && !IS_ERR(s->responder))
		kthread_stop(s->responder);
	if (s->idxd && s->idxd->wq)
		destroy_workqueue(s->idxd->wq);
	if (s->registered)
		pci_unregister_driver(&ims_kunit_driver);
	if (s->pdev)
		pci_dev_put(s->pdev);
}

static irqreturn_t sim_handler(int irq, void *data)
{
	return IRQ_HANDLED;
}

/* The simulated device with its IMS domain; vtd only */
static struct idxd_device *sim_ims(struct kunit *test, struct idxd_wq *wq)
{
	struct sim *s = test->priv;
	struct idxd_device *idxd = s->idxd;

	idxd->pdev = sim_pdev(test, s);
	idxd_ims_read_caps(idxd);
	idxd_ims_setup(idxd);
	/*
	 * Whether IMS is expected comes from the machine the harness declares,
	 * not from what setup found: an IMS regression on vtd must fail.
	 */
	/* dsa: the vtd machine with two DSA functions */
	if (strcmp(ims_kunit_variant, "vtd") && strcmp(ims_kunit_variant, "dsa")) {
		/* An assertion: a skip would overwrite an expectation's failure */
		KUNIT_ASSERT_FALSE_MSG(test, idxd->ims_enabled,
				       "IMS enabled below a parent that must refuse it");
		kunit_skip(test, "IMS needs the vtd machine (variant '%s')", ims_kunit_variant);
	}
	KUNIT_ASSERT_TRUE_MSG(test, idxd->ims_enabled, "VT-d refused IMS for the edu device");
	wq->idxd = idxd;
	wq->id = 1;
	return idxd;
}

/* A work queue of the simulated device, with IMS set up */
static struct idxd_wq *sim_ims_wq(struct kunit *test)
{
	struct idxd_wq *wq = kunit_kzalloc(test, sizeof(*wq), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, wq);
	sim_ims(test, wq);
	return wq;
}

/* A vector of @wq for @pasid, with its interrupt handle */
static struct idxd_ims_vec *sim_vec_handle(struct kunit *test, struct idxd_wq *wq, u32 pasid,
					   idxd_ims_event_fn event, void *ctx)
{
	struct idxd_ims_vec *vec = idxd_ims_vec_alloc(wq, pasid, event, ctx);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec);
	KUNIT_ASSERT_EQ(test, idxd_ims_vec_request_handle(vec), 0);
	return vec;
}

static u32 slot_word(struct sim *s, int slot, unsigned int off)
{
	return rd32(s, IMS_UNITS * IDXD_TABLE_MULT + slot * 16 + off);
}

static void idxd_ims_discovery(struct kunit *test)
{
	struct sim *s = test->priv;
	union gen_cap_reg gen_cap = { };
	union offsets_reg offsets = { };

	idxd_ims_read_caps(s->idxd);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_size, 512);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_offset, 0x4000);

	/* A table offset of 0 would overlay the registers: no IMS */
	wr64(s, IDXD_TABLE_OFFSET, offsets.bits[0]);
	idxd_ims_read_caps(s->idxd);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_size, 0);

	/* A table beyond BAR0 (edu's is 1 MiB) is not used */
	s->idxd->pdev = sim_pdev(test, s);
	offsets.ims = 0xffff;
	wr64(s, IDXD_TABLE_OFFSET, offsets.bits[0]);
	idxd_ims_read_caps(s->idxd);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_size, 512);
	idxd_ims_setup(s->idxd);
	KUNIT_EXPECT_FALSE(test, s->idxd->ims_enabled);

	/* A device without IMS: no entries, MSI-X only, no vectors */
	wr64(s, IDXD_GENCAP_OFFSET, gen_cap.bits);
	idxd_ims_read_caps(s->idxd);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_size, 0);
	idxd_ims_setup(s->idxd);
	KUNIT_EXPECT_FALSE(test, s->idxd->ims_enabled);
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(&s->pdev->dev, 0, NULL, NULL).index, -ENODEV);
}

/* REQUEST_INT_HANDLE with the IMS bit, and the device's error answers */
static void idxd_ims_handle_commands(struct kunit *test)
{
	struct sim *s = test->priv;
	int handle = -1;

	s->idxd->pdev = sim_pdev(test, s);
	s->handle_base = 0x100;
	KUNIT_EXPECT_EQ(test, idxd_device_request_int_handle(s->idxd, 5, &handle,
							     IDXD_IRQ_IMS), 0);
	KUNIT_EXPECT_EQ(test, handle, 0x105);
	KUNIT_ASSERT_EQ(test, s->ncmds, 1);
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[0].cmd, IDXD_CMD_REQUEST_INT_HANDLE);
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[0].operand, CMD_INT_HANDLE_IMS | 5);

	KUNIT_EXPECT_EQ(test, idxd_device_release_int_handle(s->idxd, 0x105, IDXD_IRQ_IMS), 0);
	KUNIT_ASSERT_EQ(test, s->ncmds, 2);
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[1].cmd, IDXD_CMD_RELEASE_INT_HANDLE);
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[1].operand, CMD_INT_HANDLE_IMS | 0x105);

	s->error = IDXD_CMDSTS_ERR_INVAL_INT_IDX;
	KUNIT_EXPECT_EQ(test, idxd_device_request_int_handle(s->idxd, 9999, &handle,
							     IDXD_IRQ_IMS), -EINVAL);
	s->error = IDXD_CMDSTS_ERR_NO_HANDLE;
	KUNIT_EXPECT_EQ(test, idxd_device_request_int_handle(s->idxd, 6, &handle,
							     IDXD_IRQ_IMS), -ENOSPC);
}

/* The exact slot bytes of a PASID vector, mask and unmask */
static void idxd_ims_slot_bytes(struct kunit *test)
{
	struct sim *s = test->priv;
	struct idxd_wq *wq;
	const u32 pasid_ctrl = BIT(3) | (0x1234 << 12);
	struct idxd_ims_vec *vec;
	struct msi_msg msg;
	int slot;

	wq = sim_ims_wq(test);
	vec = idxd_ims_vec_alloc(wq, 0x1234, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec);
	slot = vec->map.index;
	KUNIT_EXPECT_EQ(test, slot_word(s, slot, 12), BIT(0) | pasid_ctrl);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_in_use, 1);

	KUNIT_ASSERT_EQ(test, request_irq(vec->map.virq, sim_handler, 0, "idxd-ims-kunit", vec),
			0);
	get_cached_msi_msg(vec->map.virq, &msg);
	KUNIT_EXPECT_EQ(test, slot_word(s, slot, 0), msg.address_lo);
	KUNIT_EXPECT_EQ(test, slot_word(s, slot, 4), msg.address_hi);
	KUNIT_EXPECT_EQ(test, slot_word(s, slot, 8), msg.data);
	KUNIT_EXPECT_EQ(test, msg.address_lo & 0xfff00000, 0xfee00000);
	KUNIT_EXPECT_EQ(test, slot_word(s, slot, 12), pasid_ctrl);

	irq_set_status_flags(vec->map.virq, IRQ_DISABLE_UNLAZY);
	disable_irq(vec->map.virq);
	KUNIT_EXPECT_EQ(test, slot_word(s, slot, 12), BIT(0) | pasid_ctrl);
	enable_irq(vec->map.virq);
	KUNIT_EXPECT_EQ(test, slot_word(s, slot, 12), pasid_ctrl);
	free_irq(vec->map.virq, vec);

	/* The handle and the IMS portal of the work queue */
	s->handle_base = 0x40;
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_request_handle(vec), 0);
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(vec), 0x40 + slot);
	/* A second request would leak the first handle */
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_request_handle(vec), -EBUSY);
	KUNIT_EXPECT_EQ(test, idxd_wq_ims_portal(wq, false),
			pci_resource_start(s->pdev, IDXD_WQ_BAR) + 4 * PAGE_SIZE + 0x2000);
	KUNIT_EXPECT_EQ(test, idxd_wq_ims_portal(wq, true),
			pci_resource_start(s->pdev, IDXD_WQ_BAR) + 4 * PAGE_SIZE + 0x3000);

	idxd_ims_vec_free(vec);
	/* The PASID is drained before the handle is released */
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[s->ncmds - 2].cmd, IDXD_CMD_DRAIN_PASID);
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[s->ncmds - 2].operand, 0x1234);
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[s->ncmds - 1].cmd, IDXD_CMD_RELEASE_INT_HANDLE);
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[s->ncmds - 1].operand,
			CMD_INT_HANDLE_IMS | (0x40 + slot));
	KUNIT_EXPECT_EQ(test, slot_word(s, slot, 12), BIT(0));
	KUNIT_EXPECT_EQ(test, s->idxd->ims_in_use, 0);
}

static void idxd_ims_pasid_range(struct kunit *test)
{
	struct idxd_wq *wq;
	struct sim *s = test->priv;
	struct idxd_ims_vec *vec;

	wq = sim_ims_wq(test);
	KUNIT_EXPECT_EQ(test, PTR_ERR(idxd_ims_vec_alloc(wq, 0x100000, NULL, NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_in_use, 0);
	KUNIT_EXPECT_EQ(test, slot_word(s, 0, 12), 0);
	vec = idxd_ims_vec_alloc(wq, 0xfffff, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec);
	KUNIT_EXPECT_EQ(test, slot_word(s, vec->map.index, 12), BIT(0) | BIT(3) | 0xfffff000);
	idxd_ims_vec_free(vec);
}

static atomic_t handles_changed;

static void idxd_ims_changed(struct idxd_ims_vec *vec, enum idxd_ims_event event,
			     void *ctx)
{
	if (event == IDXD_IMS_EVENT_REVOKED)
		atomic_inc(ctx);
}

/* INTCAUSE bit 31: every IMS vector with a handle gets a new one */
static void idxd_ims_revocation(struct kunit *test)
{
	struct idxd_wq *wq;
	struct idxd_ims_vec *vec[3];
	struct sim *s = test->priv;
	int i;

	wq = sim_ims_wq(test);
	atomic_set(&handles_changed, 0);
	s->handle_base = 0x100;
	for (i = 0; i < 3; i++) {
		vec[i] = idxd_ims_vec_alloc(wq, i, idxd_ims_changed, &handles_changed);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec[i]);
		if (i < 2)
			KUNIT_ASSERT_EQ(test, idxd_ims_vec_request_handle(vec[i]), 0);
	}
	s->handle_base = 0x200;
	s->revoke = true;
	for (i = 0; i < 200 && s->revoke; i++)
		usleep_range(5000, 10000);
	flush_workqueue(s->idxd->wq);
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(vec[0]), 0x200 + vec[0]->map.index);
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(vec[1]), 0x200 + vec[1]->map.index);
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(vec[2]), INVALID_INT_HANDLE);
	KUNIT_EXPECT_EQ(test, atomic_read(&handles_changed), 2);

	/* A revocation the device cannot renew leaves no handle */
	s->error = IDXD_CMDSTS_ERR_NO_HANDLE;
	s->revoke = true;
	for (i = 0; i < 200 && s->revoke; i++)
		usleep_range(5000, 10000);
	flush_workqueue(s->idxd->wq);
	s->error = 0;
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(vec[0]), INVALID_INT_HANDLE);
	KUNIT_EXPECT_EQ(test, atomic_read(&handles_changed), 4);
	for (i = 0; i < 3; i++)
		idxd_ims_vec_free(vec[i]);
}

/* Teardown with vectors in use releases their handles and frees them */
static void idxd_ims_teardown_in_use(struct kunit *test)
{
	struct idxd_wq *wq;
	struct sim *s = test->priv;
	unsigned int before, releases = 0, i;
	struct idxd_ims_vec *vec;
	int virq[3], slot0 = -1;

	wq = sim_ims_wq(test);
	for (i = 0; i < 3; i++) {
		vec = idxd_ims_vec_alloc(wq, 7, NULL, NULL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec);
		KUNIT_ASSERT_EQ(test, idxd_ims_vec_request_handle(vec), 0);
		virq[i] = vec->map.virq;
		if (!i)
			slot0 = vec->map.index;
	}
	before = s->ncmds;
	idxd_ims_teardown(s->idxd);
	for (i = before; i < s->ncmds; i++)
		releases += s->cmds[i].cmd == IDXD_CMD_RELEASE_INT_HANDLE;
	KUNIT_EXPECT_EQ(test, releases, 3);
	KUNIT_EXPECT_FALSE(test, s->idxd->ims_enabled);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_in_use, 0);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_NULL(test, irq_get_msi_desc(virq[i]));
	KUNIT_EXPECT_EQ(test, slot_word(s, slot0, 12), BIT(0));
}

struct ims_free_other {
	struct idxd_ims_vec	*other;
	atomic_t		removing;
};

/* REMOVING of one vector: its owner also frees another one it holds */
static void ims_free_other_event(struct idxd_ims_vec *vec, enum idxd_ims_event event,
				 void *ctx)
{
	struct ims_free_other *f = ctx;

	if (event != IDXD_IMS_EVENT_REMOVING)
		return;
	atomic_inc(&f->removing);
	if (f->other) {
		idxd_ims_vec_free(f->other);
		f->other = NULL;
	}
}

/*
 * An owner frees a vector whose REMOVING has not started, here from the
 * REMOVING of another of its vectors: teardown goes on with the vectors
 * still allocated and does not touch the freed one.
 */
static void idxd_ims_teardown_owner_frees_another(struct kunit *test)
{
	struct ims_free_other *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct sim *s = test->priv;
	struct idxd_ims_vec *vec[3];
	struct idxd_wq *wq;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, f);
	wq = sim_ims_wq(test);
	for (i = 0; i < 3; i++) {
		vec[i] = idxd_ims_vec_alloc(wq, 3 + i, ims_free_other_event, f);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec[i]);
	}
	/* The first vector's REMOVING frees the second */
	f->other = vec[1];
	idxd_ims_teardown(s->idxd);
	KUNIT_EXPECT_NULL(test, f->other);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->removing), 2);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_in_use, 0);
}

/* Whether the driver sent @cmd with @operand since command number @from */
static bool sim_sent(struct sim *s, unsigned int from, unsigned int cmd, u32 operand)
{
	unsigned int i;

	for (i = from; i < s->ncmds; i++)
		if (s->cmds[i].cmd == cmd && s->cmds[i].operand == operand)
			return true;
	return false;
}

/*
 * A vector without PASID: PASID enable clear in the entry; its free drains
 * the work queue (not a PASID) before the handle is released.
 */
static void idxd_ims_no_pasid(struct kunit *test)
{
	struct idxd_wq *wq;
	struct sim *s = test->priv;
	struct idxd_ims_vec *vec;
	unsigned int from;
	int slot;

	wq = sim_ims_wq(test);
	wq->state = IDXD_WQ_ENABLED;
	s->handle_base = 0x100;
	vec = idxd_ims_vec_alloc(wq, IOMMU_PASID_INVALID, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec);
	slot = vec->map.index;
	KUNIT_EXPECT_EQ(test, slot_word(s, slot, 12), BIT(0));
	KUNIT_ASSERT_EQ(test, idxd_ims_vec_request_handle(vec), 0);
	from = s->ncmds;
	idxd_ims_vec_free(vec);
	KUNIT_EXPECT_TRUE(test, sim_sent(s, from, IDXD_CMD_DRAIN_WQ, BIT(1)));
	KUNIT_EXPECT_FALSE(test, sim_sent(s, from, IDXD_CMD_DRAIN_PASID, 0));
	KUNIT_EXPECT_TRUE(test, sim_sent(s, from, IDXD_CMD_RELEASE_INT_HANDLE,
					 CMD_INT_HANDLE_IMS | (0x100 + slot)));
}

/*
 * A device without handle commands: the handle is the slot, nothing is
 * released, but the free still drains, so that no descriptor names the
 * entry when it is reused.
 */
static void idxd_ims_drain_without_handle_cmds(struct kunit *test)
{
	struct idxd_wq *wq;
	struct sim *s = test->priv;
	struct idxd_ims_vec *vec;
	unsigned int from;

	wq = sim_ims_wq(test);
	s->idxd->request_int_handles = false;
	vec = idxd_ims_vec_alloc(wq, 7, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec);
	from = s->ncmds;
	KUNIT_ASSERT_EQ(test, idxd_ims_vec_request_handle(vec), 0);
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(vec), vec->map.index);
	idxd_ims_vec_free(vec);
	KUNIT_EXPECT_TRUE(test, sim_sent(s, from, IDXD_CMD_DRAIN_PASID, 7));
	KUNIT_EXPECT_EQ(test, s->ncmds - from, 1);
}

/* The commands @cmd with @operand sent since @from */
static unsigned int sim_count(struct sim *s, unsigned int from, unsigned int cmd, u32 operand)
{
	unsigned int i, n = 0;

	for (i = from; i < s->ncmds; i++)
		n += s->cmds[i].cmd == cmd && s->cmds[i].operand == operand;
	return n;
}

/*
 * A revocation drains each PASID once, after every handle is renewed:
 * three vectors of PASID 4 and one of PASID 6 take two drains, not four.
 */
static void idxd_ims_revocation_drains_once(struct kunit *test)
{
	struct idxd_wq *wq = sim_ims_wq(test);
	static const u32 pasids[] = { 4, 6, 4, 4 };
	struct sim *s = test->priv;
	struct idxd_ims_vec *vec[4];
	unsigned int from, i;

	atomic_set(&handles_changed, 0);
	s->handle_base = 0x100;
	for (i = 0; i < ARRAY_SIZE(vec); i++) {
		vec[i] = idxd_ims_vec_alloc(wq, pasids[i], idxd_ims_changed, &handles_changed);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec[i]);
		KUNIT_ASSERT_EQ(test, idxd_ims_vec_request_handle(vec[i]), 0);
	}
	s->handle_base = 0x200;
	from = s->ncmds;
	s->revoke = true;
	for (i = 0; i < 200 && s->revoke; i++)
		usleep_range(5000, 10000);
	flush_workqueue(s->idxd->wq);
	KUNIT_EXPECT_EQ(test, atomic_read(&handles_changed), 4);
	KUNIT_EXPECT_EQ(test, sim_count(s, from, IDXD_CMD_DRAIN_PASID, 4), 1);
	KUNIT_EXPECT_EQ(test, sim_count(s, from, IDXD_CMD_DRAIN_PASID, 6), 1);
	for (i = 0; i < ARRAY_SIZE(vec); i++)
		idxd_ims_vec_free(vec[i]);
}

struct ims_alloc_race {
	struct idxd_wq		*wq;
	atomic_t		allocated;
	atomic_t		removing;
	int			last_error;
	struct completion	done;
};

static void ims_race_event(struct idxd_ims_vec *vec, enum idxd_ims_event event, void *ctx)
{
	struct ims_alloc_race *r = ctx;

	if (event == IDXD_IMS_EVENT_REMOVING)
		atomic_inc(&r->removing);
}

/* Allocate until the device refuses, as an owner racing the removal would */
static int ims_race_alloc_thread(void *data)
{
	struct ims_alloc_race *r = data;
	struct idxd_ims_vec *vec;

	for (;;) {
		vec = idxd_ims_vec_alloc(r->wq, 3, ims_race_event, r);
		if (IS_ERR(vec)) {
			r->last_error = PTR_ERR(vec);
			break;
		}
		atomic_inc(&r->allocated);
	}
	complete(&r->done);
	return 0;
}

/*
 * Allocation racing teardown: every vector that was handed out is one
 * whose owner hears REMOVING (none slips in after teardown took the list),
 * and allocation after it fails with -EOPNOTSUPP.
 */
static void idxd_ims_alloc_races_teardown(struct kunit *test)
{
	struct ims_alloc_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct sim *s = test->priv;
	struct task_struct *t;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->wq = sim_ims_wq(test);
	init_completion(&r->done);
	t = kthread_run(ims_race_alloc_thread, r, "idxd-ims-kunit-alloc");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (i = 0; i < 1000 && atomic_read(&r->allocated) < 16; i++)
		usleep_range(1000, 2000);
	idxd_ims_teardown(s->idxd);
	wait_for_completion(&r->done);
	KUNIT_EXPECT_EQ(test, r->last_error, -EOPNOTSUPP);
	KUNIT_EXPECT_GE(test, atomic_read(&r->allocated), 16);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->removing), atomic_read(&r->allocated));
	KUNIT_EXPECT_EQ(test, s->idxd->ims_in_use, 0);
}

/* A refused release is reported, and the vector has no handle after it */
static void idxd_ims_release_failure(struct kunit *test)
{
	struct idxd_wq *wq;
	struct sim *s = test->priv;
	struct idxd_ims_vec *vec;
	unsigned int from;

	wq = sim_ims_wq(test);
	vec = sim_vec_handle(test, wq, 3, NULL, NULL);
	s->release_error = IDXD_CMDSTS_ERR_INVAL_INT_IDX;
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_release_handle(vec), -ENXIO);
	s->release_error = 0;
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(vec), INVALID_INT_HANDLE);
	from = s->ncmds;
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_release_handle(vec), 0);
	idxd_ims_vec_free(vec);
	KUNIT_EXPECT_EQ(test, s->ncmds, from);
}

/*
 * RELEASE_INT_HANDLE is polled: a halted device gets
 * no command, one which reads all ones (surprise removal) is given up at
 * once, one which stops answering after a bounded time.
 */
static void idxd_ims_release_dead_device(struct kunit *test)
{
	struct sim *s = test->priv;
	s64 fastest = S64_MAX;
	unsigned int from;
	ktime_t start;
	int i;

	s->idxd->pdev = sim_pdev(test, s);
	s->idxd->state = IDXD_DEV_HALTED;
	from = s->ncmds;
	KUNIT_EXPECT_EQ(test, idxd_device_release_int_handle(s->idxd, 0x105, IDXD_IRQ_IMS),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, s->ncmds, from);
	s->idxd->state = IDXD_DEV_ENABLED;

	WRITE_ONCE(s->gone, true);
	wr32(s, IDXD_CMDSTS_OFFSET, U32_MAX);
	/*
	 * At once: well within the 10 ms a silent device is given. The
	 * fastest of five tries counts, so that a busy host preempting the
	 * guest cannot fail it; a 10 ms poll makes every try slower.
	 */
	for (i = 0; i < 5; i++) {
		start = ktime_get();
		KUNIT_EXPECT_EQ(test, idxd_device_release_int_handle(s->idxd, 0x105,
								     IDXD_IRQ_IMS), -ENODEV);
		fastest = min(fastest, ktime_us_delta(ktime_get(), start));
	}
	KUNIT_EXPECT_LT(test, fastest, 5000);
	/*
	 * The device comes back with nothing pending: the last release was
	 * dropped, and no answer to it may come after the stall below.
	 */
	for (i = 0; i < 1000 && rd32(s, IDXD_CMD_OFFSET); i++)
		usleep_range(100, 200);
	KUNIT_EXPECT_EQ(test, rd32(s, IDXD_CMD_OFFSET), 0);
	WRITE_ONCE(s->gone, false);
	sim_sync(s);
	wr32(s, IDXD_CMDSTS_OFFSET, IDXD_CMDSTS_ACTIVE);

	WRITE_ONCE(s->stall, true);
	start = ktime_get();
	KUNIT_EXPECT_EQ(test, idxd_device_release_int_handle(s->idxd, 0x106, IDXD_IRQ_IMS),
			-ETIMEDOUT);
	KUNIT_EXPECT_LT(test, ktime_ms_delta(ktime_get(), start), 1000);
	WRITE_ONCE(s->stall, false);
}

static int sim_call_drain(struct sim_call *c)
{
	idxd_device_drain_pasid(c->s->idxd, 5);
	return 0;
}

static int sim_call_release(struct sim_call *c)
{
	return idxd_device_release_int_handle(c->s->idxd, 0x105, IDXD_IRQ_IMS);
}

/*
 * idxd_cmd_exec() drops the command lock while its interrupt driven
 * command runs: a release in that window waits for it to complete rather
 * than writing RELEASE_INT_HANDLE over it.
 */
static void idxd_ims_release_waits_for_command(struct kunit *test)
{
	struct sim *s = test->priv;
	struct sim_call *drain, *release;
	unsigned int from;

	s->idxd->pdev = sim_pdev(test, s);
	from = s->ncmds;
	WRITE_ONCE(s->hold, true);
	drain = sim_call_start(test, sim_call_drain, NULL, -1);
	KUNIT_EXPECT_TRUE_MSG(test, sim_wait_holding(s), "DRAIN_PASID never arrived");
	/* On the test's CPU: a release spinning for the drain would starve the test */
	release = sim_call_start(test, sim_call_release, NULL, 0);
	msleep(50);
	KUNIT_EXPECT_FALSE_MSG(test, completion_done(&release->done),
			       "the release did not wait for the drain");
	WRITE_ONCE(s->hold, false);
	wait_for_completion(&drain->done);
	wait_for_completion(&release->done);
	KUNIT_EXPECT_EQ_MSG(test, s->overwrites, 0,
			    "a command was written while DRAIN_PASID was pending");
	KUNIT_EXPECT_EQ(test, release->rc, 0);
	KUNIT_ASSERT_EQ(test, s->ncmds - from, 2);
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[from].cmd, IDXD_CMD_DRAIN_PASID);
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[from + 1].cmd, IDXD_CMD_RELEASE_INT_HANDLE);
	KUNIT_EXPECT_EQ(test, (u32)s->cmds[from + 1].operand, CMD_INT_HANDLE_IMS | 0x105);
}

static int sim_call_request(struct sim_call *c)
{
	int handle;

	return idxd_device_request_int_handle(c->s->idxd, 5, &handle, IDXD_IRQ_IMS);
}

/*
 * A release which timed out leaves its command possibly active: no
 * command is written over it, polled or interrupt driven, until the
 * device shows that it is done with it.
 */
static void idxd_ims_no_command_over_timed_out_release(struct kunit *test)
{
	struct sim *s = test->priv;
	union idxd_command_reg stuck;
	struct sim_call *request;
	unsigned long left;
	int handle = -1;

	s->idxd->pdev = sim_pdev(test, s);
	WRITE_ONCE(s->stall, true);
	sim_sync(s);
	KUNIT_EXPECT_EQ(test, idxd_device_release_int_handle(s->idxd, 0x106, IDXD_IRQ_IMS),
			-ETIMEDOUT);
	stuck.bits = rd32(s, IDXD_CMD_OFFSET);
	KUNIT_ASSERT_EQ(test, (u32)stuck.cmd, IDXD_CMD_RELEASE_INT_HANDLE);

	KUNIT_EXPECT_EQ(test, idxd_device_release_int_handle(s->idxd, 0x107, IDXD_IRQ_IMS),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, rd32(s, IDXD_CMD_OFFSET), stuck.bits);

	/* idxd_cmd_exec() reports a hardware error at once, and sends nothing */
	request = sim_call_start(test, sim_call_request, NULL, -1);
	left = wait_for_completion_timeout(&request->done, HZ);
	KUNIT_EXPECT_NE_MSG(test, left, 0, "a command was sent over the timed out one");
	KUNIT_EXPECT_EQ(test, rd32(s, IDXD_CMD_OFFSET), stuck.bits);
	if (left) {
		KUNIT_EXPECT_EQ(test, request->rc, -ENXIO);
	} else {
		/* Let it end: the device answers it after all */
		WRITE_ONCE(s->stall, false);
		wait_for_completion(&request->done);
		WRITE_ONCE(s->stall, true);
	}

	/* The device is done with the release: commands go through again */
	sim_sync(s);
	wr32(s, IDXD_CMD_OFFSET, 0);
	wr32(s, IDXD_CMDSTS_OFFSET, 0);
	WRITE_ONCE(s->stall, false);
	sim_sync(s);
	s->handle_base = 0x200;
	KUNIT_EXPECT_EQ(test, idxd_device_request_int_handle(s->idxd, 5, &handle, IDXD_IRQ_IMS),
			0);
	KUNIT_EXPECT_EQ(test, handle, 0x205);
	KUNIT_EXPECT_EQ(test, idxd_device_release_int_handle(s->idxd, 0x205, IDXD_IRQ_IMS), 0);
}

struct sim_events {
	atomic_t		n[IDXD_IMS_EVENT_REMOVING + 1];
};

static void sim_count_event(struct idxd_ims_vec *vec, enum idxd_ims_event event, void *ctx)
{
	struct sim_events *ev = ctx;

	atomic_inc(&ev->n[event]);
}

static int sim_call_vec_request(struct sim_call *c)
{
	return idxd_ims_vec_request_handle(c->vec);
}

/*
 * The device halts (asking for a system reset) while a command of an
 * owner's call, which holds the IMS lock, is in flight: the halt completes
 * it with a hardware error, the call returns, and the owner hears HALTED
 * (the work which tells it takes the IMS lock).
 */
static void idxd_ims_halt_completes_command(struct kunit *test)
{
	struct sim_events *ev = kunit_kzalloc(test, sizeof(*ev), GFP_KERNEL);
	struct sim *s = test->priv;
	struct idxd_ims_vec *vec;
	struct sim_call *request;
	struct idxd_wq *wq;
	unsigned long left;

	KUNIT_ASSERT_NOT_NULL(test, ev);
	wq = sim_ims_wq(test);
	vec = idxd_ims_vec_alloc(wq, 3, sim_count_event, ev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec);
	WRITE_ONCE(s->hold, true);
	request = sim_call_start(test, sim_call_vec_request, vec, -1);
	KUNIT_EXPECT_TRUE_MSG(test, sim_wait_holding(s), "REQUEST_INT_HANDLE never arrived");
	s->halt_reset = IDXD_DEVICE_RESET_COLD;
	WRITE_ONCE(s->halt, true);
	left = wait_for_completion_timeout(&request->done, 2 * HZ);
	KUNIT_EXPECT_NE_MSG(test, left, 0, "the halt left the command in flight waiting");
	if (!left) {
		/* Let it end: a completion after all */
		WRITE_ONCE(s->raise_cmd, true);
		wait_for_completion(&request->done);
	} else {
		KUNIT_EXPECT_EQ(test, request->rc, -ENXIO);
	}
	WRITE_ONCE(s->hold, false);
	flush_workqueue(s->idxd->wq);
	KUNIT_EXPECT_EQ(test, atomic_read(&ev->n[IDXD_IMS_EVENT_HALTED]), 1);
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(vec), INVALID_INT_HANDLE);
	wr32(s, IDXD_GENSTATS_OFFSET, 0);
	idxd_ims_vec_free(vec);
}

/*
 * A halt which asks for a software reset: idxd's recovery resets, then
 * configures and enables the device; when it gets that far, the vectors
 * which had a handle get a new one and their owners RESET. (7.3 sends no
 * command to a halted device, so here the device leaves its halt before
 * the recovery runs, as if Reset Device had reached it.)
 */
static void idxd_ims_software_reset_renews(struct kunit *test)
{
	struct sim_events *ev = kunit_kzalloc(test, sizeof(*ev), GFP_KERNEL);
	struct sim *s = test->priv;
	struct idxd_ims_vec *vec;
	struct idxd_wq *wq;
	unsigned int from;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, ev);
	wq = sim_ims_wq(test);
	vec = idxd_ims_vec_alloc(wq, 3, sim_count_event, ev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vec);
	s->handle_base = 0x100;
	KUNIT_ASSERT_EQ(test, idxd_ims_vec_request_handle(vec), 0);
	s->handle_base = 0x300;
	from = s->ncmds;
	/* idxd_device_enable() compares the whole status */
	WRITE_ONCE(s->exact_status, true);
	/* The recovery waits for the IMS lock until the halt is over */
	mutex_lock(&s->idxd->ims_lock);
	s->halt_reset = IDXD_DEVICE_RESET_SOFTWARE;
	WRITE_ONCE(s->halt, true);
	for (i = 0; i < 2000 && READ_ONCE(s->halt); i++)
		usleep_range(500, 1000);
	wr32(s, IDXD_GENSTATS_OFFSET, 0);
	mutex_unlock(&s->idxd->ims_lock);
	flush_workqueue(s->idxd->wq);
	WRITE_ONCE(s->exact_status, false);
	sim_sync(s);
	KUNIT_EXPECT_EQ(test, sim_count(s, from, IDXD_CMD_RESET_DEVICE, 0), 1);
	KUNIT_EXPECT_EQ(test, sim_count(s, from, IDXD_CMD_ENABLE_DEVICE, 0), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&ev->n[IDXD_IMS_EVENT_HALTED]), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&ev->n[IDXD_IMS_EVENT_RESET]), 1);
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(vec), 0x300 + vec->map.index);
	idxd_ims_vec_free(vec);
}

/*
 * The simulated device with IMS and @n vectors allocated through the IMS
 * core (not idxd's API: the handlers the cases request stand for ones an
 * unbound driver forgot). The core's sweep at unbind needs the handlers in
 * a module, which the stand-in driver and sim_handler() are only when idxd
 * is one.
 */
static struct device *sim_module_vectors(struct kunit *test, struct msi_map *map, int n)
{
	struct sim *s = test->priv;
	int i;

	if (!IS_MODULE(CONFIG_INTEL_IDXD))
		kunit_skip(test, "needs idxd built as a module");
	sim_ims_wq(test);
	for (i = 0; i < n; i++) {
		map[i] = device_ims_alloc_irq(&s->pdev->dev, MSI_ANY_INDEX, NULL, NULL);
		KUNIT_ASSERT_GE(test, map[i].index, 0);
	}
	return &s->pdev->dev;
}

/*
 * The IMS core at unbind: handlers that the unbound driver's module still
 * holds (its remove() forgot them) are freed, every one, shared handlers
 * included, with one warning, and the domain is removed, not leaked.
 * The case lives here because such a handler must be in a module, and this
 * suite is built into one (the stand-in driver's owner).
 */
static void idxd_ims_unbind_frees_forgotten_handlers(struct kunit *test)
{
	static int owners[3];
	struct msi_map v[2], a, b;
	struct device *dev;

	dev = sim_module_vectors(test, v, 2);
	a = v[0];
	b = v[1];
	KUNIT_ASSERT_EQ(test, request_irq(a.virq, sim_handler, IRQF_SHARED, "idxd-ims-kunit",
					  &owners[0]), 0);
	KUNIT_ASSERT_EQ(test, request_irq(a.virq, sim_handler, IRQF_SHARED, "idxd-ims-kunit",
					  &owners[1]), 0);
	KUNIT_ASSERT_EQ(test, request_irq(b.virq, sim_handler, 0, "idxd-ims-kunit",
					  &owners[2]), 0);

	kunit_warning_suppress(test) {
		device_release_driver(dev);
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}
	/* Both vectors are freed with the domain */
	KUNIT_EXPECT_NULL(test, irq_get_msi_desc(a.virq));
	KUNIT_EXPECT_NULL(test, irq_get_msi_desc(b.virq));
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 0, NULL, NULL).index, -ENODEV);
}

/*
 * An explicit device_remove_ims_domain() by a live driver leaves every
 * handler to its owner, its own module's too (the owner may be freeing
 * it that moment): the domain is leaked with the vector, with one
 * warning, and the owner's later free_irq() is safe.
 */
static void idxd_ims_explicit_removal_leaves_handlers(struct kunit *test)
{
	static int owner;
	struct device *dev;
	struct msi_map a;

	dev = sim_module_vectors(test, &a, 1);
	KUNIT_ASSERT_EQ(test, request_irq(a.virq, sim_handler, 0, "idxd-ims-kunit", &owner), 0);

	kunit_warning_suppress(test) {
		device_remove_ims_domain(dev);
		/* The leak's warning; no handler was freed for its owner */
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}
	KUNIT_EXPECT_TRUE(test, irq_has_action(a.virq));
	KUNIT_EXPECT_EQ(test, device_ims_alloc_irq(dev, 0, NULL, NULL).index, -ENODEV);
	KUNIT_EXPECT_STREQ(test, (const char *)free_irq(a.virq, &owner), "idxd-ims-kunit");
}

/*
 * At unbind, the core frees a forgotten handler by its dev_id only if
 * free_irq() finds that handler: behind another handler with the same
 * dev_id (here no_action(), built-in code) it is left, and the domain is
 * leaked with its vector, instead of freeing the other handler.
 */
static void idxd_ims_unbind_dev_id_shadowed(struct kunit *test)
{
	static int owners[2];
	struct msi_map v[2], a, b;
	struct device *dev;

	dev = sim_module_vectors(test, v, 2);
	a = v[0];
	b = v[1];
	KUNIT_ASSERT_EQ(test, request_irq(a.virq, no_action, IRQF_SHARED, "idxd-ims-kunit-builtin",
					  &owners[0]), 0);
	KUNIT_ASSERT_EQ(test, request_irq(a.virq, sim_handler, IRQF_SHARED, "idxd-ims-kunit",
					  &owners[0]), 0);
	KUNIT_ASSERT_EQ(test, request_irq(b.virq, sim_handler, 0, "idxd-ims-kunit",
					  &owners[1]), 0);

	kunit_warning_suppress(test) {
		device_release_driver(dev);
		/* b's handler freed, a's two leaked with the domain */
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 2);
	}
	KUNIT_EXPECT_NULL(test, irq_get_msi_desc(b.virq));
	/* Both handlers of a are there, the built-in one first */
	KUNIT_EXPECT_STREQ(test, (const char *)free_irq(a.virq, &owners[0]),
			   "idxd-ims-kunit-builtin");
	KUNIT_EXPECT_STREQ(test, (const char *)free_irq(a.virq, &owners[0]), "idxd-ims-kunit");
}

/* The table is full after 512 vectors */
static void idxd_ims_table_full(struct kunit *test)
{
	struct idxd_wq *wq;
	struct idxd_ims_vec **vec = kunit_kcalloc(test, 512, sizeof(*vec), GFP_KERNEL);
	struct sim *s = test->priv;
	int i, n = 0;

	KUNIT_ASSERT_NOT_NULL(test, vec);
	wq = sim_ims_wq(test);
	for (i = 0; i < 512; i++) {
		vec[i] = idxd_ims_vec_alloc(wq, 1, NULL, NULL);
		n += !IS_ERR(vec[i]);
	}
	KUNIT_EXPECT_EQ(test, n, 512);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_in_use, 512);
	KUNIT_EXPECT_EQ(test, PTR_ERR(idxd_ims_vec_alloc(wq, 1, NULL, NULL)), -ENOSPC);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_in_use, 512);
	for (i = 0; i < 512; i++)
		if (!IS_ERR(vec[i]))
			idxd_ims_vec_free(vec[i]);
	KUNIT_EXPECT_EQ(test, s->idxd->ims_in_use, 0);
}

/*
 * A command queued behind the one in flight when the device halts is not
 * written to the halted device, where nothing would ever complete it: the
 * halt check is repeated under the command lock, after the wait.
 */
static void idxd_ims_halt_stops_queued_command(struct kunit *test)
{
	struct sim *s = test->priv;
	struct sim_call *first, *queued;
	unsigned int from, drains = 0, i;
	bool returned;

	sim_ims_wq(test);
	from = s->ncmds;
	WRITE_ONCE(s->hold, true);
	first = sim_call_start(test, sim_call_drain, NULL, -1);
	KUNIT_EXPECT_TRUE_MSG(test, sim_wait_holding(s), "DRAIN_PASID never arrived");
	queued = sim_call_start(test, sim_call_drain, NULL, -1);
	/* Let it reach the wait for the command in flight */
	msleep(50);
	s->halt_reset = IDXD_DEVICE_RESET_COLD;
	WRITE_ONCE(s->halt, true);
	returned = wait_for_completion_timeout(&first->done, 2 * HZ) &&
		   wait_for_completion_timeout(&queued->done, 2 * HZ);
	KUNIT_EXPECT_TRUE_MSG(test, returned, "a command was left waiting on the halted device");
	/* Let whatever still waits end: the device answers after all */
	WRITE_ONCE(s->hold, false);
	if (!returned) {
		wr32(s, IDXD_GENSTATS_OFFSET, 0);
		WRITE_ONCE(s->raise_cmd, true);
	}
	wait_for_completion(&first->done);
	wait_for_completion(&queued->done);
	for (i = from; i < s->ncmds && i < ARRAY_SIZE(s->cmds); i++)
		drains += s->cmds[i].cmd == IDXD_CMD_DRAIN_PASID;
	KUNIT_EXPECT_EQ_MSG(test, drains, 1, "DRAIN_PASID written to the halted device");
	flush_workqueue(s->idxd->wq);
	wr32(s, IDXD_GENSTATS_OFFSET, 0);
}

/*
 * The release of an interrupt handle polls for the answer without the
 * command lock, the command register claimed as idxd_cmd_exec() claims
 * it: a device that stops answering costs a sleeping poll, not 10 ms with
 * interrupts off.
 */
static void idxd_ims_release_polls_unlocked(struct kunit *test)
{
	struct sim *s = test->priv;
	struct idxd_device *idxd = s->idxd;
	struct sim_call *release;
	unsigned long flags;
	bool unlocked = false;
	ktime_t end;

	idxd->pdev = sim_pdev(test, s);
	WRITE_ONCE(s->stall, true);
	sim_sync(s);
	release = sim_call_start(test, sim_call_release, NULL, 1);
	end = ktime_add_ms(ktime_get(), 2000);
	while (!unlocked && !completion_done(&release->done) && ktime_before(ktime_get(), end)) {
		if (spin_trylock_irqsave(&idxd->cmd_lock, flags)) {
			unlocked = test_bit(IDXD_FLAG_CMD_RUNNING, &idxd->flags);
			spin_unlock_irqrestore(&idxd->cmd_lock, flags);
		}
		udelay(2);
	}
	wait_for_completion(&release->done);
	KUNIT_EXPECT_TRUE_MSG(test, unlocked, "the release polled holding the command lock");
	KUNIT_EXPECT_EQ(test, release->rc, -ETIMEDOUT);
	KUNIT_EXPECT_FALSE(test, test_bit(IDXD_FLAG_CMD_RUNNING, &idxd->flags));
	/* The device is done with the release */
	sim_sync(s);
	wr32(s, IDXD_CMD_OFFSET, 0);
	wr32(s, IDXD_CMDSTS_OFFSET, 0);
	WRITE_ONCE(s->stall, false);
}

static int sim_call_free(struct sim_call *c)
{
	idxd_ims_vec_free(c->vec);
	return 0;
}

static int sim_call_vec_handle(struct sim_call *c)
{
	return idxd_ims_vec_handle(c->vec);
}

static int sim_call_revoke(struct sim_call *c)
{
	idxd_ims_revoke_handles(c->s->idxd);
	return 0;
}

static int sim_call_teardown(struct sim_call *c)
{
	idxd_ims_teardown(c->s->idxd);
	return 0;
}

/* Whether a call returns within @ms */
static bool sim_call_returns(struct sim_call *c, unsigned int ms)
{
	return wait_for_completion_timeout(&c->done, msecs_to_jiffies(ms));
}

/*
 * A free drains its vector's PASID without the device's IMS lock: the
 * owners of other vectors are not held up by it, and its handle is
 * released once the drain is done.
 */
static void idxd_ims_free_drains_unlocked(struct kunit *test)
{
	struct idxd_wq *wq = sim_ims_wq(test);
	struct sim *s = test->priv;
	struct idxd_ims_vec *a, *b;
	struct sim_call *free, *other;
	unsigned int from;
	bool returned;
	int handle;

	a = idxd_ims_vec_alloc(wq, 3, NULL, NULL);
	b = idxd_ims_vec_alloc(wq, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	KUNIT_ASSERT_EQ(test, idxd_ims_vec_request_handle(a), 0);
	KUNIT_ASSERT_EQ(test, idxd_ims_vec_request_handle(b), 0);
	handle = idxd_ims_vec_handle(a);
	from = s->ncmds;
	WRITE_ONCE(s->hold, true);
	free = sim_call_start(test, sim_call_free, a, -1);
	KUNIT_EXPECT_TRUE_MSG(test, sim_wait_holding(s), "DRAIN_PASID never arrived");
	other = sim_call_start(test, sim_call_vec_handle, b, -1);
	returned = sim_call_returns(other, 1000);
	KUNIT_EXPECT_TRUE_MSG(test, returned, "the drain ran under the IMS lock");
	KUNIT_EXPECT_FALSE(test, completion_done(&free->done));
	WRITE_ONCE(s->hold, false);
	wait_for_completion(&free->done);
	wait_for_completion(&other->done);
	KUNIT_EXPECT_EQ(test, other->rc, b->map.index);
	KUNIT_EXPECT_EQ(test, sim_count(s, from, IDXD_CMD_DRAIN_PASID, 3), 1);
	KUNIT_EXPECT_EQ(test, sim_count(s, from, IDXD_CMD_RELEASE_INT_HANDLE,
					CMD_INT_HANDLE_IMS | handle), 1);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->idxd->ims_in_use), 1);
	idxd_ims_vec_free(b);
}

/*
 * Teardown waits for a free whose drain runs without the lock, rather
 * than removing the IMS domain under it.
 */
static void idxd_ims_teardown_waits_for_free(struct kunit *test)
{
	struct idxd_wq *wq = sim_ims_wq(test);
	struct sim *s = test->priv;
	struct sim_call *free, *teardown;
	struct idxd_ims_vec *a;
	bool early;

	a = sim_vec_handle(test, wq, 3, NULL, NULL);
	WRITE_ONCE(s->hold, true);
	free = sim_call_start(test, sim_call_free, a, -1);
	KUNIT_EXPECT_TRUE_MSG(test, sim_wait_holding(s), "DRAIN_PASID never arrived");
	teardown = sim_call_start(test, sim_call_teardown, NULL, -1);
	early = sim_call_returns(teardown, 200);
	KUNIT_EXPECT_FALSE_MSG(test, early, "teardown did not wait for the free");
	WRITE_ONCE(s->hold, false);
	wait_for_completion(&free->done);
	wait_for_completion(&teardown->done);
	KUNIT_EXPECT_FALSE(test, s->idxd->ims_enabled);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->idxd->ims_in_use), 0);
}

/*
 * A drain which gets no answer in time: the free returns, the handle is
 * not released (a descriptor may still carry it) and the slot is not
 * reused, until the device drops its handles (here a reset). The late
 * answer completes nothing.
 */
static void idxd_ims_drain_timeout_holds_slot(struct kunit *test)
{
	struct idxd_wq *wq = sim_ims_wq(test);
	struct sim *s = test->priv;
	struct sim_call *free, *request;
	struct idxd_ims_vec *a, *b, *c;
	unsigned int from;
	int slot, handle;
	bool returned;

	s->idxd->ims_drain_timeout = msecs_to_jiffies(100);
	a = sim_vec_handle(test, wq, 3, NULL, NULL);
	slot = a->map.index;
	handle = idxd_ims_vec_handle(a);
	from = s->ncmds;
	WRITE_ONCE(s->hold, true);
	free = sim_call_start(test, sim_call_free, a, -1);
	returned = sim_call_returns(free, 3000);
	KUNIT_EXPECT_TRUE_MSG(test, returned, "the free waited for the drain without a bound");
	/*
	 * The drain keeps the command register: a command without a bound
	 * waits for it rather than being written over it, and gets its own
	 * answer once the late one has come.
	 */
	s->handle_base = 0x300;
	request = sim_call_start(test, sim_call_request, NULL, -1);
	KUNIT_EXPECT_FALSE(test, sim_call_returns(request, 200));
	WRITE_ONCE(s->hold, false);
	wait_for_completion(&free->done);
	if (!sim_call_returns(request, 3000)) {
		KUNIT_FAIL(test, "the late answer did not free the command register");
		/* Let it end: a halt frees the register */
		s->halt_reset = IDXD_DEVICE_RESET_COLD;
		WRITE_ONCE(s->halt, true);
		wait_for_completion(&request->done);
		flush_workqueue(s->idxd->wq);
		wr32(s, IDXD_GENSTATS_OFFSET, 0);
	}
	KUNIT_EXPECT_EQ_MSG(test, s->overwrites, 0, "a command was written over the drain");
	KUNIT_EXPECT_EQ(test, request->rc, 0);
	KUNIT_EXPECT_EQ(test, sim_count(s, from, IDXD_CMD_REQUEST_INT_HANDLE,
					CMD_INT_HANDLE_IMS | 5), 1);
	KUNIT_EXPECT_EQ(test, sim_count(s, from, IDXD_CMD_RELEASE_INT_HANDLE,
					CMD_INT_HANDLE_IMS | handle), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->idxd->ims_in_use), 1);
	b = idxd_ims_vec_alloc(wq, 3, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	KUNIT_EXPECT_NE(test, b->map.index, slot);

	/* The device drops every handle: the held slot is free again */
	idxd_ims_reset_done(s->idxd);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->idxd->ims_in_use), 1);
	c = idxd_ims_vec_alloc(wq, 3, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	KUNIT_EXPECT_EQ(test, c->map.index, slot);
	idxd_ims_vec_free(c);
	idxd_ims_vec_free(b);
}

/*
 * A revocation drains without the device's IMS lock: while it waits for
 * the device, the other owners' calls go through.
 */
static void idxd_ims_revocation_drains_unlocked(struct kunit *test)
{
	struct idxd_wq *wq = sim_ims_wq(test);
	struct sim *s = test->priv;
	struct sim_call *revoke, *other;
	struct idxd_ims_vec *a;
	bool returned;

	atomic_set(&handles_changed, 0);
	s->handle_base = 0x100;
	a = sim_vec_handle(test, wq, 3, idxd_ims_changed, &handles_changed);
	s->handle_base = 0x200;
	s->hold_only = IDXD_CMD_DRAIN_PASID;
	WRITE_ONCE(s->hold, true);
	revoke = sim_call_start(test, sim_call_revoke, NULL, -1);
	KUNIT_EXPECT_TRUE_MSG(test, sim_wait_holding(s), "DRAIN_PASID never arrived");
	other = sim_call_start(test, sim_call_vec_handle, a, -1);
	returned = sim_call_returns(other, 1000);
	KUNIT_EXPECT_TRUE_MSG(test, returned, "the revocation drained under the IMS lock");
	/* Renewed before the drain; the owner hears of it after */
	if (returned)
		KUNIT_EXPECT_EQ(test, other->rc, 0x200 + a->map.index);
	KUNIT_EXPECT_EQ(test, atomic_read(&handles_changed), 0);
	WRITE_ONCE(s->hold, false);
	wait_for_completion(&revoke->done);
	wait_for_completion(&other->done);
	KUNIT_EXPECT_EQ(test, atomic_read(&handles_changed), 1);
	s->hold_only = 0;
	idxd_ims_vec_free(a);
}

/*
 * A revocation whose drain fails tells the owner nothing yet (descriptors
 * with the revoked handle may still run); a retry drains again and then
 * tells it.
 */
static void idxd_ims_revocation_retries_failed_drain(struct kunit *test)
{
	struct idxd_wq *wq = sim_ims_wq(test);
	struct sim *s = test->priv;
	struct sim_call *revoke;
	struct idxd_ims_vec *a;
	int i;

	atomic_set(&handles_changed, 0);
	s->idxd->ims_drain_timeout = msecs_to_jiffies(100);
	s->handle_base = 0x100;
	a = sim_vec_handle(test, wq, 3, idxd_ims_changed, &handles_changed);
	s->handle_base = 0x200;
	s->hold_only = IDXD_CMD_DRAIN_PASID;
	WRITE_ONCE(s->hold, true);
	revoke = sim_call_start(test, sim_call_revoke, NULL, -1);
	KUNIT_EXPECT_TRUE_MSG(test, sim_call_returns(revoke, 3000),
			      "the revocation waited for its drain without a bound");
	KUNIT_EXPECT_EQ(test, idxd_ims_vec_handle(a), 0x200 + a->map.index);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&handles_changed), 0,
			    "REVOKED before the old handle's descriptors were drained");
	/* The device answers the drain late */
	WRITE_ONCE(s->hold, false);
	wait_for_completion(&revoke->done);
	for (i = 0; i < 100 && !atomic_read(&handles_changed); i++)
		msleep(50);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&handles_changed), 1,
			    "no retry of the drain told the owner");
	s->hold_only = 0;
	idxd_ims_vec_free(a);
}

/*
 * A drain which timed out keeps the command register (its command may
 * still be active) until the device answers it, or halts: a halt frees the
 * register, and the command waiting for it fails at once.
 */
static void idxd_ims_halt_frees_timed_out_command(struct kunit *test)
{
	struct idxd_wq *wq = sim_ims_wq(test);
	struct sim *s = test->priv;
	struct idxd_device *idxd = s->idxd;
	struct sim_call *free, *request;
	struct idxd_ims_vec *a;
	unsigned long flags;
	bool returned;

	idxd->ims_drain_timeout = msecs_to_jiffies(100);
	a = sim_vec_handle(test, wq, 3, NULL, NULL);
	s->hold_only = IDXD_CMD_DRAIN_PASID;
	WRITE_ONCE(s->hold, true);
	free = sim_call_start(test, sim_call_free, a, -1);
	KUNIT_EXPECT_TRUE(test, sim_call_returns(free, 3000));
	KUNIT_EXPECT_TRUE(test, test_bit(IDXD_FLAG_CMD_ORPHANED, &idxd->flags));
	request = sim_call_start(test, sim_call_request, NULL, -1);
	KUNIT_EXPECT_FALSE(test, sim_call_returns(request, 200));
	s->halt_reset = IDXD_DEVICE_RESET_COLD;
	WRITE_ONCE(s->halt, true);
	returned = sim_call_returns(request, 2000);
	KUNIT_EXPECT_TRUE_MSG(test, returned,
			      "the halt left the timed out drain holding the register");
	if (!returned) {
		spin_lock_irqsave(&idxd->cmd_lock, flags);
		idxd_cmd_orphan_done(idxd);
		spin_unlock_irqrestore(&idxd->cmd_lock, flags);
	}
	wait_for_completion(&request->done);
	wait_for_completion(&free->done);
	KUNIT_EXPECT_EQ(test, request->rc, -ENXIO);
	WRITE_ONCE(s->hold, false);
	s->hold_only = 0;
	flush_workqueue(idxd->wq);
	wr32(s, IDXD_GENSTATS_OFFSET, 0);
}

/*
 * A revocation while a free drains: the revocation does not wait for the
 * drain, and the free does not release the revoked handle, which the
 * device no longer knows.
 */
static void idxd_ims_revocation_during_free(struct kunit *test)
{
	struct idxd_wq *wq = sim_ims_wq(test);
	struct sim *s = test->priv;
	struct sim_call *free, *revoke;
	struct idxd_ims_vec *a;
	unsigned int from;
	bool returned;
	int handle;

	s->handle_base = 0x100;
	a = sim_vec_handle(test, wq, 3, NULL, NULL);
	handle = idxd_ims_vec_handle(a);
	from = s->ncmds;
	WRITE_ONCE(s->hold, true);
	free = sim_call_start(test, sim_call_free, a, -1);
	KUNIT_EXPECT_TRUE_MSG(test, sim_wait_holding(s), "DRAIN_PASID never arrived");
	revoke = sim_call_start(test, sim_call_revoke, NULL, -1);
	returned = sim_call_returns(revoke, 1000);
	KUNIT_EXPECT_TRUE_MSG(test, returned, "the revocation waited for the free's drain");
	WRITE_ONCE(s->hold, false);
	wait_for_completion(&free->done);
	wait_for_completion(&revoke->done);
	KUNIT_EXPECT_EQ(test, sim_count(s, from, IDXD_CMD_RELEASE_INT_HANDLE,
					CMD_INT_HANDLE_IMS | handle), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->idxd->ims_in_use), 0);
}

static struct kunit_case idxd_ims_cases[] = {
	KUNIT_CASE(idxd_ims_discovery),
	KUNIT_CASE(idxd_ims_handle_commands),
	KUNIT_CASE(idxd_ims_slot_bytes),
	KUNIT_CASE(idxd_ims_pasid_range),
	KUNIT_CASE(idxd_ims_revocation),
	KUNIT_CASE(idxd_ims_teardown_in_use),
	KUNIT_CASE(idxd_ims_teardown_owner_frees_another),
	KUNIT_CASE(idxd_ims_no_pasid),
	KUNIT_CASE(idxd_ims_drain_without_handle_cmds),
	KUNIT_CASE(idxd_ims_revocation_drains_once),
	KUNIT_CASE(idxd_ims_alloc_races_teardown),
	KUNIT_CASE(idxd_ims_release_failure),
	KUNIT_CASE(idxd_ims_release_dead_device),
	KUNIT_CASE(idxd_ims_release_waits_for_command),
	KUNIT_CASE(idxd_ims_no_command_over_timed_out_release),
	KUNIT_CASE(idxd_ims_halt_completes_command),
	KUNIT_CASE(idxd_ims_halt_stops_queued_command),
	KUNIT_CASE(idxd_ims_release_polls_unlocked),
	KUNIT_CASE(idxd_ims_free_drains_unlocked),
	KUNIT_CASE(idxd_ims_teardown_waits_for_free),
	KUNIT_CASE(idxd_ims_drain_timeout_holds_slot),
	KUNIT_CASE(idxd_ims_revocation_during_free),
	KUNIT_CASE(idxd_ims_revocation_drains_unlocked),
	KUNIT_CASE(idxd_ims_revocation_retries_failed_drain),
	KUNIT_CASE(idxd_ims_halt_frees_timed_out_command),
	KUNIT_CASE(idxd_ims_software_reset_renews),
	KUNIT_CASE(idxd_ims_table_full),
	KUNIT_CASE(idxd_ims_unbind_frees_forgotten_handlers),
	KUNIT_CASE(idxd_ims_explicit_removal_leaves_handlers),
	KUNIT_CASE(idxd_ims_unbind_dev_id_shadowed),
	{}
};

static struct kunit_suite idxd_ims_suite = {
	.name = "idxd_ims",
	.init = sim_init,
	.exit = sim_exit,
	.test_cases = idxd_ims_cases,
};

kunit_test_suite(idxd_ims_suite);
