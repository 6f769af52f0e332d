# SPDX-License-Identifier: GPL-2.0
"""Self-tests of prepare_tree.py and refresh_patch.py on a miniature tree.

Runs the real preparation and refresh code with treecfg pointed at a scratch
directory, so it checks incrementality, the handling of changed, removed and
broken patches and overlay files, and turning hand edits into patches,
without touching build/src or patches/.
"""
import contextlib
import io
import os
import shutil
import sys
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
    quiet = io.StringIO()
    results = []
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        for cases in (_run, _run_refresh):
            try:
                cases(lambda name, ok: results.append((name, ok)))
            except Exception as e:  # a crash is a failure, not the end
                results.append((f"{cases.__name__}-crashed: {e!r}", False))
    for name, ok in results:
        report(name, ok)


@contextlib.contextmanager
def fake_tree():
    """A pristine tree with up.txt and two.txt, an empty repository and
    build directory; yields (repo, overlay list)."""
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
        open(os.path.join(treecfg.PRISTINE, "two.txt"), "w").write(UPSTREAM)
        open(os.path.join(treecfg.PRISTINE, ".ims-pristine"), "w").write(
            f"{treecfg.KVER_PKG}\n")
        yield repo, overlay
    finally:
        for k, v in saved.items():
            setattr(treecfg, k, v)
        prepare_tree.TOP = saved_top
        shutil.rmtree(tmp)


def _run(report):
    with fake_tree() as (repo, overlay):
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


def refresh(*args):
    """Run refresh_patch.py with args; True when it wrote a patch, False
    when it refused (exited)."""
    import refresh_patch
    saved = sys.argv
    sys.argv = ["refresh_patch.py"] + list(args)
    try:
        refresh_patch.main()
        return True
    except SystemExit:
        return False
    finally:
        sys.argv = saved


def _run_refresh(report):
    with fake_tree() as (repo, overlay):
        series = os.path.join(treecfg.PATCHES, "series")
        # A longer upstream file: edits more than three lines apart can be
        # told apart by the patches' context.
        long_text = "".join(f"line {i}\n" for i in range(1, 13))
        open(os.path.join(treecfg.PRISTINE, "long.txt"), "w").write(long_text)

        def text(path):
            return open(path).read() if os.path.exists(path) else ""

        def src(rel):
            return text(os.path.join(treecfg.SRC, rel))

        def patch(name):
            return text(os.path.join(treecfg.PATCHES, name))

        def edit(rel, old, new):
            new_text = src(rel).replace(old, new)
            with open(os.path.join(treecfg.SRC, rel), "w") as f:
                f.write(new_text)

        def prepares():
            try:
                prepare_tree.main()
                return True
            except SystemExit:
                return False

        open(series, "w").write("")
        open(os.path.join(repo, "kernel/new.c"), "w").write("int x;\n")
        overlay.append("kernel/new.c")
        prepare_tree.main()

        # A hand edit becomes a new patch, appended to the series.
        edit("long.txt", "line 2\n", "line two\n")
        wrote = refresh("0001-a.patch", "long.txt", "--subject", "long: Two",
                        "--body", "Spell out the second line.")
        p1 = patch("0001-a.patch")
        report("refresh-patch/new-patch-captures-hand-edit",
               wrote and "-line 2\n+line two\n" in p1 and
               "Subject: [PATCH] long: Two\n\nSpell out" in p1 and
               text(series) == "0001-a.patch\n" and prepares() and
               "line two\n" in src("long.txt"))

        # A second patch of the same file, after the first.
        edit("long.txt", "line 10\n", "line ten\n")
        wrote = refresh("0002-b.patch", "long.txt", "--subject", "long: Ten",
                        "--body", "Spell out the tenth line.")
        p2 = patch("0002-b.patch")
        report("refresh-patch/second-patch-of-same-file",
               wrote and "-line 10\n+line ten\n" in p2 and "line two" not in
               p2 and patch("0001-a.patch") == p1 and
               text(series) == "0001-a.patch\n0002-b.patch\n" and prepares())

        # Refreshing the earlier one: the later patch's hunk stays out of it,
        # the description and the series order are kept.
        edit("long.txt", "line two\n", "line TWO\n")
        wrote = refresh("0001-a.patch")
        p1b = patch("0001-a.patch")
        report("refresh-patch/earlier-patch-split-from-later-one",
               wrote and "-line 2\n+line TWO\n" in p1b and "ten" not in p1b and
               p1b.split("---\n")[0] == p1.split("---\n")[0] and
               text(series) == "0001-a.patch\n0002-b.patch\n" and
               patch("0002-b.patch") == p2 and prepares() and
               "line TWO\n" in src("long.txt") and
               "line ten\n" in src("long.txt"))

        # The refreshed series rebuilds the same tree from scratch (as in a
        # fresh build directory).
        before = src("long.txt")
        # The stale manifest of the removed tree stays: prepare must not
        # take every managed file of the new copy for a hand edit.
        shutil.rmtree(treecfg.SRC)
        report("refresh-patch/series-reproduces-tree",
               prepares() and src("long.txt") == before)

        # Refusals leave patches/ alone.
        names = sorted(os.listdir(treecfg.PATCHES))
        report("refresh-patch/refuses-repository-file",
               not refresh("0003-c.patch", "kernel/new.c", "--subject", "x",
                           "--body", "y") and
               sorted(os.listdir(treecfg.PATCHES)) == names)
        report("refresh-patch/refuses-patch-without-difference",
               not refresh("0003-c.patch", "two.txt", "--subject", "x",
                           "--body", "y") and
               sorted(os.listdir(treecfg.PATCHES)) == names)
        edit("two.txt", "line one", "line ONE")
        report("refresh-patch/new-patch-needs-subject-and-body",
               not refresh("0003-c.patch", "two.txt") and
               sorted(os.listdir(treecfg.PATCHES)) == names)
        report("refresh-patch/refuses-file-not-upstream",
               not refresh("0003-c.patch", "nowhere.txt", "--subject", "x",
                           "--body", "y") and
               sorted(os.listdir(treecfg.PATCHES)) == names)
