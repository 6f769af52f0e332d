#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Lay the repository's kernel files and patches over a pristine 7.3 tree.

The prepared tree (build/src) is derived from three inputs:
  * the pristine tree extracted from Debian's linux-source-7.3 tarball,
  * every file of the repository under a kernel path (the overlay),
  * patches/*.patch applied in the order of patches/series, with no fuzz.

The desired content of every file the overlay or the patches touch is built in
a scratch directory first; only files whose content differs are then written
into build/src, so unchanged files keep their timestamps and the kernel build
stays incremental.  Files that an earlier run managed but that no input touches
any more are restored from the pristine tree (or deleted if they are new).  A
patch that does not apply stops the run before build/src is modified, so the
tree is never left half patched.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "harness"))
import treecfg  # noqa: E402


def die(msg):
    print(f"prepare: {msg}", file=sys.stderr)
    sys.exit(1)


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def ensure_pristine():
    stamp = os.path.join(treecfg.PRISTINE, ".ims-pristine")
    want = f"{treecfg.KVER_PKG}\n"
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    if not os.path.exists(treecfg.TARBALL):
        die(f"{treecfg.TARBALL} is missing: fetch linux-source-7.3="
            f"{treecfg.KVER_PKG} (make deps)")
    print(f"prepare: extracting pristine tree from {treecfg.TARBALL}")
    shutil.rmtree(treecfg.PRISTINE, ignore_errors=True)
    tmp = treecfg.PRISTINE + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    subprocess.run(["tar", "-xJf", treecfg.TARBALL, "-C", tmp,
                    "--strip-components=1"], check=True)
    open(os.path.join(tmp, ".ims-pristine"), "w").write(want)
    os.rename(tmp, treecfg.PRISTINE)
    # A new pristine tree invalidates any derived tree.
    shutil.rmtree(treecfg.SRC, ignore_errors=True)


def ensure_src():
    stamp = os.path.join(treecfg.SRC, ".ims-src")
    if os.path.exists(stamp):
        return
    print("prepare: copying pristine tree to build/src")
    shutil.rmtree(treecfg.SRC, ignore_errors=True)
    # What an earlier run wrote into the old tree is gone with it: its
    # manifest must not make every managed file look edited by hand.
    for f in ("prepared-files.json", "prepared.stamp"):
        try:
            os.remove(os.path.join(treecfg.BUILD, f))
        except FileNotFoundError:
            pass
    tmp = treecfg.SRC + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["cp", "-a", treecfg.PRISTINE, tmp], check=True)
    os.remove(os.path.join(tmp, ".ims-pristine"))
    open(os.path.join(tmp, ".ims-src"), "w").write("")
    os.rename(tmp, treecfg.SRC)


def patch_files(patch):
    """Paths (relative to the tree) a unified diff touches."""
    files = []
    for line in open(patch, encoding="utf-8", errors="replace"):
        if line.startswith("+++ "):
            path = line[4:].split("\t")[0].strip()
            if path == "/dev/null":
                continue
            if not path.startswith("b/"):
                die(f"{patch}: expected a -p1 diff (+++ b/...), got {path}")
            files.append(path[2:])
        elif line.startswith("--- ") and "/dev/null" not in line:
            path = line[4:].split("\t")[0].strip()
            if path.startswith("a/"):
                files.append(path[2:])
    return files


def apply_patch(patch, root, reverse=False):
    cmd = ["patch", "-p1", "-s", "-f", "--fuzz=0", "--no-backup-if-mismatch",
           "-r", "-", "-d", root, "-i", patch]
    if reverse:
        cmd.insert(1, "-R")
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


def stage(upto=None, extra=()):
    """Build the desired content of every touched file in a scratch dir.

    Returns (scratch_dir, set_of_relative_paths).  With upto, only the patches
    before that one in the series are applied (used by refresh_patch.py).
    """
    overlay = treecfg.overlay_files()
    patches = treecfg.series()
    touched = set(overlay) | set(extra)
    for p in patches:
        touched.update(patch_files(os.path.join(treecfg.PATCHES, p)))
    scratch = tempfile.mkdtemp(prefix="ims-stage-", dir=treecfg.BUILD)
    for rel in sorted(touched):
        src = os.path.join(treecfg.PRISTINE, rel)
        if os.path.exists(src):
            dst = os.path.join(scratch, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
    for rel in overlay:
        dst = os.path.join(scratch, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(TOP, rel), dst)
    for p in patches:
        if upto is not None and p == upto:
            break
        ok, out = apply_patch(os.path.join(treecfg.PATCHES, p), scratch)
        if not ok:
            shutil.rmtree(scratch)
            die(f"patch {p} does not apply without fuzz to the pristine "
                f"7.3 tree:\n{out}")
    return scratch, touched


def same(a, b):
    if os.path.exists(a) != os.path.exists(b):
        return False
    if not os.path.exists(a):
        return True
    if os.path.getsize(a) != os.path.getsize(b):
        return False
    return sha(a) == sha(b)


def manifest_path():
    return os.path.join(treecfg.BUILD, "prepared-files.json")


def load_manifest():
    try:
        m = json.load(open(manifest_path()))
        return m if isinstance(m, dict) else {}
    except (OSError, ValueError):
        return {}


def hand_edits(manifest):
    """Files of build/src changed since the last preparation: managed files
    whose content is not what we wrote, and any other file modified after
    the last run (an edit of an upstream file not yet in a patch)."""
    edited = set()
    for rel, digest in manifest.items():
        have = os.path.join(treecfg.SRC, rel)
        now = sha(have) if os.path.exists(have) else None
        if now != digest:
            edited.add(rel)
    stamp = os.path.join(treecfg.BUILD, "prepared.stamp")
    if os.path.exists(stamp):
        r = subprocess.run(["find", ".", "-type", "f", "-newer", stamp,
                            "-not", "-name", "*.ims-tmp"],
                           cwd=treecfg.SRC, capture_output=True, text=True)
        for line in r.stdout.splitlines():
            rel = line[2:]
            # Files that are not upstream are build products (the docs
            # build writes some into the source tree); a new file of ours
            # belongs in the repository and only builds once a Makefile
            # edit, which is caught here, refers to it.
            if rel not in manifest and \
                    os.path.exists(os.path.join(treecfg.PRISTINE, rel)):
                edited.add(rel)
    return edited


def sync(scratch, touched, keep=frozenset()):
    """Make build/src match the staged content; files in keep (hand edits
    that are not in a patch yet) are left alone."""
    previous = load_manifest()
    manifest = {}
    changed = 0
    for rel in sorted(touched | set(previous)):
        want = os.path.join(scratch, rel) if rel in touched else \
            os.path.join(treecfg.PRISTINE, rel)
        have = os.path.join(treecfg.SRC, rel)
        if rel in keep:
            manifest[rel] = "edited by hand"
            continue
        if rel in touched:
            manifest[rel] = sha(want) if os.path.exists(want) else None
        if same(want, have):
            continue
        changed += 1
        if os.path.exists(want):
            os.makedirs(os.path.dirname(have), exist_ok=True)
            tmp = have + ".ims-tmp"
            shutil.copyfile(want, tmp)
            shutil.copymode(want, tmp)
            os.replace(tmp, have)
        else:
            os.remove(have)
    # Restore pristine content of hand edits the caller chose to discard.
    # The manifest and stamp are written last: an interrupted run is redone.
    tmp = manifest_path() + ".tmp"
    json.dump(manifest, open(tmp, "w"), indent=0, sort_keys=True)
    os.replace(tmp, manifest_path())
    open(os.path.join(treecfg.BUILD, "prepared.stamp"), "w").close()
    return changed


def restore_pristine(files):
    for rel in files:
        src = os.path.join(treecfg.PRISTINE, rel)
        have = os.path.join(treecfg.SRC, rel)
        if os.path.exists(src):
            shutil.copy2(src, have)
        elif os.path.exists(have):
            os.remove(have)


def main(keep_hand_edits=False, resolved=frozenset()):
    """Prepare build/src.  keep_hand_edits: leave hand edits in place (and
    flagged) instead of stopping; resolved: files a new patch now covers."""
    os.makedirs(treecfg.BUILD, exist_ok=True)
    ensure_pristine()
    ensure_src()
    scratch, touched = stage()
    try:
        edited = hand_edits(load_manifest()) - set(resolved)
        # A "hand edit" that already equals what the inputs produce is none
        edited = {f for f in edited
                  if not (f in touched and same(os.path.join(scratch, f),
                                                os.path.join(treecfg.SRC, f)))}
        keep = frozenset()
        if edited and keep_hand_edits:
            keep = frozenset(edited)
            print("prepare: still edited by hand, not in a patch yet: " +
                  " ".join(sorted(edited)))
        elif edited and os.environ.get("FORCE") == "1":
            print("prepare: discarding hand edits of " +
                  " ".join(sorted(edited)))
            restore_pristine(edited)
        elif edited:
            die("these files of build/src were edited by hand and are not in "
                "a patch:\n  " + "\n  ".join(sorted(edited)) +
                "\nturn them into a patch (make refresh-patch "
                "PATCH=NNNN-name.patch FILES=...) or discard the edits "
                "(make prepare FORCE=1)")
        changed = sync(scratch, touched, keep)
    finally:
        shutil.rmtree(scratch)
    print(f"prepare: build/src ready ({len(treecfg.series())} patches, "
          f"{len(treecfg.overlay_files())} overlay files, {changed} updated)")


if __name__ == "__main__":
    main()
