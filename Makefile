# SPDX-License-Identifier: GPL-2.0
#
# IMS for Linux: build the pinned 7.3 kernel with our files and patches,
# boot it in QEMU and run the tests.  See README.md.
#
#   make check          all tests (self-tests, lint, every machine variant)
#   make run            build and boot the demo (vtd variant)
#   make qemu           build the project's QEMU only (harness/qemu.sh)
#   make sparse         build the project's sparse only (harness/sparse.sh)
#   make lint           checkpatch, kernel-doc, W=1 + sparse only
#   make bench          IMS against dynamic MSI-X (harness/bench.py)
#   make kunit-py       the kernel/irq IMS suites with kunit.py (own kernel)
#   make refresh-patch  PATCH=NNNN-name.patch FILES="upstream/file ..."
#
# Knobs: VARIANTS=vtd,dsa,none  EDU=2  TESTS=platform  KUNIT_FILTER='ims_*'
#        GUEST_TIMEOUT=900  JOBS=2

TOP     := $(CURDIR)
BUILD   := $(TOP)/build
SRC     := $(BUILD)/src
OBJ     := $(BUILD)/obj
JOBS    ?= $(shell nproc)
VARIANTS ?= vtd,dsa,vtd-caching,amdvi,none
EDU     ?= 2
TESTS   ?=
KUNIT_FILTER ?=
KUNIT_MODULES ?=
GUEST_TIMEOUT ?= 900

export CCACHE_BASEDIR := $(TOP)
export CCACHE_NOHASHDIR := 1
export CCACHE_SLOPPINESS := include_file_mtime,include_file_ctime,time_macros

KMAKE := $(MAKE) -C $(SRC) O=$(OBJ) ARCH=x86_64 CC="ccache gcc"
GUEST_ARGS := --variants=$(VARIANTS) --edu=$(EDU) --tests="$(TESTS)" \
	--kunit-filter="$(KUNIT_FILTER)" --kunit-modules="$(KUNIT_MODULES)" \
	--timeout=$(GUEST_TIMEOUT)

.PHONY: all deps qemu sparse prepare config kernel initramfs check lint selftest qtest \
	guest run bench kunit-py refresh-patch series series-check clean distclean

all: kernel initramfs

deps:
	@bash harness/deps.sh

# Our QEMU: Debian 12's source package (pinned) + patches/qemu/series.
qemu:
	@bash harness/qemu.sh

# Our sparse: Debian 12's source package (pinned) + patches/sparse/series;
# lint passes it to the kernel as CHECK=.
sparse:
	@bash harness/sparse.sh

prepare: deps
	@python3 harness/prepare_tree.py

config: prepare
	@bash harness/kconfig.sh

kernel: config
	@echo "kernel: building bzImage and modules (logs in build/logs/kbuild.log)"
	@mkdir -p $(BUILD)/logs
	@$(KMAKE) -j$(JOBS) bzImage modules > $(BUILD)/logs/kbuild.log 2>&1 || \
		{ grep -E 'error|Error' $(BUILD)/logs/kbuild.log | head -40; \
		  echo "kernel: build failed, see build/logs/kbuild.log"; exit 1; }
	@python3 harness/buildlog.py $(BUILD)/logs/kbuild.log $(OBJ)/.ims-kbuild-warnings.json

initramfs: kernel qemu
	@bash harness/mkinitramfs.sh

check: initramfs qemu sparse
	@JOBS=$(JOBS) python3 harness/check.py $(GUEST_ARGS)

selftest:
	@python3 harness/check.py --stage selftest

lint: kernel sparse
	@python3 harness/check.py --stage lint

guest: initramfs qemu
	@python3 harness/check.py --stage guest $(GUEST_ARGS)

qtest: qemu
	@python3 harness/check.py --stage qtest

run: initramfs qemu
	@python3 harness/demo.py --edu=$(EDU)

# The benchmark builds its own kernel (build/bench/obj) and boots the bench
# machine; make check runs a smoke run of it (the bench stage).
bench: prepare qemu
	@JOBS=$(JOBS) python3 harness/bench.py

# The IMS KUnit suites the upstream way: tools/testing/kunit/kunit.py with
# kernel/irq/.kunitconfig on a VT-d machine (harness/kunit_py.sh).  It builds
# its own kernel in build/kunit, so it is not part of make check.
kunit-py: prepare
	@JOBS=$(JOBS) bash harness/kunit_py.sh

series: prepare
	@python3 harness/series.py

series-check: series
	@python3 harness/series.py --check

refresh-patch: deps
	@test -n "$(PATCH)" || { echo 'usage: make refresh-patch PATCH=NNNN-name.patch [FILES="..."] [SUBJECT="..." BODY="..."]'; exit 2; }
	@python3 harness/refresh_patch.py $(PATCH) $(FILES) \
		$(if $(SUBJECT),--subject "$(SUBJECT)") $(if $(BODY),--body "$(BODY)")

clean:
	rm -rf $(OBJ) $(BUILD)/initramfs $(BUILD)/initramfs.cpio.gz $(BUILD)/guest-bin \
		$(BUILD)/kunit

distclean:
	rm -rf $(BUILD)
