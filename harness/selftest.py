#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-tests of the harness (make selftest): host-only, seconds.

Golden tests: canned guest logs (harness/selftest/*.console, *.tap), some
edited here to show one defect each, go through what the guest stage does
(guestlog.evaluate, then manifest.compare with the canned manifests in
harness/selftest/expected/), and the (status, name) list must equal the
golden list harness/selftest/golden/CASE.txt line for line.  Each case also
says whether the run must be red (a FAIL) or green, so a golden file that
was regenerated carelessly cannot turn a red case green.

Then: the committed manifests are well-formed, recording refuses what it
must, lint's result mapping, a real hung "guest" is killed, and tree
preparation and refresh-patch on a miniature tree (selftest_tree.py).

usage: selftest.py [--update-golden]   (rewrite the golden files; review
                                        the diff before committing it)
"""
import argparse
import difflib
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guestlog  # noqa: E402
import lint  # noqa: E402
import manifest  # noqa: E402
import treecfg  # noqa: E402

HERE = os.path.join(treecfg.TOP, "harness", "selftest")
GOLDEN = os.path.join(HERE, "golden")
CANNED_EXPECTED = os.path.join(HERE, "expected")


def canned(name):
    with open(os.path.join(HERE, name), errors="replace") as f:
        return f.read()


class Broken(Exception):
    """A self-test's own edit of a canned log did not apply."""


def sub(text, old, new, count=1):
    if text.count(old) < count:
        raise Broken(f"canned log has no {old!r}")
    return text.replace(old, new, count)


def drop_block(tap, start, end):
    """tap without the lines from the line start to the line end."""
    lines = tap.splitlines(keepends=True)
    try:
        i = lines.index(start + "\n")
        j = lines.index(end + "\n", i)
    except ValueError:
        raise Broken(f"canned log has no block {start!r} .. {end!r}")
    return "".join(lines[:i] + lines[j + 1:])


# --------------------------------------------------------------------------
# Golden cases: (name, "red"/"green", variant, console, tap, options)

def cases():
    vtd_console = canned("clean.console")
    vtd_tap = canned("clean.tap")
    none_console = vtd_console.replace("ims.variant=vtd", "ims.variant=none")
    none_tap = canned("none.tap")
    c = []

    def case(name, color, tap=vtd_tap, console=vtd_console, variant="vtd",
             **opts):
        c.append((name, color, variant, console, tap, opts))

    case("clean-log-passes", "green")
    case("allowed-skips-pass", "green", none_tap, none_console, "none")

    # Every expected result, or FAIL
    case("deleted-guest-check-is-failure", "red",
         sub(sub(vtd_tap, "ok 9 - at least 2 CPUs online\n", ""),
             "1..9\n", "1..8\n"))
    case("deleted-kunit-case-is-failure", "red",
         sub(sub(vtd_tap, "    ok 4 ims_platform_debug_set\n", ""),
             "    1..4\n", "    1..3\n"))
    case("unregistered-suite-is-failure", "red",
         drop_block(vtd_tap, "KUNIT-SUITE ims_policy", "KUNIT-END ims_policy"))
    case("guest-test-that-never-ran-is-failure", "red",
         drop_block(vtd_tap, "GUEST-TEST ims_edu timeout=600",
                    "GUEST-EXIT ims_edu 0"))
    case("unexpected-new-result-is-failure", "red",
         sub(sub(vtd_tap, "    ok 4 ims_platform_debug_set\n",
                 "    ok 4 ims_platform_debug_set\n"
                 "    ok 5 ims_platform_brand_new\n"),
             "    1..4\n", "    1..5\n"))
    case("renamed-guest-check-is-failure", "red",
         sub(vtd_tap, "ok 4 - each of 32 fired slots counted exactly one "
             "interrupt\n", "ok 4 - each of 32 fired slots counted exactly "
             "one interrupt (31)\n"))
    case("duplicate-result-name-is-failure", "red",
         sub(vtd_tap, "ok 9 - at least 2 CPUs online",
             "ok 9 - kmemleak is active"))
    case("empty-run-is-failure", "red",
         "IMS-HARNESS: begin variant=vtd edu=2 kernel=7.3.4 only= "
         "kunit_filter=\nKERNEL-TAINTED 262144\nIMS-HARNESS: done\n")

    # Skips come from the declared variant
    case("skip-on-vtd-is-failure", "red",
         sub(vtd_tap, "    ok 4 ims_policy_non_pci_refused\n",
             "    ok 4 ims_policy_non_pci_refused # SKIP the MSI parent "
             "refuses IMS on this machine\n"))
    case("skip-with-another-reason-is-failure", "red",
         sub(none_tap, "(variant 'none')", "(variant 'vtd-caching')"),
         none_console, "none")
    case("run-where-skip-expected-is-failure", "red",
         sub(none_tap, "    ok 4 ims_policy_non_pci_refused # SKIP IMS "
             "needs the vtd machine (variant 'none')\n",
             "    ok 4 ims_policy_non_pci_refused\n"), none_console, "none")

    # KUnit
    case("kunit-failure-is-failure", "red",
         sub(vtd_tap, "    ok 2 ims_platform_edu_count\n",
             "    # ims_platform_edu_count: EXPECTATION FAILED at "
             "kernel/irq/ims_platform_kunit.c:45\n"
             "    not ok 2 ims_platform_edu_count\n"))
    case("kunit-suite-not-ok-is-failure", "red",
         sub(vtd_tap, "ok 1 ims_policy\n", "not ok 1 ims_policy\n"))
    case("kunit-suite-without-cases-is-failure", "red",
         sub(vtd_tap, "    ok 1 ims_policy_intel_decision\n"
             "    ok 2 ims_policy_amd_decision\n"
             "    ok 3 ims_policy_real_parent\n"
             "    ok 4 ims_policy_non_pci_refused\n",
             "    # failed to initialize (-12)\n").replace(
                 "ok 1 ims_policy\n", "not ok 1 ims_policy\n"))
    case("kunit-plan-mismatch-is-failure", "red",
         sub(vtd_tap, "    ok 4 ims_platform_debug_set\n", ""))
    case("kunit-suite-skipped-whole-is-failure", "red",
         sub(drop_block(vtd_tap, "KUNIT-SUITE ims_policy",
                        "KUNIT-END ims_policy"),
             "GUEST-TEST ims_edu", "KUNIT-SUITE ims_policy\nKTAP version 1\n"
             "1..1\nok 1 ims_policy # SKIP not on this machine\n"
             "KUNIT-END ims_policy\nGUEST-TEST ims_edu"))
    case("cut-off-kunit-results-are-failure", "red",
         vtd_tap.split("KUNIT-END ims_platform")[0])

    # Guest TAP
    case("short-plan-is-failure", "red",
         sub(vtd_tap, "ok 9 - at least 2 CPUs online\n", ""))
    case("plan-at-the-end-is-failure", "red",
         sub(sub(vtd_tap, "1..9\n", ""), "ok 9 - at least 2 CPUs online\n",
             "ok 9 - at least 2 CPUs online\n1..9\n"))
    case("busybox-timeout-is-failure", "red",
         sub(sub(vtd_tap, "ok 5 - module unloads with vectors allocated\n",
                 ""), "GUEST-EXIT ims_edu 0", "GUEST-EXIT ims_edu 143"))
    case("coreutils-timeout-is-failure", "red",
         sub(sub(vtd_tap, "ok 5 - module unloads with vectors allocated\n",
                 ""), "GUEST-EXIT ims_edu 0", "GUEST-EXIT ims_edu 124"))
    case("crashed-guest-test-is-failure", "red",
         sub(sub(vtd_tap, "ok 5 - module unloads with vectors allocated\n",
                 ""), "GUEST-EXIT ims_edu 0", "GUEST-EXIT ims_edu 139"))
    case("hung-guest-log-is-failure", "red", canned("hung.tap"),
         canned("hung.console"), timed_out=True, qemu_rc=None)

    # Kernel reports
    for report in ("warn", "lockdep", "kasan", "kmemleak", "softlockup",
                   "hungtask", "rcustall"):
        case(f"{report}-report-is-failure", "red",
             console=canned(f"{report}.console"))
    case("taint-is-failure", "red",
         sub(vtd_tap, "KERNEL-TAINTED 262144", "KERNEL-TAINTED 262656"))
    case("missing-taint-report-is-failure", "red",
         sub(vtd_tap, "KERNEL-TAINTED 262144\n", ""))

    # Partial runs check only what they select
    case("partial-run-tests-checks-selection", "green",
         drop_block(vtd_tap, "GUEST-TEST ims_edu timeout=600",
                    "GUEST-EXIT ims_edu 0"), tests="platform")
    case("partial-run-kunit-filter-checks-selection", "green",
         drop_block(vtd_tap, "KUNIT-SUITE ims_policy",
                    "KUNIT-END ims_policy"), kunit_filter="ims_plat*")
    case("partial-run-kunit-case-filter", "green",
         drop_block(sub(sub(sub(vtd_tap, "    ok 1 ims_platform_variant_known"
                                "\n", ""),
                            "    ok 2 ims_platform_edu_count\n"
                            "    ok 3 ims_platform_msi_parent\n", ""),
                        "    1..4\n    ok 4", "    1..1\n    ok 1"),
                    "KUNIT-SUITE ims_policy", "KUNIT-END ims_policy"),
         kunit_filter="ims_platform.*debug*")
    case("partial-run-still-misses-selected-results", "red",
         drop_block(vtd_tap, "GUEST-TEST ims_edu timeout=600",
                    "GUEST-EXIT ims_edu 0"), tests="platform,ims_edu")
    return c


def run_case(variant, console, tap, opts):
    """What the guest stage reports for a canned run."""
    results = guestlog.evaluate(variant, console, tap,
                                opts.get("timed_out", False), 60,
                                opts.get("qemu_rc", 0))
    sel = manifest.Selection(opts.get("tests", ""),
                             opts.get("kunit_filter", ""))
    return manifest.check(variant, results, sel, CANNED_EXPECTED)


def golden_lines(results):
    return [f"{s} {n}" for s, n, _ in results]


def golden_tests(report, update=False):
    try:
        all_cases = cases()
    except Broken as e:
        report("golden/canned-logs", False, str(e))
        return
    os.makedirs(GOLDEN, exist_ok=True)
    for name, color, variant, console, tap, opts in all_cases:
        results = run_case(variant, console, tap, opts)
        got = golden_lines(results)
        path = os.path.join(GOLDEN, f"{name}.txt")
        if update:
            with open(path, "w") as f:
                f.write("\n".join(got) + "\n")
        try:
            want = open(path).read().splitlines()
        except OSError:
            want = None
        red = any(s == "FAIL" for s, _, _ in results)
        problems = []
        if want is None:
            problems.append(f"no golden file {os.path.relpath(path, HERE)} "
                            "(selftest.py --update-golden)")
        elif got != want:
            diff = [d for d in difflib.unified_diff(want, got, "golden",
                                                    "now", lineterm="", n=0)
                    if not d.startswith(("---", "+++", "@@"))]
            problems.append("differs from golden: " + " | ".join(diff[:6]))
        if red != (color == "red"):
            problems.append(f"the run must be {color}, it is "
                            f"{'red' if red else 'green'}")
        report(name, not problems, "; ".join(problems))


# --------------------------------------------------------------------------
# Messages that matter, beyond names

def message_tests(report):
    vtd_console = canned("clean.console")
    vtd_tap = canned("clean.tap")

    def why_of(tap, name, console=vtd_console, variant="vtd"):
        for s, n, w in run_case(variant, console, tap, {}):
            if n == name and s == "FAIL":
                return w
        return ""

    w = why_of(sub(vtd_tap, "GUEST-EXIT ims_edu 0", "GUEST-EXIT ims_edu 143"),
               "vtd/guest/ims_edu")
    report("timeout-says-timed-out", w.startswith("timed out") and
           "600s" in w and "143" in w, w)
    w = why_of(sub(vtd_tap, "KERNEL-TAINTED 262144", "KERNEL-TAINTED 262784"),
               "vtd/log/taint")
    report("taint-flags-decoded", "(DWN)" in w and "W = kernel issued "
           "warning" in w and "D = kernel died" in w and "N =" not in w, w)
    w = why_of(vtd_tap, "vtd/log/soft lockup",
               console=canned("softlockup.console"))
    report("soft-lockup-found-after-prefix",
           w.startswith("watchdog: BUG: soft lockup - CPU#0 stuck for 22s!"),
           w)
    rs = guestlog.scan_console("x", "[    1.0] DEBUG: BUGS: not a report\n"
                               "[    1.1] rcu: RCU lockdep checking is "
                               "enabled.\n")
    report("report-patterns-need-word-boundaries", not rs, str(rs))
    rs = guestlog.scan_console("vtd", "[    9.8] sysfs: cannot create "
                               "duplicate filename '/devices/x/msi_irqs'\n")
    report("sysfs-duplicate-is-a-report",
           [n for _, n, _ in rs] == ["vtd/log/sysfs"], str(rs))


# --------------------------------------------------------------------------
# Manifests: the committed ones, recording, selection

def manifest_tests(report):
    for v in manifest.VARIANTS:
        entries, why = manifest.load(v)
        ok = entries is not None
        if ok:
            kinds = {n.split("/")[0] for _, n, _ in entries}
            skips = [n for s, n, _ in entries if s == "SKIP"]
            ok = kinds == {"kunit", "guest"} and \
                not (v in manifest.NO_SKIPS and skips)
            why = f"kinds {sorted(kinds)}, {len(skips)} skips"
        report(f"manifest/{v}-is-well-formed", ok, "" if ok else why)

    try:
        manifest.parse("vtd", "SKIP kunit/a/b # some reason\n")
        ok = False
    except ValueError:
        ok = True
    report("manifest/vtd-refuses-skips", ok)
    # dsa: the edu-only guest programs skip there, no KUnit case may
    try:
        manifest.parse("dsa", "SKIP kunit/a/b # some reason\n")
        ok = False
    except ValueError as e:
        ok = "no KUnit case may skip on dsa" in str(e)
    try:
        ok = ok and len(manifest.parse(
            "dsa", "SKIP guest/ims_edu: x # runs on vtd\n")) == 1
    except ValueError:
        ok = False
    report("manifest/dsa-refuses-kunit-skips-only", ok)

    console = canned("clean.console")
    tap = canned("clean.tap")
    entries, _, problems = manifest.record("vtd", console, tap)
    want, _ = manifest.load("vtd", CANNED_EXPECTED)
    report("manifest/record-clean-run", not problems and entries == want,
           "; ".join(problems) or "recorded entries differ from "
           "selftest/expected/vtd.txt")
    none_console = console.replace("ims.variant=vtd", "ims.variant=none")
    entries, _, problems = manifest.record("none", none_console,
                                           canned("none.tap"))
    want, _ = manifest.load("none", CANNED_EXPECTED)
    report("manifest/record-keeps-skip-reasons",
           not problems and entries == want, "; ".join(problems))

    def refuses(name, console, tap, variant="vtd", must=""):
        _, _, problems = manifest.record(variant, console, tap)
        ok = bool(problems) and any(must in p for p in problems)
        report(f"manifest/record-refuses-{name}", ok, "; ".join(problems)
               if not ok else "")

    refuses("failures", console, sub(tap, "ok 1 - two edu devices",
                                     "not ok 1 - two edu devices"),
            must="FAIL vtd/guest/ims_edu: two edu devices")
    refuses("kernel-reports", canned("warn.console"), tap, must="log/WARN")
    refuses("skips-on-vtd", console, sub(
        tap, "    ok 4 ims_policy_non_pci_refused\n",
        "    ok 4 ims_policy_non_pci_refused # SKIP not today\n"),
        must="nothing may skip")
    dsa_console = console.replace("ims.variant=vtd", "ims.variant=dsa")
    refuses("kunit-skips-on-dsa", dsa_console, sub(
        tap, "    ok 4 ims_policy_non_pci_refused\n",
        "    ok 4 ims_policy_non_pci_refused # SKIP not today\n"),
        variant="dsa", must="no KUnit case may skip on dsa")
    refuses("partial-runs", console, sub(tap, "only= ", "only=platform "),
            must="partial run")
    refuses("other-variants-logs", none_console, canned("none.tap"),
            must="variant 'none'")
    refuses("unfinished-runs", canned("hung.console"), canned("hung.tap"),
            must="vtd/boot")

    entries, _ = manifest.load("vtd", CANNED_EXPECTED)

    def selection(tests="", kunit_filter=""):
        return manifest.selection_errors(
            "vtd", entries, manifest.Selection(tests, kunit_filter),
            CANNED_EXPECTED)

    e = selection(tests="plattform")
    report("selection/tests-typo-is-error", len(e) == 1 and
           "'plattform'" in e[0][2] and e[0][0] == "FAIL", str(e))
    e = selection(tests="platform,ims_edu")
    report("selection/tests-known-names", not e, str(e))
    e = selection(kunit_filter="ims_plat")
    report("selection/kunit-filter-typo-is-error", len(e) == 1, str(e))
    e = selection(kunit_filter="ims_p*.*_debug_set")
    report("selection/kunit-filter-glob", not e, str(e))
    e = selection(kunit_filter="ims_platform.nothing*")
    report("selection/kunit-filter-case-typo-is-error", len(e) == 1, str(e))


# --------------------------------------------------------------------------
# Lint's result mapping

def lint_tests(report):
    def statuses(results):
        return [(s, n) for s, n, _ in results]

    cp_out = ("kernel/irq/ims.c:120: WARNING:LONG_LINE: line length of 105 "
              "exceeds 100 columns\n"
              "kernel/irq/ims.c:130: CHECK:PARENTHESIS_ALIGNMENT: Alignment "
              "should match open parenthesis\n")
    r = lint.checkpatch_results("kernel/irq/ims.c", cp_out, "", 1)
    report("lint/checkpatch-findings", statuses(r) == [
        ("FAIL", "lint/checkpatch/kernel/irq/ims.c")] * 2 and
        r[0][2] == "line 120: WARNING:LONG_LINE: line length of 105 exceeds "
        "100 columns", str(r))
    r = lint.checkpatch_results("patches/0001-x.patch", "", "", 0)
    report("lint/checkpatch-clean", statuses(r) == [
        ("PASS", "lint/checkpatch/patches/0001-x.patch")], str(r))
    r = lint.checkpatch_results("kernel/irq/ims.c", "", "Traceback (most "
                                "recent call last):\nKeyError: 'x'\n", 0)
    report("lint/checkpatch-helper-crash", statuses(r) == [
        ("FAIL", "lint/checkpatch/kernel/irq/ims.c")] and
        "KeyError" in r[0][2], str(r))
    r = lint.checkpatch_results("kernel/irq/ims.c", "", "Can't locate x", 2)
    report("lint/checkpatch-silent-failure", statuses(r) == [
        ("FAIL", "lint/checkpatch/kernel/irq/ims.c")], str(r))

    kd = ("kernel/irq/msi.c:40: warning: Function parameter or struct member "
          "'dev' not described in 'old_function'\n"
          "kernel/irq/msi.c:912: warning: No description found for return "
          "value of 'msi_ims_alloc'\n")
    r = lint.kerneldoc_results("kernel/irq/msi.c", kd, 0, added={900, 912})
    report("lint/kernel-doc-only-added-lines", statuses(r) == [
        ("FAIL", "lint/kernel-doc/kernel/irq/msi.c")] and ":912:" in r[0][2],
        str(r))
    r = lint.kerneldoc_results("kernel/irq/ims.c", kd, 0)
    report("lint/kernel-doc-own-file-all-lines", len(r) == 2 and
           all(s == "FAIL" for s, _, _ in r), str(r))
    # 7.x kernel-doc: "Warning: FILE:LINE text", continuation lines, repeats
    kd7 = ("Warning: include/linux/pci.h:203 missing initial short "
           "description on line:\n * typedef pci_channel_state_t\n"
           "Warning: include/linux/pci.h:2404 No description found for "
           "return value of 'pci_resource_is_mem'\n"
           "Warning: include/linux/pci.h:1900 No description found for "
           "return value of 'pci_ims_alloc_irq'\n"
           "Warning: include/linux/pci.h:203 missing initial short "
           "description on line:\n * typedef pci_channel_state_t\n")
    r = lint.kerneldoc_results("include/linux/pci.h", kd7, 0, added={1900})
    report("lint/kernel-doc-7x-format-only-added-lines", statuses(r) == [
        ("FAIL", "lint/kernel-doc/include/linux/pci.h")] and
        "pci_ims_alloc_irq" in r[0][2], str(r))
    r = lint.kerneldoc_results("include/linux/pci.h", kd7, 0, added={203})
    report("lint/kernel-doc-7x-continuation-joined", statuses(r) == [
        ("FAIL", "lint/kernel-doc/include/linux/pci.h")] and
        "typedef pci_channel_state_t" in r[0][2], str(r))
    r = lint.kerneldoc_results("kernel/irq/ims.c", "", 0)
    report("lint/kernel-doc-clean", statuses(r) == [
        ("PASS", "lint/kernel-doc/kernel/irq/ims.c")], str(r))

    mk = ("kernel/irq/ims.c:77:6: warning: no previous prototype for "
          "'ims_x' [-Wmissing-prototypes]\n"
          "  CHECK   kernel/irq/ims.c\n"
          "kernel/irq/other.c:5:1: warning: not ours\n"
          "kernel/irq/ims.c:90:21: warning: incorrect type in assignment "
          "(different address spaces)\n")
    r = lint.build_results("kernel/irq/ims.c", mk, 0)
    report("lint/w1-sparse-findings", statuses(r) == [
        ("FAIL", "lint/W=1+sparse/kernel/irq/ims.c")] * 2, str(r))
    r = lint.build_results("kernel/irq/ims.c", "make: *** [x] Error 2", 2)
    report("lint/w1-sparse-build-failure", statuses(r) == [
        ("FAIL", "lint/W=1+sparse/kernel/irq/ims.c")], str(r))

    # Sparse must really run: the kernel's Makefile turns C=1 off with one
    # warning when scripts/checker-valid.sh refuses the checker (Debian 12's
    # sparse 0.6.4 on Linux 7.3), and the build is otherwise clean.
    off = canned("lint-sparse-off.log")
    r = lint.build_results("kernel/irq/ims.c", off, 0)
    report("lint/sparse-disabled-is-failure", statuses(r) == [
        ("FAIL", "lint/W=1+sparse/kernel/irq/ims.c")] and
        "C=1 off" in r[0][2] and "not up to date" in r[0][2], str(r))
    on = canned("lint-sparse-on.log")
    r = lint.build_results("kernel/irq/ims.c", on, 0)
    report("lint/sparse-ran-clean", statuses(r) == [
        ("PASS", "lint/W=1+sparse/kernel/irq/ims.c")], str(r))
    r = lint.build_results("kernel/irq/ims.c", sub(
        on, "  CHECK   kernel/irq/ims.c\n", ""), 0)
    report("lint/no-check-line-is-failure", statuses(r) == [
        ("FAIL", "lint/W=1+sparse/kernel/irq/ims.c")] and
        "no CHECK line" in r[0][2], str(r))
    r = lint.build_results("kernel/irq/ims.c", sub(
        on, "  CHECK   kernel/irq/ims.c\n", "  CHECK   kernel/irq/ims_kunit.c\n"),
        0)
    report("lint/other-files-check-line-is-failure", statuses(r) == [
        ("FAIL", "lint/W=1+sparse/kernel/irq/ims.c")], str(r))
    # Debian's sparse 0.6.4 on Linux 7.3's MODULE_INFO(): an error in an
    # upstream header (and warnings there stay upstream's)
    r = lint.build_results("kernel/irq/ims.c", sub(
        on, "  CHECK   kernel/irq/ims.c\n", "  CHECK   kernel/irq/ims.c\n"
        "include/linux/module.h:230:1: error: bad constant expression\n"
        "include/linux/list.h:12:1: warning: upstream's own\n"), 0)
    report("lint/sparse-error-in-upstream-header-is-failure",
           statuses(r) == [("FAIL", "lint/W=1+sparse/kernel/irq/ims.c")] and
           "module.h:230" in r[0][2], str(r))

    no_sphinx = ("Documentation/Makefile:44: The 'sphinx-build' command was "
                 "not found. Make sure you have Sphinx installed and in PATH"
                 "\n\n  SKIP    Sphinx htmldocs target.\n")
    r = lint.htmldocs_results("core-api", no_sphinx, 0)
    report("lint/missing-sphinx-is-failure", statuses(r) == [
        ("FAIL", "lint/htmldocs/core-api")] and "sphinx-build" in r[0][2],
        str(r))
    r = lint.htmldocs_results("core-api", "", 0, have_sphinx=False)
    report("lint/no-sphinx-build-is-failure", statuses(r) == [
        ("FAIL", "lint/htmldocs/core-api")], str(r))
    r = lint.htmldocs_results(
        "core-api", "Documentation/core-api/irq/ims.rst:12: WARNING: "
        "undefined label: 'x'\nWARNING: dot(1) not found, for better output "
        "quality install graphviz from https://www.graphviz.org\n", 0)
    report("lint/htmldocs-warnings", statuses(r) == [
        ("FAIL", "lint/htmldocs/core-api")] and "ims.rst:12" in r[0][2],
        str(r))
    r = lint.htmldocs_results("core-api", "  SPHINX  htmldocs\n", 0)
    report("lint/htmldocs-clean", statuses(r) == [
        ("PASS", "lint/htmldocs/core-api")], str(r))


# --------------------------------------------------------------------------

def header_lint_tests(report):
    import lint
    out = ("include/linux/msi.h:450:9: warning: bad thing\n"
           "include/linux/msi.h:12:1: warning: upstream's own\n"
           "include/linux/irq_ims.h:3:1: error: ours\n")
    r = lint.header_results("include/linux/msi.h", out, added={450})
    report("lint/header-warning-on-added-line-fails",
           [s for s, _, _ in r] == ["FAIL"] and ":450:" in r[0][2], str(r))
    r = lint.header_results("include/linux/irq_ims.h", out)
    report("lint/own-header-warning-fails", [s for s, _, _ in r] == ["FAIL"],
           str(r))
    r = lint.header_results("include/linux/pci.h", out, added={1})
    report("lint/clean-header-passes", r == [
        ("PASS", "lint/W=1+sparse/include/linux/pci.h", "")], str(r))


def git_error_tests(report):
    import treecfg
    report("fresh-machine/git-missing-is-explained",
           "git is missing" in treecfg.git_error(None, ""))
    msg = treecfg.git_error(128, "fatal: detected dubious ownership in "
                            "repository at '/x'\n")
    report("fresh-machine/dubious-ownership-is-explained",
           "safe.directory" in msg, msg)


def series_tests(report):
    import series
    bad = ("diff --git a/MAINTAINERS b/MAINTAINERS\n--- a/MAINTAINERS\n"
           "+++ b/MAINTAINERS\n@@ -1,3 +1,3 @@\n-IRQ SUBSYSTEM\n"
           "+IRQ MSI INTERRUPT MESSAGE STORE (IMS)\n"
           "diff --git a/kernel/irq/msi.c b/kernel/irq/msi.c\n-old line\n")
    report("series/maintainers-removal-found",
           series.maintainers_removals(bad) == ["IRQ SUBSYSTEM"])
    good = bad.replace("-IRQ SUBSYSTEM\n", " IRQ SUBSYSTEM\n")
    report("series/maintainers-insertion-passes",
           series.maintainers_removals(good) == [])
    # the allyes-style configuration turns on every symbol the series adds
    syms = series.added_symbols()
    probs = series.allyes_problems()
    report("series/allyes-config-has-every-added-symbol",
           len(syms) >= 10 and not probs, f"{len(syms)} symbols; " +
           "; ".join(probs))
    frag = open(os.path.join(series.CONFIGS,
                             "series-allyes.config")).read()
    report("series/allyes-config-missing-symbol-found",
           series.allyes_problems(frag.replace(
               "CONFIG_SAMPLE_IMS_BENCH=y\n", ""), syms) ==
           ["CONFIG_SAMPLE_IMS_BENCH (added by the series) is not on in "
            "harness/configs/series-allyes.config"])
    # a prefix that links against a symbol a later patch defines is named
    link = ("  LD      vmlinux.o\n"
            "ld: vmlinux.o: in function `ims_kunit_create':\n"
            "ims_kunit.c:(.text+0x1b): undefined reference to "
            "`ims_create_domain'\n"
            "ims_kunit.c:(.text+0x4c): more undefined references to "
            "`ims_create_domain' follow\n"
            "make[2]: *** [scripts/Makefile.vmlinux_o:72: vmlinux.o] "
            "Error 1\n")
    probs = series.build_problems(link)
    report("series/undefined-reference-found",
           probs and "undefined reference to `ims_create_domain'" in
           probs[0], "; ".join(probs))
    report("series/modpost-undefined-found", series.build_problems(
        "ERROR: modpost: samples/ims/ims-edu.ko: symbol 'ims_create_domain'"
        " undefined!\n") != [])
    # a file an earlier run wrote that the series no longer touches goes
    # back to pristine (patched Makefile) or away (moved new file)
    with tempfile.TemporaryDirectory() as d:
        pri, src = os.path.join(d, "pristine"), os.path.join(d, "src")
        os.makedirs(os.path.join(pri, "drivers", "base"))
        for n in ("Makefile", "core.c"):
            with open(os.path.join(pri, "drivers", "base", n), "w") as f:
                f.write("pristine\n")
        subprocess.run(["cp", "-al", pri, src], check=True)
        series.put(src, "drivers/base/Makefile", b"patched\n")
        series.put(src, "drivers/base/ims.c", b"moved away\n")
        series.put(src, "kernel/irq/ims.c", b"still in the series\n")
        series.forget_dropped(src, {"kernel/irq/ims.c"}, pri)
        ok = (open(os.path.join(src, "drivers/base/Makefile")).read() ==
              "pristine\n" and
              not os.path.exists(os.path.join(src, "drivers/base/ims.c")) and
              os.path.exists(os.path.join(src, "kernel/irq/ims.c")) and
              os.path.samefile(os.path.join(src, "drivers/base/core.c"),
                               os.path.join(pri, "drivers/base/core.c")))
        report("series/prefix-tree-forgets-dropped-files", ok)
    # the objects of C files a prefix does not have are removed before it
    # is built, so a Makefile line naming one cannot link a stale object
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "kernel", "irq"))
        for n in ("ims.o", ".ims.o.cmd", "msi.o", ".msi.o.cmd"):
            open(os.path.join(d, "kernel", "irq", n), "w").close()
        gone = series.forget_objects(["kernel/irq/ims.c"], d)
        left = sorted(os.listdir(os.path.join(d, "kernel", "irq")))
        report("series/absent-source-objects-removed",
               sorted(gone) == ["kernel/irq/.ims.o.cmd", "kernel/irq/ims.o"]
               and left == [".msi.o.cmd", "msi.o"], f"{gone} {left}")
    # a patch's new C file that no configuration compiled is named
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "a", "drivers", "base"))
        open(os.path.join(d, "a", "drivers", "base", "ims.o"), "w").close()
        objs = [os.path.join(d, "a"), os.path.join(d, "b")]
        report("series/uncompiled-new-file-found",
               series.uncompiled(["drivers/base/ims.c",
                                  "drivers/pci/msi/ims.c"], objs) ==
               ["drivers/pci/msi/ims.c"])


def deps_tests(report):
    """deps.sh's snapshot.debian.org fallback: the failure paths, with a
    local stand-in for snapshot and no network (harness/deps_selftest.py;
    its --deb FILE runs the fetching ones too)."""
    import deps_selftest
    for name, ok, why in deps_selftest.scenarios():
        report(f"deps/{name}", ok, why)


def kunitpy_tests(report):
    """kunit.py's .kunitconfig and QEMU config against the manifest."""
    import kunitcfg
    probs = kunitcfg.coverage_problems()
    report("kunit-py/kunitconfig-covers-the-manifest", not probs,
           "; ".join(probs))
    kc = kunitcfg.read(treecfg.TOP, kunitcfg.KUNITCONFIG)
    qc = kunitcfg.read(treecfg.TOP, kunitcfg.QEMU_CONFIG)
    mf = kunitcfg.read(treecfg.TOP, "harness/expected/vtd.txt")
    edits = {
        # the .kunitconfig no longer builds ims_kunit.c
        "missing-symbol-found": dict(kunitconfig=kc.replace(
            "CONFIG_IRQ_MSI_IMS_KUNIT_TEST=y", "")),
        # the opt-in platform suite slipped into the .kunitconfig
        "opt-in-suite-found": dict(
            kunitconfig=kc + "CONFIG_IMS_PLATFORM_KUNIT_TEST=y\n"),
        # a suite of ims_kunit.c the manifest does not expect
        "unexpected-suite-found": dict(manifest="\n".join(
            l for l in mf.splitlines() if "kunit/ims_table_desc/" not in l)),
        # the QEMU config lost the edu device, the remapping, the variant
        "machine-without-edu-found": dict(qemu_config=qc.replace(
            "'edu,", "'pci-testdev,")),
        "machine-without-remapping-found": dict(qemu_config=qc.replace(
            "intremap=on", "intremap=off")),
        "undeclared-variant-found": dict(qemu_config=qc.replace(
            "ims_kunit.variant=vtd", "")),
    }
    for name, edit in edits.items():
        probs = kunitcfg.coverage_problems(**edit)
        report(f"kunit-py/{name}", bool(probs), "no problem reported")


def build_tests(report):
    """Warnings of incremental kernel builds, and the build matrix."""
    import buildlog
    import matrix
    log = ("  CC      kernel/irq/ims.o\n"
           "../src/kernel/irq/ims.c:12:3: warning: unused variable 'x'\n"
           "  CC [M]  samples/ims/ims-edu.o\n"
           "  LD      vmlinux.o\n"
           "vmlinux.o: warning: objtool: f+0x1: call without frame pointer\n"
           "  MODPOST Module.symvers\n"
           "WARNING: modpost: missing MODULE_DESCRIPTION() in x.o\n")
    st = buildlog.update({}, log)
    report("build/warnings-recorded-per-step",
           sorted(st) == ["kernel/irq/ims", "modpost", "vmlinux"] and
           all(s == "FAIL" for s, _, _ in buildlog.results(st)), str(st))
    # An incremental build that does not recompile ims.o keeps its warning
    st2 = buildlog.update(st, "  CC      kernel/irq/other.o\n")
    report("build/warning-survives-incremental-build",
           "kernel/irq/ims" in st2, str(st2))
    st3 = buildlog.update(st, "  CC      kernel/irq/ims.o\n"
                          "  MODPOST Module.symvers\n")
    report("build/recompiled-clean-object-clears-its-warning",
           sorted(st3) == ["vmlinux"], str(st3))
    # A warning in a header belongs to the file that included it: cleared
    # when that file compiles cleanly again
    hdr = ("  CC      kernel/irq/ims.o\n"
           "In file included from ../src/kernel/irq/ims.c:44:\n"
           "../src/kernel/irq/ims.c: In function 'ims_info_valid':\n"
           "../src/include/linux/overflow.h:154:9: warning: ignoring return\n")
    st4 = buildlog.update({}, hdr)
    st5 = buildlog.update(st4, "  CC      kernel/irq/ims.o\n")
    report("build/header-warning-cleared-with-its-includer",
           sorted(st4) == ["kernel/irq/ims"] and st5 == {}, f"{st4} {st5}")
    report("build/clean-build-passes", buildlog.results({}) ==
           [("PASS", "build/no-warnings", "")])
    frag = "CONFIG_PCI=y\nCONFIG_KUNIT=n\nCONFIG_SAMPLE_IMS_EDU=m\n"
    cfg = "CONFIG_PCI=y\nCONFIG_KUNIT=y\n"
    bad = matrix.config_problems(frag, cfg)
    report("matrix/dropped-config-options-fail", len(bad) == 2, str(bad))
    report("matrix/kept-config-passes",
           not matrix.config_problems(frag, "CONFIG_PCI=y\n"
                                      "CONFIG_SAMPLE_IMS_EDU=m\n"))
    w = matrix.warnings_of("  CC kernel/irq/ims.o\n"
                           "kernel/irq/ims.c:3:1: error: x\n"
                           "WARNING: modpost: y\nmake[2]: *** Error 2\n")
    report("matrix/warnings-and-errors-found", len(w) == 2, str(w))


def bench_tap(drop=(), got=None, edit=None):
    """A canned tap.log of a bench run (tests/guest/bench.sh): every
    block, or without the blocks in drop; got: vectors of every growth;
    edit: {block: function(lines) -> lines} to spoil a block."""
    kinds = ["ims-mem", "ims-mmio", "msix"]
    checks = (["ims-bench module loads"] +
              [f"{k} device bound" for k in kinds] +
              ["set-up and tear-down of every kind"] +
              [f"growth of {k}, freed {o}" for o in ("lifo", "fifo")
               for k in kinds] +
              [f"occupancy probes of {k}" for k in kinds] +
              [f"memory of the vectors of {k}" for k in kinds] +
              ["mask and unmask of every kind",
               "ims-bench module unloads with vectors held",
               "no vector of the benchmark is left"])
    out = ["IMS-HARNESS: begin variant=bench edu=2 kernel=7.3.4 only= "
           "kunit_filter=", "GUEST-TEST bench timeout=600",
           f"1..{len(checks)}"]
    edit = edit or {}

    def block(name, lines):
        if name not in drop:
            lines = edit.get(name, lambda x: x)(lines)
            out.extend([f"BENCH-DATA {name}"] + lines + [f"BENCH-END {name}"])

    block("machine", ["cpus=16", "cpu=QEMU TCG CPU", "kernel=7.3.4",
                      "clocksource_start=tsc", "loadavg_start=0.1 0.1 0.1"])
    block("params", ["iters=4 grow=8 step=2 oreps=3 hold=4 mreps=3 mask=4"])
    block("devices", [f"kind={k} device=0000:00:0{i}.0 entries="
                      f"{8192 if k != 'msix' else 2048} doorbells=0 "
                      f"table_host_bytes={262144 if k == 'ims-mem' else 0} "
                      "held=0" for i, k in enumerate(kinds)] +
          ["percpu_bytes_per_irq_desc=64"])
    block("setup", [f"setup kind={k} n=4 alloc_median_ns=10 "
                    "request_irq_median_ns=20 free_irq_median_ns=30 "
                    f"free_median_ns=40 total_median_ns={100 + i} "
                    f"total_p99_ns=200 doorbells={8 if k == 'ims-mem' else 0}"
                    for i, k in enumerate(kinds)] + ["done"])
    n = 8 if got is None else got
    for o in ("lifo", "fifo"):
        for k in kinds:
            if o == "lifo":
                block(f"vector-{k}", ["Global available:   3000",
                                      "Global reserved:      10"])
            block(f"grow-{o}-{k}",
                  [f"grow kind={k} max=8 got={n} stop_errno=0 order={o}"] +
                  [f"g {k} {i} {100 + i} {200 + i}"
                   for i in range(1, n + 1)] + ["done"])
    for k in kinds:
        block(f"occupancy-{k}", [f"o {k} {x} {100 + x} {200 + x}"
                                 for x in range(0, 9, 2)] +
              [f"occupancy kind={k} max=8 step=2 reps=3 held=8 "
               "stop_errno=0", "done"])
    for r in range(3):
        for k in kinds:
            block(f"mem-before-{k}-{r}", [
                "Slab: 1000 kB", "VmallocUsed: 8 kB", "Percpu: 50 kB",
                "slab kmalloc-256 100 256 256", "slab irq_desc 10 512 512"])
            block(f"hold-{k}-{r}", [f"hold kind={k} max=4 got=4 "
                                    "stop_errno=0", "done"])
            block(f"mem-after-{k}-{r}", [
                "Slab: 1004 kB", "VmallocUsed: 8 kB", "Percpu: 51 kB",
                "slab kmalloc-256 104 256 256",
                f"slab irq_desc {14 + r} 512 512"])
    block("mask", [f"mask kind={k} n=4 median_ns=50 p99_ns=90 "
                   f"doorbells={8 if k == 'ims-mem' else 0}"
                   for k in kinds] + ["done"])
    block("conditions", ["clocksource_end=tsc", "loadavg_end=0.2 0.2 0.2"])
    out += [f"ok {i} - {c}" for i, c in enumerate(checks, 1)]
    out += ["GUEST-EXIT bench 0", "KERNEL-TAINTED 0", guestlog.DONE]
    return "\n".join(out) + "\n"


def bench_tests(report):
    """The benchmark's evaluation: every figure of a run, a missing or a
    nonsensical figure or a missing output fails by name (speed is never
    judged)."""
    import bench
    import tempfile
    res = bench.figures(bench_tap())
    m = res["memory"]["ims-mem"]
    report("bench/complete-run-has-every-figure",
           bench.missing_figures(res) == [] and bench.nonsense(res) == [] and
           res["setup_ratio"]["ims-mem"] == round(100 / 102, 3) and
           # 4 x 256 + 4..6 x 512 bytes over 4 vectors: 768..1024
           (m["bytes_per_vector"], m["bytes_per_vector_min"],
            m["bytes_per_vector_max"]) == (896, 768, 1024) and
           m["with_table_bytes_per_vector"] == 896 + 262144 // 4 and
           res["scale"]["ims-mem"]["vector_allocatable_before"] == 2990 and
           res["scale"]["msix"]["vectors"] == 9,
           str(bench.missing_figures(res) + bench.nonsense(res)))
    sl = res["slopes"]["ims-mem"]
    # The canned costs grow by exactly 1 ns per vector held (set-up,
    # occupancy), fall by 1 ns per vector held (tear-down oldest first)
    report("bench/slopes-of-the-canned-series",
           sl["setup"]["ns_per_vector"] == 1.0 and
           sl["teardown_fifo"]["ns_per_vector"] == -1.0 and
           sl["occupancy_setup"]["ns_per_vector"] == 1.0 and
           res["slopes"]["range"] == [0, 7], str(sl))
    # Memory within the spread of MSI-X's is reported as indistinguishable
    verdicts = {g["goal"]: g["verdict"] for g in res["goals"]}
    report("bench/memory-goal-within-the-spread-is-no-verdict",
           verdicts["ims-mem memory per vector <= MSI-X's"].startswith(
               "indistinguishable") and verdicts[
               "ims-mem memory per vector <= MSI-X's, its table in host "
               "memory included"] == "NOT met", str(verdicts))
    miss = dict(bench.missing_figures(bench.figures(
        bench_tap(drop=("mask", "mem-after-ims-mmio-0", "mem-after-ims-mmio-1",
                        "mem-after-ims-mmio-2")))))
    report("bench/missing-blocks-are-missing-figures",
           sorted(miss) == ["mask/ims-mem", "mask/ims-mmio", "mask/msix",
                            "mask_ratio/ims-mem", "mask_ratio/ims-mmio",
                            "memory/ims-mmio"],
           str(miss))
    miss = dict(bench.missing_figures(bench.figures(bench_tap(got=0))))
    report("bench/growth-without-a-vector-fails",
           all(f"growth/{k}" in miss for k in bench.KINDS), str(miss))

    def sub(a, b):
        return lambda lines: [ln.replace(a, b) for ln in lines]

    # One spoiled block per case: the figure it must fail, by name
    cases = [
        ("negative-memory", {"mem-after-msix-1": sub("irq_desc 15", "irq_desc 1")},
         "memory/msix"),
        ("absurd-memory", {"mem-after-ims-mem-0": sub("irq_desc 14", "irq_desc 999")},
         "memory/ims-mem"),
        ("fewer-vectors-held", {"hold-ims-mmio-2": sub("got=4", "got=3")},
         "memory/ims-mmio"),
        ("a-repetition-lost", {"hold-msix-2": lambda x: []}, "memory/msix"),
        ("no-slab-cache-read", {"mem-after-ims-mem-1": lambda x: x[:3]},
         "memory/ims-mem"),
        ("wrong-round-count", {"setup": sub("kind=msix n=4", "kind=msix n=3")},
         "setup/msix"),
        ("zero-step-median", {"setup": sub("free_irq_median_ns=30", "free_irq_median_ns=0")},
         "setup/ims-mem"),
        ("steps-do-not-add-up", {"setup": sub("total_median_ns=101", "total_median_ns=9101")},
         "setup/ims-mmio"),
        ("growth-record-lost", {"grow-lifo-ims-mmio": lambda x: x[:3] + x[4:]},
         "growth/ims-mmio"),
        ("growth-cut-off", {"grow-fifo-msix": lambda x: x[:-1]},
         "output/grow-fifo-msix"),
        ("occupancy-probe-lost", {"occupancy-msix": lambda x: x[1:]},
         "occupancy/msix"),
        ("no-sync-doorbell", {"setup": sub("doorbells=8", "doorbells=0")},
         "setup/ims-mem"),
        ("doorbell-without-sync", {"mask": sub("kind=msix n=4 median_ns=50 p99_ns=90 doorbells=0",
                                               "kind=msix n=4 median_ns=50 p99_ns=90 doorbells=3")},
         "mask/msix"),
        ("more-than-available", {"vector-ims-mem": sub("3000", "7")},
         "scale/ims-mem"),
        ("mask-count", {"mask": sub("kind=ims-mmio n=4", "kind=ims-mmio n=5")},
         "mask/ims-mmio"),
    ]
    for name, edit, want in cases:
        bad = bench.nonsense(bench.figures(bench_tap(edit=edit)))
        report(f"bench/nonsense/{name}", any(n == want for n, _ in bad),
               str(bad))
    with tempfile.TemporaryDirectory() as d:
        for name, tap, want in (
                ("complete", bench_tap(), []),
                ("missing", bench_tap(drop=("grow-lifo-msix",)),
                 ["bench/figure/growth/msix", "bench/figure/scale/msix",
                  "bench/figure/slopes/ims-mem", "bench/figure/slopes/ims-mmio",
                  "bench/figure/slopes/msix"]),
                ("nonsensical", bench_tap(edit={
                    "mem-after-msix-1": sub("irq_desc 15", "irq_desc 1")}),
                 ["bench/figure/memory/msix"])):
            logs = os.path.join(d, name)
            os.makedirs(logs)
            open(os.path.join(logs, "tap.log"), "w").write(tap)
            open(os.path.join(logs, "console.log"), "w").write("")
            got = []
            bench.evaluate_run(lambda s, n, w="": got.append((s, n, w)),
                               logs, os.path.join(logs, "out"), False, 0, 60)
            failed = sorted(n for s, n, _ in got if s != "PASS")
            report(f"bench/evaluation-of-a-{name}-run",
                   failed == want and any(n == "bench/boot" for _, n, _ in got)
                   and os.path.exists(os.path.join(logs, "out", "plot.png")),
                   str(failed))


def hung_guest_test(report):
    """A real hung "guest": a fake QEMU that prints and never exits must be
    killed at the timeout and reported by name."""
    import check
    logdir = os.path.join(check.LOGS, "selftest-hang")
    t0 = time.time()
    timed_out, _ = check.run_qemu([os.path.join(HERE, "fake-qemu-hang.sh"),
                                   logdir], logdir, 3)
    dt = time.time() - t0
    r = guestlog.evaluate("fake", check.read(os.path.join(logdir,
                                                          "console.log")),
                          check.read(os.path.join(logdir, "tap.log")),
                          timed_out, 3, None)
    ok = timed_out and dt < 20 and any(
        s == "FAIL" and n == "fake/boot" and "hung" in w for s, n, w in r)
    report("hung-guest-is-killed", ok,
           "" if ok else f"timed_out={timed_out} after {dt:.0f}s: {r}")


def run(res, update_golden=False):
    """All self-tests, reported into res (check.py's Results)."""
    def report(name, ok, why=""):
        res.add("PASS" if ok else "FAIL", f"harness/{name}",
                "" if ok else (why or "failed"))

    golden_tests(report, update_golden)
    message_tests(report)
    manifest_tests(report)
    lint_tests(report)
    build_tests(report)
    header_lint_tests(report)
    series_tests(report)
    deps_tests(report)
    kunitpy_tests(report)
    bench_tests(report)
    git_error_tests(report)
    hung_guest_test(report)
    import selftest_tree
    selftest_tree.run(lambda name, ok: report(name, ok))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--update-golden", action="store_true",
                    help="rewrite harness/selftest/golden/ from the cases")
    a = ap.parse_args()
    import check
    res = check.Results()
    run(res, a.update_golden)
    print(f"{res.count('PASS')} passed, {res.count('FAIL')} failed, "
          f"{res.count('SKIP')} skipped")
    return 1 if res.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
