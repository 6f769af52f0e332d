#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make run: boot the vtd machine with the demo and show what it prints."""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edu", type=int, default=2)
    ap.add_argument("--variant", default="vtd")
    ap.add_argument("--timeout", type=int, default=600)
    a = ap.parse_args()
    logdir = os.path.join(check.LOGS, "demo")
    os.makedirs(logdir, exist_ok=True)
    opts = argparse.Namespace(test_timeout=300, tests="", kunit_filter="",
                              kunit_modules="", mode="demo")
    cmd = check.qemu_command(a.variant, a.edu,
                             check.kernel_append(a.variant, a.edu, opts) +
                             " kunit.enable=0")
    cmd += ["-serial", f"file:{logdir}/console.log", "-serial", "stdio"]
    print(f"run: booting the '{a.variant}' machine with {a.edu} edu devices "
          f"under TCG (kernel log: build/logs/demo/console.log)", flush=True)
    try:
        rc = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                            timeout=a.timeout).returncode
    except subprocess.TimeoutExpired:
        print(f"run: the guest did not finish within {a.timeout}s")
        return 1
    console = check.read(os.path.join(logdir, "console.log"))
    reports = check.scan_console("demo", console)
    for r in reports:
        print(f"run: kernel report: {r[2]}")
    print(f"run: guest exited ({rc}); {len(reports)} kernel reports")
    return 1 if rc or reports else 0


if __name__ == "__main__":
    sys.exit(main())
