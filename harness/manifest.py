#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The expected results of each machine variant (harness/expected/VARIANT.txt).

Every KUnit case and every in-guest check a variant must report is listed,
with the only SKIPs allowed there and their exact reasons:

  PASS kunit/SUITE/CASE
  PASS guest/PROGRAM: check
  SKIP kunit/SUITE/CASE # the exact reason the test gives

The guest stage compares each run with it: a listed result that is missing,
a result that is not listed, a SKIP that is not listed (or has another
reason) and a listed SKIP that ran all FAIL.  Nothing may skip on vtd; no
KUnit case may skip on dsa (its guest skips are the edu-only programs, which
run on vtd).
Partial runs (TESTS=, KUNIT_FILTER=) compare only the part they select; a
selection that matches nothing listed is an error.

usage: manifest.py [--variants=vtd,...] [--logs=DIR]
  (also: check.py --update-manifest) rewrites the manifests from the logs of
  the latest full run, build/logs/VARIANT/{tap.log,console.log}; it refuses
  a run with any FAIL, a partial run, SKIPs on vtd and KUnit SKIPs on dsa.
"""
import argparse
import fnmatch
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guestlog  # noqa: E402
import treecfg  # noqa: E402

EXPECTED = os.path.join(treecfg.TOP, "harness", "expected")
VARIANTS = ("vtd", "dsa", "vtd-caching", "amdvi", "none")
# The bench machine (harness/bench.py's smoke run, logs in build/logs/bench)
# is recorded only when named: --update-manifest --variants=bench
OTHER_MACHINES = ("bench",)
NO_SKIPS = ("vtd", "bench")     # machines that run everything
NO_KUNIT_SKIPS = ("dsa",)       # machines that run every KUnit case
TRACKED = ("kunit/", "guest/")


def path(variant, where=EXPECTED):
    return os.path.join(where, f"{variant}.txt")


def shown(p):
    return os.path.relpath(p, treecfg.TOP) if p.startswith(treecfg.TOP) \
        else p


def relative(variant, name):
    """A result name without its "VARIANT/" prefix."""
    return name[len(variant) + 1:] if name.startswith(variant + "/") else name


def tracked(rel):
    return rel.startswith(TRACKED)


def skip_rule(variant, rel):
    """Why result rel may not skip on variant, or "" when it may."""
    if variant in NO_SKIPS:
        return f"nothing may skip on {variant}"
    if variant in NO_KUNIT_SKIPS and rel.startswith("kunit/"):
        return f"no KUnit case may skip on {variant}"
    return ""


# --------------------------------------------------------------------------
# The file

def parse(variant, text):
    """[(status, name, reason)] of a manifest; ValueError when malformed."""
    out = []
    names = set()
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        status, _, rest = line.partition(" ")
        why = ""
        if status == "SKIP":
            rest, sep, why = rest.partition(" # ")
            why = why.strip()
            if not sep or not why:
                raise ValueError(f"line {n}: a SKIP needs its reason "
                                 "(SKIP NAME # REASON)")
            rule = skip_rule(variant, rest.strip())
            if rule:
                raise ValueError(f"line {n}: {rule}")
        elif status != "PASS":
            raise ValueError(f"line {n}: expected PASS or SKIP, got "
                             f"{status!r}")
        name = rest.strip()
        if not tracked(name):
            raise ValueError(f"line {n}: {name!r} is not a kunit/ or guest/ "
                             "result")
        if name in names:
            raise ValueError(f"line {n}: {name} is listed twice")
        names.add(name)
        out.append((status, name, why))
    return out


def load(variant, where=EXPECTED):
    """(entries, None) or (None, why)."""
    p = path(variant, where)
    try:
        text = open(p).read()
    except OSError:
        return None, (f"{shown(p)} is missing: record it with "
                      "python3 harness/check.py --update-manifest")
    try:
        entries = parse(variant, text)
    except ValueError as e:
        return None, f"{shown(p)}: {e}"
    if not entries:
        return None, f"{shown(p)} lists no results"
    return entries, None


def format_manifest(variant, entries, info):
    if variant in OTHER_MACHINES:
        head = [
            "# SPDX-License-Identifier: GPL-2.0",
            f"# Expected results on the '{variant}' machine, checked by the "
            f"{variant} stage",
            "# of harness/check.py (harness/bench.py --smoke): a listed "
            "result that is",
            "# missing, a result not listed here and any SKIP fail.",
            "# Regenerate from the latest smoke run (python3 harness/check.py "
            "--stage bench)",
            f"#   python3 harness/check.py --update-manifest --variants={variant}",
            f"# Recorded from: kernel {info.get('kernel') or '?'}.",
        ]
        return "\n".join(head + [f"PASS {n}" for _, n, _ in entries]) + "\n"
    head = [
        "# SPDX-License-Identifier: GPL-2.0",
        f"# Expected results on the '{variant}' machine variant, checked by "
        "the guest",
        "# stage of harness/check.py: a listed result that is missing, a "
        "result not",
        "# listed here, a SKIP not listed here (or with another reason) and "
        "a listed",
        "# SKIP that ran all FAIL.  Nothing may skip on vtd.",
        "# Regenerate from the latest full run (make guest) with",
        f"#   python3 harness/check.py --update-manifest --variants={variant}",
        f"# Recorded from: kernel {info.get('kernel') or '?'}, "
        f"{info.get('edu') or '?'} edu devices.",
    ]
    body = [f"SKIP {n} # {w}" if s == "SKIP" else f"PASS {n}"
            for s, n, w in entries]
    return "\n".join(head + body) + "\n"


# --------------------------------------------------------------------------
# Partial runs

class Selection:
    """What a run was asked to run: in-guest tests (TESTS=, comma-separated
    program names; empty: all) and KUnit (KUNIT_FILTER=, kunit.filter_glob:
    SUITE_GLOB or SUITE_GLOB.CASE_GLOB; empty: all)."""

    def __init__(self, tests="", kunit_filter=""):
        self.tests = [t for t in tests.split(",") if t] if tests else []
        self.kunit_filter = kunit_filter or ""

    def __bool__(self):
        return bool(self.tests or self.kunit_filter)


def kunit_selected(glob, rel):
    """Does kunit.filter_glob select kunit/SUITE[/CASE]?  (The kernel's
    semantics: split at the first '.', the suite glob matches the suite
    name, the optional case glob the case name.)"""
    if not glob:
        return True
    parts = rel.split("/", 2)
    suite, case = parts[1], parts[2] if len(parts) > 2 else None
    sglob, _, cglob = glob.partition(".")
    if not fnmatch.fnmatchcase(suite, sglob):
        return False
    return not cglob or case is None or fnmatch.fnmatchcase(case, cglob)


def guest_program(rel):
    """PROGRAM of guest/PROGRAM: check (or guest/PROGRAM)."""
    return rel[len("guest/"):].split(":", 1)[0]


# KUnit suites in modules that an in-guest test loads: they run only when
# that test does.
SUITE_LOADED_BY = {"idxd_ims_e2e": "dsa_ims", "idxd_ims_e2e_no_handle_cmds": "dsa_ims",
                   "idxd_ims_e2e_halt": "dsa_ims"}


def selected(rel, sel):
    if rel.startswith("kunit/"):
        prog = SUITE_LOADED_BY.get(rel.split("/", 2)[1])
        if prog and sel.tests and prog not in sel.tests:
            return False
        return kunit_selected(sel.kunit_filter, rel)
    if rel.startswith("guest/"):
        return not sel.tests or guest_program(rel) in sel.tests
    return True


def selection_errors(variant, entries, sel, where=EXPECTED):
    """Results naming the parts of a selection that match nothing the
    manifest lists (a typo in TESTS= or KUNIT_FILTER=)."""
    out = []
    progs = sorted({guest_program(n) for _, n, _ in entries
                    if n.startswith("guest/")})
    for t in sel.tests:
        if t not in progs:
            out.append(("FAIL", f"{variant}/selection",
                        f"TESTS: '{t}' is no in-guest test of "
                        f"{shown(path(variant, where))} (known: "
                        f"{', '.join(progs) or 'none'})"))
    if sel.kunit_filter and not any(
            kunit_selected(sel.kunit_filter, n) for _, n, _ in entries
            if n.startswith("kunit/")):
        out.append(("FAIL", f"{variant}/selection",
                    f"KUNIT_FILTER: '{sel.kunit_filter}' matches no KUnit "
                    f"suite or case of {shown(path(variant, where))}"))
    return out


# --------------------------------------------------------------------------
# Comparison

def missing_why(rel, seen):
    """Why an expected result is missing, as far as the run tells."""
    if rel.startswith("kunit/"):
        suite = rel.split("/")[1]
        if not any(s.split("/")[1] == suite for s in seen
                   if s.startswith("kunit/")):
            return (f"expected result missing: suite {suite} never reported "
                    "(not built, never registered, or filtered out)")
        return f"expected result missing: suite {suite} did not report it"
    prog = guest_program(rel)
    if not any(guest_program(s) == prog for s in seen
               if s.startswith("guest/")):
        return f"expected result missing: in-guest test {prog} never ran"
    return (f"expected result missing: {prog} did not report it (removed, "
            "renamed, or the program stopped early)")


def compare(variant, results, entries, sel, where=EXPECTED):
    """The results of a run checked against the manifest entries: matching
    PASS and SKIP results stay, everything else becomes a FAIL, and every
    selected entry the run did not report is a FAIL of its own."""
    mf = shown(path(variant, where))
    expected = {n: (s, w) for s, n, w in entries if selected(n, sel)}
    listed = {n for _, n, _ in entries}
    out = []
    seen = {}
    for status, name, why in results:
        rel = relative(variant, name)
        if not tracked(rel):
            out.append((status, name, why))
            continue
        seen[rel] = seen.get(rel, 0) + 1
        if seen[rel] > 1:
            if seen[rel] == 2:
                out.append(("FAIL", name, "reported more than once: result "
                            "names must be unique"))
            continue
        exp = expected.get(rel)
        if status == "FAIL":
            out.append((status, name, why))
        elif exp is None and rel in listed:
            out.append(("FAIL", name, "ran although the selection "
                        "(TESTS=/KUNIT_FILTER=) left it out"))
        elif exp is None:
            out.append(("FAIL", name, f"unexpected result, not in {mf} (a "
                        "new or renamed test? record it with "
                        "check.py --update-manifest)" +
                        (f"; it skipped: {why}" if status == "SKIP" else "")))
        elif status == "SKIP" and exp[0] == "PASS":
            rule = skip_rule(variant, rel)
            rule = f" ({rule})" if rule else ""
            out.append(("FAIL", name, f"skipped ({why}), but {mf} expects "
                        f"it to run{rule}"))
        elif status == "SKIP" and why != exp[1]:
            out.append(("FAIL", name, f"skipped for '{why}', {mf} allows "
                        f"only '{exp[1]}'"))
        elif status == "PASS" and exp[0] == "SKIP":
            out.append(("FAIL", name, f"ran, but {mf} expects SKIP "
                        f"({exp[1]}): skips come from the machine variant"))
        else:
            out.append((status, name, why))
    for rel in expected:
        if rel not in seen:
            out.append(("FAIL", f"{variant}/{rel}", missing_why(rel, seen)))
    return out


def check(variant, results, sel, where=EXPECTED):
    """The guest stage's view of a run: compared with the manifest, or the
    results as they are plus one FAIL when there is no usable manifest."""
    entries, why = load(variant, where)
    if entries is None:
        return results + [("FAIL", f"{variant}/manifest", why)]
    return compare(variant, results, entries, sel, where)


# --------------------------------------------------------------------------
# Recording

def record(variant, console, tap):
    """(entries, info, problems) of a finished run: the manifest entries
    it supports, and why it must not be recorded (empty when it may)."""
    info = guestlog.run_info(console, tap)
    results = guestlog.evaluate(variant, console, tap, False, None, 0)
    problems = []
    if not tap.strip():
        problems.append("no tap.log: run the guest first (make guest "
                        f"VARIANTS={variant})")
        return [], info, problems
    if info["variant"] and info["variant"] != variant:
        problems.append(f"the logs are of variant '{info['variant']}'")
    if info["only"] or info["kunit_filter"]:
        problems.append(f"a partial run (TESTS={info['only']} "
                        f"KUNIT_FILTER={info['kunit_filter']}): record a "
                        "full run")
    for s, n, w in results:
        if s == "FAIL":
            problems.append(f"FAIL {n}: {w}")
    entries = []
    names = set()
    for s, n, w in results:
        rel = relative(variant, n)
        if s == "FAIL" or not tracked(rel):
            continue
        if rel in names:
            problems.append(f"{rel} is reported more than once")
            continue
        names.add(rel)
        if s == "SKIP" and skip_rule(variant, rel):
            problems.append(f"SKIP {rel}: {w} ({skip_rule(variant, rel)})")
        entries.append((s, rel, w if s == "SKIP" else ""))
    if not entries:
        problems.append("no KUnit or in-guest results")
    return entries, info, problems


def update(variants, logs, where=EXPECTED, out=sys.stdout):
    """Rewrite the manifests of variants from logs/VARIANT; returns the
    number of variants refused."""
    refused = 0
    for v in variants:
        d = os.path.join(logs, v)
        console = read_text(os.path.join(d, "console.log"))
        tap = read_text(os.path.join(d, "tap.log"))
        entries, info, problems = record(v, console, tap)
        p = path(v, where)
        if problems:
            refused += 1
            print(f"manifest: not recording {shown(p)} from {shown(d)}:",
                  file=out)
            for pr in problems:
                print(f"  {pr}", file=out)
            continue
        old, _ = load(v, where)
        fresh = old is None
        old = {(s, n, w) for s, n, w in old or []}
        new = set(entries)
        os.makedirs(where, exist_ok=True)
        with open(p + ".tmp", "w") as f:
            f.write(format_manifest(v, entries, info))
        os.replace(p + ".tmp", p)
        print(f"manifest: wrote {shown(p)}: {len(entries)} results "
              f"({sum(1 for e in entries if e[0] == 'SKIP')} skips), "
              f"{len(new - old)} new, {len(old - new)} gone", file=out)
        if fresh:
            continue
        for s, n, w in sorted(old - new, key=lambda e: e[1]):
            print(f"  - {s} {n}" + (f" # {w}" if w else ""), file=out)
        for s, n, w in sorted(new - old, key=lambda e: e[1]):
            print(f"  + {s} {n}" + (f" # {w}" if w else ""), file=out)
    return refused


read_text = treecfg.read_text


def main(argv=None):
    ap = argparse.ArgumentParser(description="Record the expected results "
                                 "of each machine variant from the latest "
                                 "run's logs.")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--logs", default=os.path.join(treecfg.BUILD, "logs"),
                    help="directory with VARIANT/{tap.log,console.log}")
    ap.add_argument("--expected", default=EXPECTED,
                    help="where the manifests live")
    a = ap.parse_args(argv)
    vs = [v for v in a.variants.split(",") if v]
    bad = [v for v in vs if v not in VARIANTS + OTHER_MACHINES]
    if bad:
        print(f"manifest: unknown variant(s) {', '.join(bad)}")
        return 2
    return 1 if update(vs, a.logs, a.expected) else 0


if __name__ == "__main__":
    sys.exit(main())
