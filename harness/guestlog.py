# SPDX-License-Identifier: GPL-2.0
"""Evaluation of one guest run: pure functions from log text to results.

A result is a tuple (status, name, why): status is PASS, FAIL or SKIP, name
says where it comes from (VARIANT/kunit/SUITE/CASE, VARIANT/guest/PROG: check,
VARIANT/log/KIND, VARIANT/boot, ...).  The guest (tests/guest/init) writes
the kernel log to ttyS0 (console.log) and everything else to ttyS1 (tap.log):

  IMS-HARNESS: begin variant=V edu=N kernel=R only=... kunit_filter=...
  KUNIT-SUITE S / KTAP of /sys/kernel/debug/kunit/S/results / KUNIT-END S
  KUNIT-MODULE-FAILED M
  GUEST-TEST P timeout=SECONDS / TAP of tests/guest/P.c / GUEST-EXIT P RC
  KERNEL-TAINTED VALUE          (/proc/sys/kernel/tainted)
  IMS-HARNESS: done

What was expected is not known here: manifest.py compares these results with
the committed list of expected results (harness/expected/VARIANT.txt).
"""
import re
import signal

DONE = "IMS-HARNESS: done"
BEGIN = "IMS-HARNESS: begin"

# --------------------------------------------------------------------------
# Kernel reports in the console log.  Patterns are searched anywhere in the
# line (after the timestamp): reports carry prefixes such as "watchdog: " or
# "rcu: ".  The first matching kind names the result.

TS = re.compile(r"^\[\s*\d+\.\d+\]\s?(\[\s*[CT]\d+\]\s?)?")
REPORTS = [
    ("WARN", re.compile(r"\bWARNING: CPU: \d+ PID: \d+ at .*")),
    ("lockdep", re.compile(
        r"\bWARNING: (possible circular locking dependency detected|possible "
        r"recursive locking detected|inconsistent lock state|suspicious RCU "
        r"usage|bad unlock balance detected|held lock freed|lock held when "
        r"returning to user space|Nested lock was not taken|.*lock.*)")),
    ("lockdep", re.compile(
        r"\bINFO: (possible irq lock inversion dependency detected|trying to "
        r"register non-static key|lockdep is turned off).*")),
    ("soft lockup", re.compile(r"\bBUG: soft lockup\b.*")),
    ("hard lockup", re.compile(r"\bWatchdog detected hard LOCKUP\b.*")),
    ("KASAN", re.compile(r"\bBUG: KASAN: .*")),
    ("BUG", re.compile(r"(\bkernel BUG at .*|\bBUG: .*)")),
    ("Oops", re.compile(r"\bOops: .*")),
    ("panic", re.compile(r"\bKernel panic - not syncing.*")),
    ("kmemleak", re.compile(r"(\bunreferenced object 0x[0-9a-f]+.*|"
                            r"\bkmemleak: \d+ new suspected memory leaks.*)")),
    ("debugobjects", re.compile(r"\bODEBUG: .*")),
    ("UBSAN", re.compile(r"\bUBSAN: .*")),
    ("RCU stall", re.compile(
        r"\bINFO: rcu_\w+ (self-detected stall|detected (expedited )?"
        r"stalls?)\b.*")),
    ("hung task", re.compile(r"\bINFO: task .* blocked for more than.*")),
    # A driver or core bug that dumps a stack without WARN()
    ("sysfs", re.compile(r"\bsysfs: cannot create duplicate filename .*")),
]


def report_kind(line):
    """The kind of kernel report a console line starts, or None."""
    line = TS.sub("", line).strip()
    for kind, rx in REPORTS:
        if rx.search(line):
            return kind
    return None


def scan_console(variant, text):
    """Named failures for every kernel report in a console log."""
    found = {}
    for raw in text.splitlines():
        kind = report_kind(raw)
        if kind:
            key = (kind, TS.sub("", raw).strip())
            found[key] = found.get(key, 0) + 1
    out = []
    for (kind, line), n in found.items():
        extra = f" (x{n})" if n > 1 else ""
        out.append(("FAIL", f"{variant}/log/{kind}", line + extra))
    return out


# --------------------------------------------------------------------------
# Taint (Documentation/admin-guide/tainted-kernels.rst: bit, letter, meaning)

TAINT_FLAGS = [
    (0, "P", "proprietary module was loaded"),
    (1, "F", "module was force loaded"),
    (2, "S", "kernel running on an out of specification system"),
    (3, "R", "module was force unloaded"),
    (4, "M", "processor reported a Machine Check Exception (MCE)"),
    (5, "B", "bad page referenced or some unexpected page flags"),
    (6, "U", "taint requested by userspace application"),
    (7, "D", "kernel died recently, i.e. there was an OOPS or BUG"),
    (8, "A", "ACPI table overridden by user"),
    (9, "W", "kernel issued warning"),
    (10, "C", "staging driver was loaded"),
    (11, "I", "workaround for bug in platform firmware applied"),
    (12, "O", "externally-built (\"out-of-tree\") module was loaded"),
    (13, "E", "unsigned module was loaded"),
    (14, "L", "soft lockup occurred"),
    (15, "K", "kernel has been live patched"),
    (16, "X", "auxiliary taint, defined for and used by distros"),
    (17, "T", "kernel was built with the struct randomization plugin"),
    (18, "N", "an in-kernel test has been run"),
    (19, "J", "userspace used a mutating debug operation in fwctl"),
]
# KUnit taints every kernel that ran a test (TAINT_TEST, "N"): that one is
# the expected state of a test guest, every other bit fails the run.
TAINT_ALLOWED = 1 << 18


def decode_taint(value):
    """[(letter, meaning)] of the bits set in a taint value."""
    out = [(c, what) for bit, c, what in TAINT_FLAGS if value & (1 << bit)]
    known = sum(1 << bit for bit, _, _ in TAINT_FLAGS)
    if value & ~known:
        out.append(("?", f"unknown bits {value & ~known:#x}"))
    return out


def taint_result(variant, text):
    """The result of the guest's "KERNEL-TAINTED VALUE" line."""
    name = f"{variant}/log/taint"
    try:
        value = int(text.strip())
    except ValueError:
        return ("FAIL", name, f"unreadable /proc/sys/kernel/tainted: {text!r}")
    bad = value & ~TAINT_ALLOWED
    if not bad:
        return ("PASS", name, "")
    flags = decode_taint(bad)
    return ("FAIL", name, f"kernel tainted {value} "
            f"({''.join(c for c, _ in decode_taint(value))}): " +
            "; ".join(f"{c} = {what}" for c, what in flags))


# --------------------------------------------------------------------------
# KTAP / TAP

KTAP_RESULT = re.compile(
    r"^(\s*)(ok|not ok) (\d+) (?:- )?([^#]*?)\s*(?:#\s*(SKIP|TODO)\b\s*(.*))?$")
PLAN = re.compile(r"^(\s*)1\.\.(\d+)\b")
# KUnit's counts before a suite's result line ("SUITE: pass:4 fail:0 ...")
STATS = re.compile(r"^\S+: pass:\d+ fail:\d+")


def tap_result(name, m, lines, i):
    """One result from the KTAP/TAP result line match m at lines[i]."""
    if m.group(5) == "SKIP":
        return ("SKIP", name, m.group(6).strip() or "skipped")
    if m.group(2) == "ok":
        return ("PASS", name, "")
    return ("FAIL", name, diag_before(lines, i) or "not ok")


def diag_before(lines, i):
    """The diagnostic lines printed before the result at lines[i] (since the
    result before it), first ones first: KUnit's "EXPECTATION FAILED at" and
    the values, or a TAP test's "# ..." lines."""
    j = i
    while j > 0 and not KTAP_RESULT.match(lines[j - 1]) and \
            not lines[j - 1].strip().startswith(("# Subtest", "1..")):
        j -= 1
    diag = [ln.strip().lstrip("# ").strip() for ln in lines[j:i]]
    return " | ".join(d for d in diag if d and not STATS.match(d))[:400]


def parse_kunit(variant, suite, lines):
    """Results of one suite from its debugfs KTAP: one per case, and one
    FAIL for the suite itself when its plan, its case count or its own
    result line is wrong.  A suite skipped as a whole (suite_init skipped
    it: no cases, "ok 1 SUITE # SKIP why") is one SKIP named after it."""
    base = f"{variant}/kunit/{suite}"
    res = [(i, m) for i, m in ((i, KTAP_RESULT.match(ln))
                               for i, ln in enumerate(lines)) if m]
    suite_line = [m for _, m in res if not m.group(1) and m.group(4) == suite]
    cases = [(i, m) for i, m in res if m.group(1)]
    if cases:
        depth = min(len(m.group(1)) for _, m in cases)
        cases = [(i, m) for i, m in cases if len(m.group(1)) == depth]
    plans = [int(p.group(2)) for p in map(PLAN.match, lines)
             if p and p.group(1)]
    out = [tap_result(f"{base}/{m.group(4)}", m, lines, i) for i, m in cases]

    if suite_line and not cases and suite_line[-1].group(5) == "SKIP":
        return [("SKIP", base, suite_line[-1].group(6).strip() or "skipped")]
    problems = []
    if not suite_line:
        problems.append(f"no suite result line (ok/not ok {suite})")
    elif suite_line[-1].group(2) == "not ok" and \
            not any(r[0] == "FAIL" for r in out):
        i = [i for i, m in res if m is suite_line[-1]][0]
        why = diag_before(lines, i)
        problems.append("the suite's result line says not ok" +
                        (f" ({why})" if why else ""))
    if not cases:
        problems.append("no test cases")
    if not plans:
        problems.append("no 1..N plan")
    elif plans[0] != len(cases):
        problems.append(f"planned {plans[0]} cases, reported {len(cases)}")
    if problems:
        out.append(("FAIL", base, "; ".join(problems)))
    return out


def exit_problem(rc, timeout=None):
    """What an in-guest test's exit status says went wrong, or None."""
    if rc is None:
        return "did not finish (the guest stopped or the test hung)"
    if rc in (124, 143):    # coreutils timeout: 124; busybox: SIGTERM, 143
        after = f" after {timeout}s" if timeout else ""
        return f"timed out: killed by the in-guest timeout{after} (exit {rc})"
    if rc in (126, 127):
        return f"could not be run (exit {rc})"
    if rc > 128:
        try:
            sig = signal.Signals(rc - 128).name
        except ValueError:
            sig = f"signal {rc - 128}"
        return f"killed by {sig} (exit {rc})"
    return None


def parse_guest_tap(variant, prog, lines, rc, timeout=None):
    """Results of one in-guest TAP program: one per check, and one FAIL for
    the program when its plan, numbering or exit status is wrong.  The plan
    must come first: a plan printed after the results only restates how
    many ran."""
    base = f"{variant}/guest/{prog}"
    out = []
    problems = []
    plan = None
    seen = 0
    for i, ln in enumerate(lines):
        p = PLAN.match(ln)
        if p and not p.group(1):
            if plan is not None:
                problems.append("more than one plan")
            elif seen:
                problems.append(f"the plan came after {seen} results "
                                "(print the fixed 1..N first)")
            plan = int(p.group(2))
            continue
        m = KTAP_RESULT.match(ln)
        if not m or m.group(1):
            continue
        seen += 1
        if int(m.group(3)) != seen and not any("numbered" in p
                                               for p in problems):
            problems.append(f"result {seen} is numbered {m.group(3)}")
        if not m.group(4):
            problems.append(f"result {seen} has no name")
        out.append(tap_result(f"{base}: {m.group(4)}", m, lines, i))
    why = exit_problem(rc, timeout)
    if why:
        problems.insert(0, why)
    elif rc != 0 and not any(s == "FAIL" for s, _, _ in out):
        problems.append(f"exit status {rc} without a failing result")
    if plan is None:
        problems.append(f"no plan (1..N), {seen} results")
    elif plan != seen:
        problems.append(f"planned {plan} results, printed {seen}")
    if problems:
        out.append(("FAIL", base, "; ".join(problems)))
    return out


# --------------------------------------------------------------------------
# One run

def words(line):
    """key=value words of a line, as a dict."""
    return dict(w.split("=", 1) for w in line.split() if "=" in w)


def run_info(console, tap):
    """What the guest was asked to run: variant, edu, kernel, only (TESTS),
    kunit_filter (KUNIT_FILTER), from the begin line and the kernel command
    line in the console log."""
    info = {"variant": "", "edu": "", "kernel": "", "only": "",
            "kunit_filter": "", "kunit_modules": ""}
    m = re.search(r"Kernel command line: (.*)", console)
    if m:
        cmd = words(m.group(1))
        info.update(variant=cmd.get("ims.variant", ""),
                    edu=cmd.get("ims.edu", ""), only=cmd.get("ims.only", ""),
                    kunit_filter=cmd.get("kunit.filter_glob", ""),
                    kunit_modules=cmd.get("ims.kunit_modules", ""))
    for ln in tap.splitlines():
        if ln.startswith(BEGIN):
            info.update({k: v for k, v in words(ln).items() if k in info})
            break
    return info


def block(lines, i, end):
    """Lines from i up to the line end (or up to the next marker line);
    returns (lines, index of the end line or None)."""
    out = []
    while i < len(lines):
        if lines[i] == end or lines[i].startswith(end + " "):
            return out, i
        if lines[i].startswith(("GUEST-TEST ", "KUNIT-SUITE ",
                                "KERNEL-TAINTED ")) or lines[i] == DONE:
            return out, None
        out.append(lines[i])
        i += 1
    return out, None


def evaluate(variant, console, tap, timed_out, timeout, qemu_rc):
    """All results of one guest run (before the comparison with the
    expected results)."""
    out = []
    lines = tap.splitlines()
    tests = 0
    taint = None
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("KUNIT-SUITE "):
            suite = ln.split()[1]
            body, end = block(lines, i + 1, f"KUNIT-END {suite}")
            if end is None:
                out.append(("FAIL", f"{variant}/kunit/{suite}",
                            "results were cut off"))
                i += len(body)
            else:
                out.extend(parse_kunit(variant, suite, body))
                i = end
            tests += 1
        elif ln.startswith("KUNIT-MODULE-FAILED "):
            out.append(("FAIL", f"{variant}/kunit/{ln.split()[1]}",
                        "test module failed to load"))
        elif ln.startswith("GUEST-TEST "):
            prog = ln.split()[1]
            tmo = words(ln).get("timeout")
            body, end = block(lines, i + 1, f"GUEST-EXIT {prog}")
            rc = None
            if end is not None:
                try:
                    rc = int(lines[end].split()[2])
                except (IndexError, ValueError):
                    rc = None
                i = end
            else:
                i += len(body)
            out.extend(parse_guest_tap(variant, prog, body, rc, tmo))
            tests += 1
        elif ln.startswith("KERNEL-TAINTED "):
            taint = ln.split(" ", 1)[1]
        i += 1
    if not tests:
        out.append(("FAIL", f"{variant}/results",
                    "the run reported no KUnit suite and no in-guest test"))
    out.extend(scan_console(variant, console))
    if taint is not None:
        out.append(taint_result(variant, taint))
    elif DONE in lines:
        out.append(("FAIL", f"{variant}/log/taint",
                    "the guest did not report /proc/sys/kernel/tainted"))
    if DONE in lines:
        out.append(("PASS", f"{variant}/boot", ""))
    elif timed_out:
        out.append(("FAIL", f"{variant}/boot",
                    f"guest hung: killed after {timeout}s without finishing"))
    else:
        last = [ln for ln in console.splitlines() if ln.strip()][-1:]
        out.append(("FAIL", f"{variant}/boot",
                    f"guest stopped before finishing (qemu exit {qemu_rc}); "
                    f"last console line: {last[0].strip() if last else '-'}"))
    return out
