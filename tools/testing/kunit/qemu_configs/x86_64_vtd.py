# SPDX-License-Identifier: GPL-2.0
#
# An x86_64 machine with Intel VT-d interrupt remapping and a QEMU edu
# device (1234:11e8), which the IMS KUnit tests (kernel/irq/ims_kunit.c)
# need to create an IMS domain. Pass this file as --qemu_config= with
# --kunitconfig=kernel/irq.

from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   # The IMS tests check the parents of the machine they
			   # are told they run on.
			   kernel_command_line='console=ttyS0 ims_kunit.variant=vtd',
			   # VT-d needs q35; with KVM, interrupt remapping needs
			   # the split irqchip. Two CPUs for the affinity tests.
			   extra_qemu_params=['-machine', 'q35,kernel-irqchip=split',
					      '-smp', '2',
					      '-device', 'intel-iommu,intremap=on',
					      '-device', 'edu,dma_mask=0xffffffffffffffff'])
