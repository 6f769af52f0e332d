#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run the project's tests and print one line per result.

Stages (all by default, or the ones named with --stage):
  selftest  host-side tests of this harness (canned guest logs, a hung guest)
  lint      checkpatch --strict, kernel-doc, W=1 + sparse on our files
  guest     boot each machine variant in QEMU, collect KUnit and in-guest TAP
            results and scan the kernel log for reports

Every result is a line "PASS name", "FAIL name: why" or "SKIP name: why"; the
run ends with "N passed, N failed, N skipped" and exits non-zero on failure.
"""
import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treecfg  # noqa: E402

LOGS = os.path.join(treecfg.BUILD, "logs")

VARIANTS = {
    "vtd": ["-device", "intel-iommu,intremap=on"],
    "vtd-caching": ["-device", "intel-iommu,intremap=on,caching-mode=on"],
    "amdvi": ["-device", "amd-iommu,intremap=on"],
    "none": [],
}
DONE = "IMS-HARNESS: done"


class Results:
    def __init__(self, out=sys.stdout):
        self.items = []
        self.out = out

    def add(self, status, name, why=""):
        self.items.append((status, name, why))
        line = f"{status} {name}" + (f": {why}" if why else "")
        print(line, file=self.out, flush=True)

    def count(self, status):
        return sum(1 for s, _, _ in self.items if s == status)

    def failed(self):
        return [i for i in self.items if i[0] == "FAIL"]


# --------------------------------------------------------------------------
# Guest log evaluation (pure functions: the self-tests feed them canned logs)

TS = re.compile(r"^\[\s*\d+\.\d+\]\s?(\[\s*[CT]\d+\]\s?)?")
REPORTS = [
    ("WARN", re.compile(r"WARNING: CPU: \d+ PID: \d+ at .*")),
    ("lockdep", re.compile(
        r"WARNING: (possible circular locking dependency detected|possible "
        r"recursive locking detected|inconsistent lock state|suspicious RCU "
        r"usage|bad unlock balance detected|held lock freed|lock held when "
        r"returning to user space|Nested lock was not taken|.*lock.*)")),
    ("lockdep", re.compile(
        r"INFO: (possible irq lock inversion dependency detected|trying to "
        r"register non-static key|lockdep is turned off).*")),
    ("KASAN", re.compile(r"BUG: KASAN: .*")),
    ("BUG", re.compile(r"(kernel BUG at .*|BUG: .*)")),
    ("Oops", re.compile(r"Oops: .*")),
    ("panic", re.compile(r"Kernel panic - not syncing.*")),
    ("kmemleak", re.compile(r"(unreferenced object 0x[0-9a-f]+.*|"
                            r"kmemleak: \d+ new suspected memory leaks.*)")),
    ("debugobjects", re.compile(r"ODEBUG: .*")),
    ("UBSAN", re.compile(r"UBSAN: .*")),
    ("RCU stall", re.compile(r"rcu: INFO: .*detected stalls.*")),
    ("hung task", re.compile(r"INFO: task .* blocked for more than.*")),
]


def scan_console(variant, text):
    """Named failures for every kernel report in a console log."""
    found = {}
    for raw in text.splitlines():
        line = TS.sub("", raw).strip()
        for kind, rx in REPORTS:
            if rx.match(line):
                key = (kind, line)
                found[key] = found.get(key, 0) + 1
                break
    out = []
    for (kind, line), n in found.items():
        extra = f" (x{n})" if n > 1 else ""
        out.append(("FAIL", f"{variant}/log/{kind}", line + extra))
    return out


KTAP_RESULT = re.compile(
    r"^(\s*)(ok|not ok) (\d+) (?:- )?([^#]*?)\s*(?:#\s*(SKIP|TODO)\b\s*(.*))?$")


def parse_kunit(variant, suite, lines):
    """Test results of one suite from its debugfs KTAP."""
    res = [m for m in (KTAP_RESULT.match(ln) for ln in lines) if m]
    out = []
    suite_line = [m for m in res if m.group(4) == suite]
    tests = [m for m in res if m.group(4) != suite]
    if tests:
        depth = min(len(m.group(1)) for m in tests)
        tests = [m for m in tests if len(m.group(1)) == depth]
    for m in tests:
        out.append(tap_result(f"{variant}/kunit/{suite}/{m.group(4)}", m,
                              lines))
    if not tests:
        ok = suite_line and suite_line[0].group(2) == "ok"
        out.append(("PASS" if ok else "FAIL", f"{variant}/kunit/{suite}",
                    "" if ok else "suite reported no test results"))
    return out


def tap_result(name, m, lines):
    """One result from a KTAP/TAP result line match."""
    if m.group(5) == "SKIP":
        return ("SKIP", name, m.group(6) or "skipped")
    if m.group(2) == "ok":
        return ("PASS", name, "")
    return ("FAIL", name, diag_before(lines, m.group(0)) or "not ok")


def diag_before(lines, result_line):
    """The diagnostic lines a failing result printed (since the result
    before it), first ones first: KUnit's "EXPECTATION FAILED at" and the
    values, or a TAP test's "# ..." lines."""
    i = lines.index(result_line)
    j = i
    while j > 0 and not KTAP_RESULT.match(lines[j - 1]) and \
            not lines[j - 1].strip().startswith(("# Subtest", "1..")):
        j -= 1
    diag = [ln.strip().lstrip("# ").strip() for ln in lines[j:i]]
    return " | ".join(d for d in diag if d)[:400]


def parse_guest_tap(variant, prog, lines, rc):
    out = []
    plan = None
    seen = 0
    for ln in lines:
        if re.match(r"^1\.\.(\d+)", ln):
            plan = int(ln.split("..")[1].split()[0])
            continue
        m = KTAP_RESULT.match(ln)
        if not m or m.group(1):
            continue
        seen += 1
        out.append(tap_result(f"{variant}/guest/{prog}: {m.group(4)}", m,
                              lines))
    if rc is None:
        out.append(("FAIL", f"{variant}/guest/{prog}",
                     "did not finish (guest stopped or test hung)"))
    elif rc == 124:
        out.append(("FAIL", f"{variant}/guest/{prog}",
                     "killed by the in-guest timeout"))
    elif plan is None or plan != seen:
        out.append(("FAIL", f"{variant}/guest/{prog}",
                     f"planned {plan} results, printed {seen}"))
    elif rc != 0 and not any(s == "FAIL" for s, _, _ in out):
        out.append(("FAIL", f"{variant}/guest/{prog}",
                     f"exit status {rc} without a failing result"))
    return out


def evaluate(variant, console, tap, timed_out, timeout, qemu_rc):
    """All results of one guest run."""
    out = []
    lines = tap.splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("KUNIT-SUITE "):
            suite = ln.split()[1]
            block = []
            i += 1
            while i < len(lines) and lines[i] != f"KUNIT-END {suite}":
                if lines[i].startswith(("GUEST-TEST ", "KUNIT-SUITE ")) or \
                        lines[i] == DONE:
                    break
                block.append(lines[i])
                i += 1
            if i >= len(lines) or lines[i] != f"KUNIT-END {suite}":
                out.append(("FAIL", f"{variant}/kunit/{suite}",
                            "results were cut off"))
                i -= 1
            else:
                out.extend(parse_kunit(variant, suite, block))
        elif ln.startswith("KUNIT-MODULE-FAILED "):
            out.append(("FAIL", f"{variant}/kunit/{ln.split()[1]}",
                        "test module failed to load"))
        elif ln.startswith("GUEST-TEST "):
            prog = ln.split()[1]
            block = []
            rc = None
            i += 1
            while i < len(lines):
                if lines[i].startswith(f"GUEST-EXIT {prog} "):
                    rc = int(lines[i].split()[2])
                    break
                if lines[i].startswith(("GUEST-TEST ", "KUNIT-SUITE ")) or \
                        lines[i] == DONE:
                    i -= 1
                    break
                block.append(lines[i])
                i += 1
            out.extend(parse_guest_tap(variant, prog, block, rc))
        i += 1
    out.extend(scan_console(variant, console))
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


# --------------------------------------------------------------------------
# Running guests

def qemu_command(variant, edu, append, qemu="qemu-system-x86_64", logdir=None):
    cmd = [qemu, "-accel", "tcg", "-machine", "q35,kernel-irqchip=split",
           "-cpu", "max", "-smp", "2", "-m", "2048", "-nodefaults",
           "-display", "none", "-no-reboot",
           "-kernel", os.path.join(treecfg.OBJ, "arch/x86/boot/bzImage"),
           "-initrd", os.path.join(treecfg.BUILD, "initramfs.cpio.gz"),
           "-append", append]
    cmd += VARIANTS[variant]
    for _ in range(edu):
        cmd += ["-device", "edu,dma_mask=0xffffffffffffffff"]
    if logdir:
        cmd += ["-serial", f"file:{logdir}/console.log",
                "-serial", f"file:{logdir}/tap.log"]
    return cmd


def kernel_append(variant, edu, opts):
    a = ["console=ttyS0,115200", "log_buf_len=8M", "panic=-1",
         "ignore_loglevel", f"ims.variant={variant}", f"ims.edu={edu}",
         f"ims_platform_kunit.variant={variant}",
         f"ims_platform_kunit.edu={edu}", f"ims_kunit.variant={variant}",
         f"ims.test_timeout={opts.test_timeout}"]
    if opts.tests:
        a.append(f"ims.only={opts.tests}")
    if opts.kunit_filter:
        a.append(f"kunit.filter_glob={opts.kunit_filter}")
    if opts.kunit_modules:
        a.append(f"ims.kunit_modules={opts.kunit_modules}")
    if opts.mode:
        a.append(f"ims.mode={opts.mode}")
    return " ".join(a)


def run_qemu(cmd, logdir, timeout):
    """Run QEMU until it exits or timeout; returns (timed_out, rc)."""
    os.makedirs(logdir, exist_ok=True)
    with open(os.path.join(logdir, "qemu.log"), "w") as qlog:
        qlog.write("# " + shlex.join(cmd) + "\n")
        qlog.flush()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qlog,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return False, p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
            return True, None


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def run_variant(res, variant, opts, qemu="qemu-system-x86_64"):
    logdir = os.path.join(LOGS, variant)
    os.makedirs(logdir, exist_ok=True)
    for f in ("console.log", "tap.log"):
        open(os.path.join(logdir, f), "w").close()
    append = kernel_append(variant, opts.edu, opts)
    cmd = qemu_command(variant, opts.edu, append, qemu, logdir)
    t0 = time.time()
    timed_out, rc = run_qemu(cmd, logdir, opts.timeout)
    dt = time.time() - t0
    qlog = read(os.path.join(logdir, "qemu.log"))
    if rc not in (0, None) and not read(os.path.join(logdir, "console.log")):
        res.add("FAIL", f"{variant}/boot",
                f"qemu failed to start (exit {rc}): "
                f"{qlog.splitlines()[-1] if qlog else ''}")
        return
    for r in evaluate(variant, read(os.path.join(logdir, "console.log")),
                      read(os.path.join(logdir, "tap.log")), timed_out,
                      opts.timeout, rc):
        res.add(*r)
    print(f"# {variant}: guest ran {dt:.0f}s, logs in "
          f"{os.path.relpath(logdir, treecfg.TOP)}/", flush=True)


# --------------------------------------------------------------------------
# Self-tests of the harness

SELFTEST = os.path.join(treecfg.TOP, "harness", "selftest")


def selftest(res):
    def expect(name, results, status, name_has, why_has=""):
        hit = [r for r in results if r[0] == status and name_has in r[1]
               and why_has in r[2]]
        res.add("PASS" if hit else "FAIL", f"harness/{name}",
                "" if hit else f"expected a {status} naming '{name_has}', "
                f"got {[r[:2] for r in results]}")

    clean_console = read(os.path.join(SELFTEST, "clean.console"))
    clean_tap = read(os.path.join(SELFTEST, "clean.tap"))
    clean = evaluate("canned", clean_console, clean_tap, False, 60, 0)
    bad = [r for r in clean if r[0] == "FAIL"]
    res.add("FAIL" if bad or not clean else "PASS",
            "harness/clean-log-passes", str(bad) if bad else "")
    expect("kunit-results-counted", clean, "PASS", "canned/kunit/")
    expect("guest-tap-counted", clean, "PASS", "canned/guest/")

    for case, kind in (("warn", "/log/WARN"), ("lockdep", "/log/lockdep"),
                       ("kasan", "/log/KASAN"), ("kmemleak", "/log/kmemleak")):
        console = read(os.path.join(SELFTEST, f"{case}.console"))
        expect(f"{case}-report-is-failure",
               evaluate("canned", console, clean_tap, False, 60, 0),
               "FAIL", kind)

    hung_console = read(os.path.join(SELFTEST, "hung.console"))
    hung_tap = read(os.path.join(SELFTEST, "hung.tap"))
    r = evaluate("canned", hung_console, hung_tap, True, 60, None)
    expect("hung-guest-log-is-failure", r, "FAIL", "canned/boot")
    expect("unfinished-guest-test-is-failure", r, "FAIL",
           "canned/guest/platform", "did not finish")
    cut = clean_tap.split("KUNIT-END")[0]
    expect("cut-off-kunit-results-are-failure",
           evaluate("canned", clean_console, cut, False, 60, 0), "FAIL",
           "canned/kunit/ims_platform", "cut off")

    bad_tap = clean_tap.replace("    ok 2 ims_platform_edu_count",
                                "    # a diagnostic\n"
                                "    not ok 2 ims_platform_edu_count")
    expect("kunit-failure-is-failure",
           evaluate("canned", clean_console, bad_tap, False, 60, 0),
           "FAIL", "kunit/ims_platform/ims_platform_edu_count")

    short_tap = clean_tap.replace("ok 9 - at least 2 CPUs online\n", "")
    expect("short-plan-is-failure",
           evaluate("canned", clean_console, short_tap, False, 60, 0),
           "FAIL", "canned/guest/platform", "planned 9 results, printed 8")

    # A real hung "guest": a fake QEMU that prints and never exits must be
    # killed at the timeout and reported by name.
    logdir = os.path.join(LOGS, "selftest-hang")
    t0 = time.time()
    timed_out, _ = run_qemu([os.path.join(SELFTEST, "fake-qemu-hang.sh"),
                             logdir], logdir, 3)
    dt = time.time() - t0
    r = evaluate("fake", read(os.path.join(logdir, "console.log")),
                 read(os.path.join(logdir, "tap.log")), timed_out, 3, None)
    ok = timed_out and dt < 20 and any(
        s == "FAIL" and n == "fake/boot" and "hung" in w for s, n, w in r)
    res.add("PASS" if ok else "FAIL", "harness/hung-guest-is-killed",
            "" if ok else f"timed_out={timed_out} after {dt:.0f}s: {r}")

    import selftest_tree
    selftest_tree.run(lambda name, ok: res.add(
        "PASS" if ok else "FAIL", f"harness/{name}"))


# --------------------------------------------------------------------------
# Lint

def kernel_files():
    return [f for f in treecfg.overlay_files()
            if f.endswith((".c", ".h")) and not f.startswith("tools/")]


def lint(res, build_objects=True):
    src = treecfg.SRC
    cp = os.path.join(src, "scripts", "checkpatch.pl")
    kd = os.path.join(src, "scripts", "kernel-doc")
    files = kernel_files()
    patches = treecfg.series()
    base = [cp, "--strict", "--terse", "--no-summary", "--show-types",
            f"--root={src}"]

    # checkpatch's SPDX check (scripts/spdxcheck.py) reads the licenses from
    # a git kernel tree, which build/src is not; it believes our repository
    # is that tree and then fails with a traceback. Turn it off explicitly
    # (GIT_DIR that does not exist) and check the SPDX lines ourselves.
    env = dict(os.environ, GIT_DIR="/nonexistent-ims-checkpatch")
    for f in files + [f for f in treecfg.overlay_files()
                      if f.endswith((".rst", "Makefile"))]:
        head = read(os.path.join(treecfg.TOP, f)).splitlines()[:2]
        ok = any("SPDX-License-Identifier: GPL-2.0" in ln for ln in head)
        res.add("PASS" if ok else "FAIL", f"lint/spdx/{f}",
                "" if ok else "no SPDX-License-Identifier: GPL-2.0 line")

    def checkpatch(name, args, stdin=None):
        r = subprocess.run(base + args, cwd=treecfg.TOP, capture_output=True,
                           text=True, input=stdin, env=env)
        findings = [ln for ln in r.stdout.splitlines()
                    if re.search(r": (ERROR|WARNING|CHECK):", ln)]
        if "Traceback" in r.stderr:
            findings.append("0: ERROR:CHECKPATCH_HELPER: " +
                            r.stderr.strip().splitlines()[-1])
        for f in findings:
            m = re.match(r"^[^:]*:(\d+): (.*)$", f)
            why = f"line {m.group(1)}: {m.group(2)}" if m else f
            res.add("FAIL", f"lint/checkpatch/{name}", why)
        if not findings:
            res.add("PASS" if r.returncode == 0 else "FAIL",
                    f"lint/checkpatch/{name}", r.stdout.strip()[:300])

    for f in files:
        checkpatch(f, ["-f", f])
    for p in patches:
        # Through stdin: checkpatch treats a file git tracks as a source
        # file (diff -u /dev/null FILE), not as a patch.
        checkpatch(f"patches/{p}", ["-"],
                   read(os.path.join(treecfg.PATCHES, p)))

    patched = patched_sources()
    for f in files + [p for p in patched if p.endswith((".c", ".h"))]:
        path = os.path.join(treecfg.SRC, f)
        r = subprocess.run([kd, "-none", "-Wall", path], capture_output=True,
                           text=True)
        msgs = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]
        if f in patched:
            added = added_lines(f)
            msgs = [m for m in msgs if line_of(m) in added]
        for m in msgs:
            res.add("FAIL", f"lint/kernel-doc/{f}",
                    m.replace(treecfg.SRC + "/", ""))
        if not msgs:
            res.add("PASS", f"lint/kernel-doc/{f}")

    docs(res)
    if not build_objects:
        return
    objs = []
    for f in sorted(set(files + patched)):
        if not f.endswith(".c"):
            continue
        if os.path.exists(os.path.join(treecfg.OBJ, f[:-2] + ".o")):
            objs.append(f)
        elif f in files:
            res.add("SKIP", f"lint/W=1+sparse/{f}",
                    "not built by this configuration")
    for f in objs:
        r = subprocess.run(
            ["make", "-s", "-C", src, f"O={treecfg.OBJ}", "ARCH=x86_64",
             "W=1", "C=2", f[:-2] + ".o"], capture_output=True, text=True)
        text = (r.stdout + r.stderr).replace(treecfg.SRC + "/", "")
        msgs = [ln for ln in text.splitlines()
                if re.search(r"(warning|error):", ln) and f in ln]
        if f in patched:
            added = added_lines(f)
            msgs = [m for m in msgs if line_of(m) in added]
        for m in msgs:
            res.add("FAIL", f"lint/W=1+sparse/{f}", m)
        if r.returncode != 0 and not msgs:
            res.add("FAIL", f"lint/W=1+sparse/{f}", text.strip()[-300:])
        elif not msgs:
            res.add("PASS", f"lint/W=1+sparse/{f}")


def docs(res):
    """Build the Documentation/ directories that hold our pages with Sphinx
    (only those directories: seconds, not the whole book); every warning
    is a finding."""
    rst = [f for f in treecfg.overlay_files()
           if f.startswith("Documentation/") and f.endswith(".rst")]
    for d in sorted({os.path.dirname(f)[len("Documentation/"):] for f in rst}):
        r = subprocess.run(
            ["make", "-C", treecfg.SRC, f"O={treecfg.BUILD}/obj-docs",
             f"SPHINXDIRS={d}", "htmldocs"], capture_output=True, text=True)
        text = (r.stdout + r.stderr).replace(treecfg.SRC + "/", "")
        msgs = [ln for ln in text.splitlines()
                if re.search(r"(WARNING|ERROR|CRITICAL)", ln) and
                "dot(1) not found" not in ln]
        for m in msgs:
            res.add("FAIL", f"lint/htmldocs/{d}", m)
        if r.returncode != 0 and not msgs:
            res.add("FAIL", f"lint/htmldocs/{d}", text.strip()[-300:])
        elif not msgs:
            res.add("PASS", f"lint/htmldocs/{d}")


def patched_sources():
    import prepare_tree
    files = set()
    for p in treecfg.series():
        files.update(prepare_tree.patch_files(
            os.path.join(treecfg.PATCHES, p)))
    return sorted(files)


def added_lines(rel):
    """Line numbers of build/src/rel that our patches added or changed."""
    old = read(os.path.join(treecfg.PRISTINE, rel)).splitlines()
    new = read(os.path.join(treecfg.SRC, rel)).splitlines()
    added = set()
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, _, _, j1, j2 in sm.get_opcodes():
        if tag in ("replace", "insert"):
            added.update(range(j1 + 1, j2 + 1))
    return added


def line_of(msg):
    m = re.search(r":(\d+):", msg)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", action="append",
                    choices=["selftest", "lint", "guest"])
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--edu", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=900,
                    help="seconds before a guest counts as hung")
    ap.add_argument("--test-timeout", type=int, default=600)
    ap.add_argument("--tests", default="",
                    help="comma-separated in-guest tests to run")
    ap.add_argument("--kunit-filter", default="")
    ap.add_argument("--kunit-modules", default="")
    ap.add_argument("--mode", default="")
    ap.add_argument("--no-summary", action="store_true")
    opts = ap.parse_args()
    stages = opts.stage or ["selftest", "lint", "guest"]
    res = Results()
    t0 = time.time()
    if "selftest" in stages:
        selftest(res)
    if "lint" in stages:
        lint(res)
    if "guest" in stages:
        for v in [v for v in opts.variants.split(",") if v]:
            if v not in VARIANTS:
                res.add("FAIL", f"{v}/boot", "unknown machine variant")
                continue
            run_variant(res, v, opts)
    print(f"# took {time.time() - t0:.0f}s")
    print(f"{res.count('PASS')} passed, {res.count('FAIL')} failed, "
          f"{res.count('SKIP')} skipped")
    return 1 if res.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
