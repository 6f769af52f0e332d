#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Warnings of the kernel build, kept across incremental builds.

An incremental build only shows the warnings of what it recompiled, so the
warnings are recorded per build step: a step that runs again (an object
recompiled, modpost, objtool on vmlinux) replaces its earlier warnings.
make kernel calls this after every build (build/logs/kbuild.log); the
check reports every recorded warning as a failure.
"""
import json
import os
import re
import sys

# "  CC      kernel/irq/ims.o", "  CC [M]  samples/ims/ims-edu.o",
# "  LD      vmlinux.o", "  MODPOST Module.symvers"
STEP = re.compile(r"^\s{2}([A-Z0-9_]+)(?: \[M\])?\s+(\S+)\s*$")
WARN = re.compile(r"\b(warning|error|WARNING|ERROR):")


def key_of_step(tool, target):
    if tool == "MODPOST":
        return "modpost"
    if target.endswith(".o"):
        return target[:-2]
    return f"{tool} {target}"


# gcc names the file it compiles before warnings from headers it includes:
# "../src/kernel/irq/ims.c: In function 'f':", "In file included from
# ../src/kernel/irq/ims.c:12:"
ORIGIN = re.compile(r"^(?:In file included from )?(?:\.\./src/)?([\w./+-]+)\.[cS]"
                    r"(?::\d+[:,]?|: In function)")


def key_of_warning(line, current, origin=None):
    """The object a warning belongs to: its source file (for a warning in
    a header, the file being compiled that included it), or the step that
    printed it (modpost, objtool on vmlinux.o, ...)."""
    m = re.match(r"^(?:\.\./src/)?([\w./+-]+)\.([chS]):\d+", line)
    if m:
        if m.group(2) == "h" and (origin or current):
            return origin or current
        return m.group(1)
    if "modpost" in line:
        return "modpost"
    return current or "build"


def update(state, log):
    """Fold one build log into the recorded warnings (pure)."""
    state = {k: list(v) for k, v in state.items()}
    current = origin = None
    for line in log.splitlines():
        m = STEP.match(line)
        if m:
            current = key_of_step(m.group(1), m.group(2))
            origin = None
            state[current] = []
            continue
        o = ORIGIN.match(line.strip())
        if o and not WARN.search(line):
            origin = o.group(1)
            continue
        if WARN.search(line) and not line.startswith("make"):
            key = key_of_warning(line.strip(), current, origin)
            state.setdefault(key, [])
            if line.strip() not in state[key]:
                state[key].append(line.strip())
    return {k: v for k, v in state.items() if v}


def record(log_path, state_path):
    try:
        state = json.load(open(state_path))
    except (OSError, ValueError):
        state = {}
    state = update(state, open(log_path, errors="replace").read())
    tmp = state_path + ".tmp"
    json.dump(state, open(tmp, "w"), indent=1, sort_keys=True)
    os.replace(tmp, state_path)
    return state


def results(state):
    """(status, name, why) for the check: one FAIL per warning."""
    out = []
    for key in sorted(state):
        for w in state[key]:
            out.append(("FAIL", f"build/warning/{key}", w[:300]))
    if not out:
        out.append(("PASS", "build/no-warnings", ""))
    return out


if __name__ == "__main__":
    st = record(sys.argv[1], sys.argv[2])
    for s, n, w in results(st):
        if s == "FAIL":
            print(f"kernel: warning recorded: {n}: {w}")
