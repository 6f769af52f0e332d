# SPDX-License-Identifier: GPL-2.0
"""Lint stage: SPDX lines, checkpatch --strict, kernel-doc, the htmldocs of
our Documentation/ directories, and W=1 + sparse on our objects.

The tools run here; what their output means is decided by the pure
*_results() functions below, which the self-tests feed canned output.
"""
import difflib
import os
import re
import shutil
import subprocess

import treecfg


read = treecfg.read_text


# --------------------------------------------------------------------------
# Output to results (pure)

def line_of(msg):
    # "file.c:12: warning: ..." (gcc, sparse, 6.x kernel-doc) or
    # "Warning: file.c:12 No description ..." (7.x kernel-doc)
    m = re.search(r"\S:(\d+)(?::|\s|$)", msg)
    return int(m.group(1)) if m else None


def only_added(msgs, added):
    """The messages about lines our patches added (added: a set of line
    numbers, or None for a file that is entirely ours).  A message without
    a line number is always kept."""
    if added is None:
        return msgs
    return [m for m in msgs if line_of(m) is None or line_of(m) in added]


def checkpatch_results(name, stdout, stderr, rc):
    """checkpatch --terse --show-types output: one FAIL per finding."""
    findings = [ln for ln in stdout.splitlines()
                if re.search(r": (ERROR|WARNING|CHECK):", ln)]
    if "Traceback" in stderr:
        findings.append("0: ERROR:CHECKPATCH_HELPER: " +
                        stderr.strip().splitlines()[-1])
    out = []
    for f in findings:
        m = re.match(r"^[^:]*:(\d+): (.*)$", f)
        why = f"line {m.group(1)}: {m.group(2)}" if m else f
        out.append(("FAIL", f"lint/checkpatch/{name}", why))
    if not findings:
        out.append(("PASS" if rc == 0 else "FAIL", f"lint/checkpatch/{name}",
                    stdout.strip()[:300] or
                    (f"exit {rc}: {stderr.strip()[-300:]}" if rc else "")))
    return out


def kerneldoc_results(name, output, rc=0, added=None):
    """scripts/kernel-doc -none -Wall output: every message is a finding.
    A line without a file:line position continues the message before it
    (7.x prints the offending source line below some warnings); 7.x also
    prints some messages twice, once is enough."""
    msgs = []
    for ln in output.splitlines():
        if not ln.strip():
            continue
        if msgs and line_of(ln) is None and \
                not re.match(r"^(Warning|warning|error|Error)\b", ln):
            msgs[-1] += " " + ln.strip()
        else:
            msgs.append(ln)
    msgs = only_added(list(dict.fromkeys(msgs)), added)
    out = [("FAIL", f"lint/kernel-doc/{name}", m) for m in msgs]
    if not msgs:
        out.append(("PASS", f"lint/kernel-doc/{name}", "") if rc == 0 else
                   ("FAIL", f"lint/kernel-doc/{name}", f"exit {rc}"))
    return out


# The project's sparse (harness/sparse.sh): Debian 12's sparse 0.6.4 with
# patches/sparse/series.  Debian's own sparse does not parse
# __typeof_unqual__, which Linux 7.3's scripts/checker-valid.sh requires.
SPARSE = os.path.join(treecfg.BUILD, "sparse", "build", "sparse")

# What the kernel's Makefile says when scripts/checker-valid.sh refuses
# the checker; it then sets KBUILD_CHECKSRC = 0 and checks nothing.
CHECKER_OFF = re.compile(r"C=\d+ specified, but .* is not available or "
                         r"not up to date")


def build_results(name, output, rc, added=None):
    """make W=1 C=1 FILE.o output (not silent): every warning or error
    about the file, and every error elsewhere (sparse stopped at an
    upstream header).  Sparse must have checked the file: kbuild's
    "  CHECK   FILE" line is the proof, and the kernel's checker-refused
    warning (C=1 silently turned off) is a failure whatever else the
    build printed."""
    test = f"lint/W=1+sparse/{name}"
    msgs = only_added([ln for ln in output.splitlines()
                       if re.search(r"(warning|error):", ln) and name in ln],
                      added)
    out = [("FAIL", test, m) for m in msgs]
    # An error of sparse in a file that is not ours (an upstream header
    # it cannot parse) means that part of the file went unchecked.
    out += [("FAIL", test, "sparse could not check all of it: " + ln)
            for ln in dict.fromkeys(output.splitlines())
            if re.match(r"^\S+:\d+:\d+: error: ", ln) and name not in ln]
    off = CHECKER_OFF.search(output)
    if off:
        out.append(("FAIL", test, "sparse did not run, the kernel turned "
                    "C=1 off (make sparse builds the project's sparse): " +
                    off.group(0)))
    elif rc == 0 and not re.search(r"^\s*CHECK\s+" + re.escape(name) + r"$",
                                   output, re.M):
        out.append(("FAIL", test, "sparse did not run: no CHECK line for "
                    "the file in the build output"))
    if rc != 0 and not msgs:
        out.append(("FAIL", test, output.strip()[-300:]))
    elif not out:
        out.append(("PASS", test, ""))
    return out


def header_results(name, output, added=None):
    """W=1/sparse findings about a header, from the output of compiling
    the objects that include it (pure)."""
    msgs = only_added(list(dict.fromkeys(
        ln for ln in output.splitlines()
        if re.search(r"(warning|error):", ln) and
        ln.startswith(name + ":"))), added)
    out = [("FAIL", f"lint/W=1+sparse/{name}", m) for m in msgs]
    return out or [("PASS", f"lint/W=1+sparse/{name}", "")]


def htmldocs_results(d, output, rc, have_sphinx=True):
    """make htmldocs SPHINXDIRS=d output.  Without sphinx-build the kernel's
    Documentation/Makefile prints "SKIP Sphinx htmldocs target" and exits 0:
    that is a failure here, the pages were not checked."""
    name = f"lint/htmldocs/{d}"
    if not have_sphinx or re.search(r"SKIP\s+Sphinx", output) or \
            "command was not found" in output:
        return [("FAIL", name, "sphinx-build not found, the documentation "
                 "was not built: install python3-sphinx (make deps)")]
    msgs = [ln for ln in output.splitlines()
            if re.search(r"(WARNING|ERROR|CRITICAL)", ln) and
            "dot(1) not found" not in ln]
    out = [("FAIL", name, m) for m in msgs]
    if rc != 0 and not msgs:
        out.append(("FAIL", name, output.strip()[-300:]))
    elif not msgs:
        out.append(("PASS", name, ""))
    return out


# --------------------------------------------------------------------------
# Running the tools

def kernel_files():
    return [f for f in treecfg.overlay_files()
            if f.endswith((".c", ".h")) and not f.startswith("tools/")]


def lint(res, build_objects=True):
    src = treecfg.SRC
    cp = os.path.join(src, "scripts", "checkpatch.pl")
    kd = os.path.join(src, "scripts", "kernel-doc")
    files = kernel_files()
    patches = treecfg.series()
    # UNKNOWN_COMMIT_ID: the pinned tree is a source package without git
    # history, so checkpatch cannot look up the id of a Fixes: tag and
    # always warns; the tag's format is still checked (GIT_COMMIT_ID).
    base = [cp, "--strict", "--terse", "--no-summary", "--show-types",
            "--ignore=UNKNOWN_COMMIT_ID", f"--root={src}"]

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
        for x in checkpatch_results(name, r.stdout, r.stderr, r.returncode):
            res.add(*x)

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
        text = (r.stdout + r.stderr).replace(treecfg.SRC + "/", "")
        for x in kerneldoc_results(f, text, r.returncode,
                                   added_lines(f) if f in patched else None):
            res.add(*x)

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
    # W=1 and sparse in their own O= directory, so that the kernel's own
    # objects keep their flags (no rebuild ping-pong) and every run really
    # recompiles (and checks) our objects: their .o files are removed first.
    lobj = os.path.join(treecfg.BUILD, "lint-obj")
    os.makedirs(lobj, exist_ok=True)
    cfg = read(os.path.join(treecfg.OBJ, ".config"))
    if read(os.path.join(lobj, ".config")) != cfg:
        with open(os.path.join(lobj, ".config"), "w") as f:
            f.write(cfg)
    subprocess.run(["make", "-s", "-C", src, f"O={lobj}", "ARCH=x86_64",
                    "olddefconfig"], capture_output=True, text=True)
    headers_text = []
    os.makedirs(os.path.join(treecfg.BUILD, "logs"), exist_ok=True)
    log = open(os.path.join(treecfg.BUILD, "logs", "lint-build.log"), "w")
    for f in objs:
        try:
            os.remove(os.path.join(lobj, f[:-2] + ".o"))
        except FileNotFoundError:
            pass
        # Not -s: kbuild's "CHECK file" line shows that sparse ran.
        r = subprocess.run(
            ["make", "-C", src, f"O={lobj}", "ARCH=x86_64",
             "CC=ccache gcc", f"CHECK={SPARSE}", "W=1", "C=1",
             f[:-2] + ".o"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        text = r.stdout.replace(treecfg.SRC + "/", "")
        text = text.replace("../src/", "")
        log.write(f"### make W=1 C=1 {f[:-2]}.o (exit {r.returncode})\n"
                  f"{text}\n")
        for x in build_results(f, text, r.returncode,
                               added_lines(f) if f in patched else None):
            res.add(*x)
        headers_text.append(text)
    log.close()
    # Warnings in the headers the series adds or patches count too (on
    # the lines the patches add, for upstream headers)
    text = "\n".join(dict.fromkeys("\n".join(headers_text).splitlines()))
    for h in sorted(set(files + patched)):
        if h.endswith(".h"):
            for x in header_results(h, text,
                                    added_lines(h) if h in patched else None):
                res.add(*x)


def docs(res):
    """Build the Documentation/ directories that hold our pages with Sphinx
    (only those directories: seconds, not the whole book); every warning
    is a finding, and a missing sphinx-build is a failure."""
    rst = [f for f in treecfg.overlay_files()
           if f.startswith("Documentation/") and f.endswith(".rst")]
    have = shutil.which("sphinx-build") is not None
    ours = treecfg.overlay_files() + list(patched_sources())
    for d in sorted({os.path.dirname(f)[len("Documentation/"):] for f in rst}):
        if not have:
            for x in htmldocs_results(d, "", 0, have_sphinx=False):
                res.add(*x)
            continue
        r = subprocess.run(
            ["make", "-C", treecfg.SRC, f"O={treecfg.BUILD}/obj-docs",
             f"SPHINXDIRS={d}", "htmldocs"], capture_output=True, text=True)
        text = (r.stdout + r.stderr).replace(treecfg.SRC + "/", "")
        for x in htmldocs_results(d, only_ours(text, ours), r.returncode):
            res.add(*x)


def only_ours(output, ours):
    """Drop the Sphinx warnings that name none of our files: a directory
    such as driver-api/ holds upstream pages whose cross references point
    outside the directory built alone (undefined labels, unknown
    documents); those are not findings about the series. Sphinx names a
    page with or without its .rst suffix."""
    keys = set()
    for f in ours:
        keys.add(f + ":")
        if f.endswith(".rst"):
            keys.add(f[:-4] + ":")
    keep = []
    for ln in output.splitlines():
        if re.search(r"(WARNING|ERROR|CRITICAL)", ln) and \
                not any(k in ln for k in keys):
            continue
        keep.append(ln)
    return "\n".join(keep)


def patched_sources():
    return treecfg.touched_by_patches()


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
