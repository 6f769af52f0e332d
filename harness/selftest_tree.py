# SPDX-License-Identifier: GPL-2.0
"""Self-test of prepare_tree.py on a miniature pristine tree.

Runs the real preparation code with treecfg pointed at a scratch directory,
so it checks incrementality and the handling of changed, removed and broken
patches and overlay files without touching build/src.
"""
import os
import shutil
import tempfile

import prepare_tree
import treecfg

UPSTREAM = "line one\nline two\nline three\nline four\nline five\n"


def patch_text(new_two):
    return ("Subject: [PATCH] test\n\n---\n"
            "diff --git a/up.txt b/up.txt\n--- a/up.txt\n+++ b/up.txt\n"
            "@@ -1,5 +1,5 @@\n line one\n-line two\n"
            f"+{new_two}\n line three\n line four\n line five\n")


def run(report):
    """Run the cases quietly: prepare_tree's own messages would only be
    noise between the result lines."""
    import contextlib
    import io
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        results = []
        _run(lambda name, ok: results.append((name, ok)))
    for name, ok in results:
        report(name, ok)


def _run(report):
    saved = {k: getattr(treecfg, k) for k in
             ("BUILD", "PRISTINE", "SRC", "PATCHES", "overlay_files")}
    saved_top = prepare_tree.TOP
    tmp = tempfile.mkdtemp(prefix="ims-selftest-tree-")
    overlay = []
    try:
        repo = os.path.join(tmp, "repo")
        os.makedirs(os.path.join(repo, "patches"))
        os.makedirs(os.path.join(repo, "kernel"))
        treecfg.BUILD = os.path.join(tmp, "build")
        treecfg.PRISTINE = os.path.join(treecfg.BUILD, "pristine")
        treecfg.SRC = os.path.join(treecfg.BUILD, "src")
        treecfg.PATCHES = os.path.join(repo, "patches")
        treecfg.overlay_files = lambda: list(overlay)
        prepare_tree.TOP = repo
        os.makedirs(treecfg.PRISTINE)
        open(os.path.join(treecfg.PRISTINE, "up.txt"), "w").write(UPSTREAM)
        open(os.path.join(treecfg.PRISTINE, ".ims-pristine"), "w").write(
            f"{treecfg.KVER_PKG}\n")
        series = os.path.join(treecfg.PATCHES, "series")

        def prep():
            scratch, touched = prepare_tree.stage()
            try:
                return prepare_tree.sync(scratch, touched)
            finally:
                shutil.rmtree(scratch)

        def src(rel):
            p = os.path.join(treecfg.SRC, rel)
            return open(p).read() if os.path.exists(p) else None

        prepare_tree.ensure_src()
        open(os.path.join(treecfg.PATCHES, "0001-a.patch"), "w").write(
            patch_text("line TWO"))
        open(series, "w").write("0001-a.patch\n")
        open(os.path.join(repo, "kernel/new.c"), "w").write("int x;\n")
        overlay.append("kernel/new.c")
        prep()
        report("tree-prep/applies-patch-and-overlay",
               "line TWO" in (src("up.txt") or "") and
               src("kernel/new.c") == "int x;\n")

        up = os.path.join(treecfg.SRC, "up.txt")
        os.utime(up, (1000000000, 1000000000))
        n = prep()
        report("tree-prep/rerun-keeps-timestamps",
               n == 0 and os.stat(up).st_mtime == 1000000000)

        open(os.path.join(treecfg.PATCHES, "0001-a.patch"), "w").write(
            patch_text("line deux"))
        prep()
        report("tree-prep/changed-patch-reapplied",
               "line deux" in src("up.txt") and "line TWO" not in src("up.txt"))

        bad = patch_text("x").replace(" line three\n", " line 3\n")
        open(os.path.join(treecfg.PATCHES, "0002-bad.patch"), "w").write(bad)
        open(series, "w").write("0001-a.patch\n0002-bad.patch\n")
        before = src("up.txt")
        try:
            prep()
            refused = False
        except SystemExit:
            refused = True
        report("tree-prep/fuzzy-patch-refused-tree-untouched",
               refused and src("up.txt") == before)

        open(series, "w").write("0001-a.patch\n")
        prep()
        open(os.path.join(treecfg.SRC, "up.txt"), "a").write("hand edit\n")
        try:
            prepare_tree.main()
            stopped = False
        except SystemExit:
            stopped = True
        report("tree-prep/hand-edit-stops-and-is-kept",
               stopped and src("up.txt").endswith("hand edit\n"))
        os.environ["FORCE"] = "1"
        try:
            prepare_tree.main()
        finally:
            del os.environ["FORCE"]
        report("tree-prep/force-discards-hand-edit",
               "line deux" in src("up.txt") and "hand edit" not in src("up.txt"))

        open(series, "w").write("")
        overlay.clear()
        prep()
        report("tree-prep/removed-inputs-restore-pristine",
               src("up.txt") == UPSTREAM and src("kernel/new.c") is None)
    finally:
        for k, v in saved.items():
            setattr(treecfg, k, v)
        prepare_tree.TOP = saved_top
        shutil.rmtree(tmp)
