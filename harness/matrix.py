#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Build matrix: configurations the test kernel does not cover.

  production  x86 base, no KUnit or debugging, idxd and the sample as
              modules; bzImage and modules are built (modpost checks the
              exports the modules use)
  no-ims      nothing selects the IMS core: the stubs and the untouched
              paths of the patched files
  no-pci-msi  PCI without MSI: the pci.h stubs
  arm64       cross compiled with Debian's gcc-aarch64-linux-gnu: the core,
              the device and PCI interfaces and the sample are not x86 only
  clang       the test configuration built with Debian 12's clang-19
              (7.3 needs LLVM >= 17.0.1)

Every configuration is generated with allnoconfig and a fragment, each
fragment line is verified after olddefconfig, and every compiler, modpost
or objtool warning fails.  Each configuration has its own O= directory
under build/matrix/, so the builds are incremental and ccache is shared.
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treecfg  # noqa: E402

CONFIGS = os.path.join(treecfg.TOP, "harness", "configs")
# Directories whose objects the partial builds compile: everything the
# series adds or patches.
DIRS = ["kernel/irq/", "drivers/base/", "drivers/pci/", "drivers/iommu/",
        "arch/x86/kernel/apic/", "drivers/dma/idxd/", "drivers/vfio/",
        "samples/"]

MATRIX = {
    "production": dict(arch="x86_64", frag="production.config", base=True,
                       targets=["bzImage", "modules"]),
    "no-ims": dict(arch="x86_64", frag="no-ims.config", base=True,
                   targets=["kernel/irq/", "drivers/base/", "drivers/pci/",
                            "drivers/iommu/", "arch/x86/kernel/apic/"]),
    "no-pci-msi": dict(arch="x86_64", frag="no-pci-msi.config", base=True,
                       targets=["kernel/irq/", "drivers/base/",
                                "drivers/pci/"]),
    "arm64": dict(arch="arm64", frag="arm64.config", base=False,
                  cross="aarch64-linux-gnu-",
                  targets=["kernel/irq/", "drivers/base/", "drivers/pci/msi/",
                           "samples/"]),
    "clang": dict(arch="x86_64", frag=None, base=False, cc="clang-19",
                  targets=DIRS),
}


def x86_base():
    """The base system and platform sections of the test fragment."""
    out = []
    for line in open(os.path.join(CONFIGS, "ims.config")):
        if line.startswith("# --- DMA engines"):
            break
        out.append(line)
    return "".join(out)


def fragment(name):
    m = MATRIX[name]
    if m["frag"] is None:
        return open(os.path.join(CONFIGS, "ims.config")).read()
    text = open(os.path.join(CONFIGS, "matrix", m["frag"])).read()
    if not m["base"]:
        return text
    return over_x86_base(text)


def over_x86_base(text):
    """A fragment laid over x86_base(): its lines override base lines of the
    same symbol."""
    mine = set(re.findall(r"^(CONFIG_\w+)=", text, re.M))
    base = [ln for ln in x86_base().splitlines(True)
            if not re.match(r"^(CONFIG_\w+)=", ln) or
            re.match(r"^(CONFIG_\w+)=", ln).group(1) not in mine]
    return "".join(base) + "\n" + text


def config_problems(frag, config):
    """Fragment lines that Kconfig did not keep (pure: self-tested)."""
    have = {}
    for line in config.splitlines():
        m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
        if m:
            have[m.group(1)] = m.group(2)
    want = {}
    for line in frag.splitlines():
        m = re.match(r"^(CONFIG_\w+)=(.*)$", line.strip())
        if m:
            want[m.group(1)] = m.group(2)
    bad = []
    for sym, val in want.items():
        if val == "n":
            if sym in have:
                bad.append(f"{sym} asked off but is {have[sym]}")
        elif have.get(sym) != val:
            bad.append(f"{sym}={val} asked, got {have.get(sym, 'not set')}")
    return bad


def warnings_of(output):
    """Compiler, modpost and objtool warnings and errors (pure)."""
    return [ln.strip() for ln in output.splitlines()
            if re.search(r"\b(warning|error|WARNING|ERROR):", ln) and
            "Error 2" not in ln]


def make_cmd(name, obj):
    m = MATRIX[name]
    cmd = ["make", "-C", treecfg.SRC, f"O={obj}", f"ARCH={m['arch']}",
           f"-j{os.cpu_count() or 2}"]
    if m.get("cross"):
        cmd.append(f"CROSS_COMPILE={m['cross']}")
        cmd.append(f"CC=ccache {m['cross']}gcc")
    elif m.get("cc"):
        cmd.append(f"CC=ccache {m['cc']}")
    else:
        cmd.append("CC=ccache gcc")
    return cmd


def build(res, name):
    obj = os.path.join(treecfg.BUILD, "matrix", name)
    os.makedirs(obj, exist_ok=True)
    frag_path = os.path.join(obj, "fragment.config")
    frag = fragment(name)
    with open(frag_path, "w") as f:
        f.write(frag)
    cmd = make_cmd(name, obj)
    env = dict(os.environ, KCONFIG_ALLCONFIG=frag_path)
    r = subprocess.run(cmd + ["allnoconfig"], capture_output=True, text=True,
                       env=env)
    if r.returncode:
        res.add("FAIL", f"matrix/{name}/config",
                (r.stdout + r.stderr).strip()[-300:])
        return
    bad = config_problems(frag, open(os.path.join(obj, ".config")).read())
    # Kconfig's own complaints (unmet dependencies, ...)
    bad += [w for w in warnings_of(r.stdout + r.stderr)]
    res.add("FAIL" if bad else "PASS", f"matrix/{name}/config",
            "; ".join(bad)[:400])
    if bad:
        return
    r = subprocess.run(cmd + MATRIX[name]["targets"], capture_output=True,
                       text=True)
    out = (r.stdout + r.stderr).replace(treecfg.SRC + "/", "")
    with open(os.path.join(obj, "build.log"), "w") as f:
        f.write(out)
    # Kept across incremental builds, as for the test kernel: a step that
    # runs again replaces its warnings, one that does not keeps them
    import buildlog
    state = buildlog.record(os.path.join(obj, "build.log"),
                            os.path.join(obj, ".ims-build-warnings.json"))
    warns = [w for ws in state.values() for w in ws]
    if r.returncode or warns:
        res.add("FAIL", f"matrix/{name}/build",
                "; ".join(warns)[:400] or out.strip()[-300:])
    else:
        res.add("PASS", f"matrix/{name}/build")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", default=",".join(MATRIX))
    a = ap.parse_args()
    import check
    res = check.Results()
    for name in a.configs.split(","):
        if name not in MATRIX:
            sys.exit(f"matrix: unknown configuration {name}")
        build(res, name)
    print(f"{res.count('PASS')} passed, {res.count('FAIL')} failed")
    sys.exit(1 if res.failed() else 0)


if __name__ == "__main__":
    main()
