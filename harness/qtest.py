#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""QEMU qtests of our QEMU patches, run against our QEMU build.

Each qtest is built with ninja in build/qemu/build and run with glib's TAP
output; every test case becomes one result "qtest/PROGRAM/CASE".  The cases
each program must report are listed here, so a case that disappears (or a
program that crashes before reaching it) fails instead of being forgotten.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treecfg  # noqa: E402

QBUILD = os.path.join(treecfg.BUILD, "qemu", "build")
QEMU = os.path.join(QBUILD, "qemu-system-x86_64")
FIRMWARE = ["/usr/share/seabios", "/usr/lib/ipxe/qemu", "/usr/share/qemu"]

# program -> the test cases (glib test paths below /x86_64/PROGRAM/)
QTESTS = {
    "intel-dsa": ["registers", "command-errors", "command-interrupt",
                  "operations", "batch", "batch-fence", "batch-budget",
                  "interrupts", "flr", "ims-no-pasid", "revoke-control"],
}

TAP = re.compile(r"^(ok|not ok) \d+ (\S+)(?:\s+#\s*(SKIP)\b\s*(.*))?")


def results(program, cases, output, rc):
    """The results of one qtest program from its TAP output."""
    seen = {}
    for line in output.splitlines():
        m = TAP.match(line)
        if not m:
            continue
        case = m.group(2).rsplit("/", 1)[-1]
        seen[case] = m
    out = []
    for case in cases:
        name = f"qtest/{program}/{case}"
        m = seen.pop(case, None)
        if m is None:
            out.append(("FAIL", name, f"not reported (exit {rc})"))
        elif m.group(3) == "SKIP":
            out.append(("FAIL", name, f"skipped: {m.group(4)}"))
        elif m.group(1) == "ok":
            out.append(("PASS", name, ""))
        else:
            out.append(("FAIL", name, "failed, see build/logs/qtest-"
                        f"{program}.log"))
    for case in seen:
        out.append(("FAIL", f"qtest/{program}/{case}",
                    "not listed in harness/qtest.py"))
    if rc and all(s == "PASS" for s, _, _ in out):
        out.append(("FAIL", f"qtest/{program}", f"exit status {rc}"))
    return out


def run(res):
    logs = os.path.join(treecfg.BUILD, "logs")
    os.makedirs(logs, exist_ok=True)
    # libqtest takes the target from the binary's name (after its last
    # "-"), so the firmware options go into a wrapper of the same name.
    wrapdir = os.path.join(treecfg.BUILD, "qemu", "qtest")
    os.makedirs(wrapdir, exist_ok=True)
    wrapper = os.path.join(wrapdir, "qemu-system-x86_64")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec " + QEMU + "".join(
            f" -L {d}" for d in FIRMWARE) + ' "$@"\n')
    os.chmod(wrapper, 0o755)
    env = dict(os.environ)
    env["QTEST_QEMU_BINARY"] = wrapper
    for program, cases in QTESTS.items():
        target = f"tests/qtest/{program}-test"
        log = os.path.join(logs, f"qtest-{program}.log")
        b = subprocess.run(["ninja", "-C", QBUILD, target],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if b.returncode:
            with open(log, "w") as f:
                f.write(b.stdout)
            res.add("FAIL", f"qtest/{program}",
                    f"build failed, see {os.path.relpath(log, treecfg.TOP)}")
            continue
        try:
            p = subprocess.run([os.path.join(QBUILD, target), "--tap", "-k"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env,
                               timeout=300, stdin=subprocess.DEVNULL)
            out, rc = p.stdout, p.returncode
        except subprocess.TimeoutExpired as e:
            out = e.stdout or ""
            if isinstance(out, bytes):
                out = out.decode(errors="replace")
            rc = "timeout"
        with open(log, "w") as f:
            f.write(out)
        for r in results(program, cases, out, rc):
            res.add(*r)
