#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The upstream way of running the IMS KUnit suites: kunit.py.

kernel/irq/.kunitconfig and tools/testing/kunit/qemu_configs/x86_64_vtd.py
(both new kernel files of patch 0005) let the kernel's own
tools/testing/kunit/kunit.py build and run the suites of our kernel/irq/
KUnit files on a VT-d machine with an edu device (make kunit-py runs it).

coverage_problems() checks, without building anything, that they stay in
step with the harness:
  * every KUnit file of ours in kernel/irq/ is enabled by the .kunitconfig
    (its Makefile symbol, from the patches, is =y there), except the
    opt-in ones listed in OPT_IN;
  * every suite of those files is one the vtd manifest expects, and every
    suite the vtd manifest expects from our kernel/irq/ files is enabled;
  * the QEMU config builds the harness's vtd machine: its intel-iommu
    device, an edu device and ims_kunit.variant=vtd.

usage: kunitcfg.py   (prints the problems; exit status 1 if there are any)
"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treecfg  # noqa: E402

KUNITCONFIG = "kernel/irq/.kunitconfig"
QEMU_CONFIG = "tools/testing/kunit/qemu_configs/x86_64_vtd.py"
# Our kernel/irq KUnit files that the .kunitconfig leaves out, and why.
OPT_IN = {
    "kernel/irq/ims_platform_kunit.c":
        "checks the claims of the harness's machine (edu count, debugging "
        "options); strictly opt-in",
}


def read(top, rel):
    with open(os.path.join(top, rel), errors="replace") as f:
        return f.read()


def kunit_files(top):
    """Our KUnit files in kernel/irq/ (repository files, not the tree)."""
    return sorted(os.path.relpath(p, top) for p in
                  glob.glob(os.path.join(top, "kernel/irq/*_kunit.c")))


def suites_of(text):
    """The names of the kunit_suites a C file defines."""
    return re.findall(r"struct kunit_suite\s+\w+\s*=\s*\{[^}]*?"
                      r"\.name\s*=\s*\"([^\"]+)\"", text, re.S)


def makefile_symbols(top):
    """{object: CONFIG symbol} from the kernel/irq/Makefile lines the
    patches add."""
    syms = {}
    for p in sorted(glob.glob(os.path.join(top, "patches", "*.patch"))):
        cur = None
        for line in read(top, p).splitlines():
            if line.startswith("+++ "):
                cur = line[4:].split("/", 1)[-1]
            elif cur == "kernel/irq/Makefile":
                m = re.match(r"\+obj-\$\(CONFIG_(\w+)\)\s*\+=\s*(.*)$", line)
                if m:
                    for obj in m.group(2).split():
                        syms.setdefault(obj, m.group(1))
    return syms


def kconfig_values(text):
    vals = {}
    for line in text.splitlines():
        m = re.match(r"CONFIG_(\w+)=(\S+)$", line.strip())
        if m:
            vals[m.group(1)] = m.group(2)
    return vals


def manifest_suites(text):
    """Suite names of the kunit/ results of a manifest's text."""
    return {m.group(1) for m in
            re.finditer(r"^(?:PASS|SKIP) kunit/([^/\s]+)/", text, re.M)}


def coverage_problems(top=treecfg.TOP, kunitconfig=None, qemu_config=None,
                      manifest=None, vtd_devices=None):
    """The problems found; the optional texts replace the files (the
    self-tests pass edited copies)."""
    if kunitconfig is None:
        kunitconfig = read(top, KUNITCONFIG)
    if qemu_config is None:
        qemu_config = read(top, QEMU_CONFIG)
    if manifest is None:
        manifest = read(top, "harness/expected/vtd.txt")
    if vtd_devices is None:
        import check
        vtd_devices = check.VARIANTS["vtd"]
    problems = []
    enabled = kconfig_values(kunitconfig)
    expected = manifest_suites(manifest)
    syms = makefile_symbols(top)
    ours = set()
    for rel in kunit_files(top):
        suites = suites_of(read(top, rel))
        if not suites:
            problems.append(f"{rel}: defines no kunit_suite")
        obj = os.path.basename(rel)[:-2] + ".o"
        sym = syms.get(obj)
        if rel in OPT_IN:
            if sym and enabled.get(sym) == "y":
                problems.append(f"{KUNITCONFIG}: enables the opt-in "
                                f"CONFIG_{sym} ({rel})")
            continue
        ours |= set(suites)
        if not sym:
            problems.append(f"{rel}: no kernel/irq/Makefile line of the "
                            f"patches builds {obj}")
        elif enabled.get(sym) != "y":
            problems.append(f"{KUNITCONFIG}: CONFIG_{sym}=y is missing "
                            f"({rel}: {', '.join(suites)})")
        for s in suites:
            if s not in expected:
                problems.append(f"suite {s} ({rel}) is not in the vtd "
                                "manifest")
    opt_in_suites = set()
    for rel in OPT_IN:
        if os.path.exists(os.path.join(top, rel)):
            opt_in_suites |= set(suites_of(read(top, rel)))
    for s in sorted(expected):
        # a suite the manifest expects, defined in one of our kernel/irq
        # files, that the .kunitconfig does not run
        if s in opt_in_suites or s in ours:
            continue
        for rel in kunit_files(top):
            if s in suites_of(read(top, rel)):
                problems.append(f"suite {s} ({rel}) is expected on vtd but "
                                f"not enabled by {KUNITCONFIG}")
    if enabled.get("KUNIT") != "y":
        problems.append(f"{KUNITCONFIG}: CONFIG_KUNIT=y is missing")
    # the words of the config's string literals, comments left out
    code = "\n".join(line.split("#", 1)[0]
                     for line in qemu_config.splitlines())
    words = set(" ".join(re.findall(r"'([^']*)'", code)).split())
    words |= {w.split(",", 1)[0] for w in words}
    iommu = [d for d in vtd_devices if d.startswith("intel-iommu")]
    for want in iommu + ["edu", "ims_kunit.variant=vtd"]:
        if want not in words:
            problems.append(f"{QEMU_CONFIG}: no {want!r} (the vtd machine "
                            "of harness/check.py)")
    return problems


def main():
    problems = coverage_problems()
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
