#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn edits of upstream files in build/src into a patch under patches/.

usage: refresh_patch.py NAME.patch [FILE ...] [--subject "one line"]

NAME is created (and appended to patches/series) or refreshed in place (its
series position and description header are kept).  The files it covers are
the ones it already touches plus any FILE given.  The diff is taken between
the tree as the patches before NAME leave it and build/src with the patches
after NAME reversed, so a file edited by several patches is split correctly.
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prepare_tree as pt  # noqa: E402
import treecfg  # noqa: E402


def header_of(path):
    if not os.path.exists(path):
        return None
    head = []
    for line in open(path):
        if line.startswith("diff ") or line.startswith("--- "):
            break
        head.append(line)
    while head and head[-1].strip() in ("", "---"):
        head.pop()
    return "".join(head)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--subject", default=None)
    ap.add_argument("--body", default=None,
                    help="commit description of a new patch")
    a = ap.parse_args()
    name = os.path.basename(a.name)
    if not name.endswith(".patch"):
        sys.exit("refresh-patch: NAME must end in .patch")
    path = os.path.join(treecfg.PATCHES, name)
    series = treecfg.series()
    files = set(a.files)
    if os.path.exists(path):
        files.update(pt.patch_files(path))
    overlay = set(treecfg.overlay_files())
    for f in sorted(files):
        if f in overlay:
            sys.exit(f"refresh-patch: {f} is a repository file, not an "
                     "upstream file: edit it in the repository instead")
        if not os.path.exists(os.path.join(treecfg.PRISTINE, f)):
            sys.exit(f"refresh-patch: {f} does not exist upstream; new files "
                     "belong in the repository at their kernel path")
    if not files:
        sys.exit("refresh-patch: name the upstream files the patch covers")

    base, _ = pt.stage(upto=name if name in series else None, extra=files)
    later = series[series.index(name) + 1:] if name in series else []
    target = tempfile.mkdtemp(prefix="ims-target-", dir=treecfg.BUILD)
    try:
        for f in files:
            dst = os.path.join(target, f)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(os.path.join(treecfg.SRC, f), dst)
        for p in reversed(later):
            pp = os.path.join(treecfg.PATCHES, p)
            if not files & set(pt.patch_files(pp)):
                continue
            # Only reverse the hunks for our files: filter the later patch.
            ok, out = pt.apply_patch(filtered(pp, files, target), target,
                                     reverse=True)
            if not ok:
                sys.exit(f"refresh-patch: cannot separate {name} from later "
                         f"patch {p}:\n{out}")
        diff = git_diff(base, target, sorted(files))
    finally:
        shutil.rmtree(base)
        shutil.rmtree(target)
    if not diff:
        sys.exit(f"refresh-patch: no difference in {sorted(files)}")
    head = header_of(path)
    if head is None:
        if not a.subject or not a.body:
            sys.exit("refresh-patch: a new patch needs SUBJECT= and BODY=")
        who = author()
        head = (f"From: {who}\nSubject: [PATCH] {a.subject}\n\n"
                f"{a.body.strip()}\n\nSigned-off-by: {who}\n")
    with open(path, "w") as out:
        out.write(head + "\n---\n" + "".join(diff))
    if name not in series:
        with open(os.path.join(treecfg.PATCHES, "series"), "a") as s:
            s.write(name + "\n")
    print(f"refresh-patch: wrote patches/{name} ({len(files)} files)")
    pt.main(keep_hand_edits=True, resolved=files)


def git_diff(base, target, files):
    """A git-style diff of files between two directories (with function
    context in hunk headers, as git format-patch writes it)."""
    import subprocess
    tmp = tempfile.mkdtemp(prefix="ims-diff-", dir=treecfg.BUILD)
    try:
        for side, root in (("a", base), ("b", target)):
            for f in files:
                src = os.path.join(root, f)
                if os.path.exists(src):
                    dst = os.path.join(tmp, side, f)
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copyfile(src, dst)
        r = subprocess.run(["git", "diff", "--no-index", "--no-prefix",
                            "--no-color", "--no-ext-diff", "a", "b"],
                           cwd=tmp, capture_output=True, text=True)
        if r.returncode not in (0, 1):
            sys.exit(f"refresh-patch: git diff failed: {r.stderr}")
        # No index lines: the blobs do not exist in any repository.
        return [ln + "\n" for ln in r.stdout.splitlines()
                if not ln.startswith("index ")]
    finally:
        shutil.rmtree(tmp)


def author():
    import subprocess
    get = lambda k: subprocess.run(["git", "-C", treecfg.TOP, "config", k],
                                   capture_output=True, text=True).stdout.strip()
    return f"{get('user.name') or 'IMS developers'} " \
        f"<{get('user.email') or 'ims@localhost'}>"


def filtered(patch, files, where):
    """Write the part of patch that touches files into a temp file."""
    keep, out, cur = False, [], []
    for line in open(patch):
        if line.startswith("diff "):
            if keep:
                out.extend(cur)
            cur, keep = [line], False
            continue
        if line.startswith("+++ ") and line[4:].strip().startswith("b/"):
            keep = line[6:].split("\t")[0].strip() in files
        cur.append(line)
    if keep:
        out.extend(cur)
    fd, tmp = tempfile.mkstemp(suffix=".patch", dir=where)
    with os.fdopen(fd, "w") as f:
        f.write("".join(out))
    return tmp


if __name__ == "__main__":
    main()
