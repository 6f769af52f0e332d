# SPDX-License-Identifier: GPL-2.0
"""Shared paths and inputs of the harness."""
import os
import subprocess

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("IMS_BUILD", os.path.join(TOP, "build"))
PRISTINE = os.path.join(BUILD, "pristine")
SRC = os.path.join(BUILD, "src")
OBJ = os.path.join(BUILD, "obj")
PATCHES = os.path.join(TOP, "patches")


def _pinned_version():
    """KSRC_VER of harness/deps.sh: the kernel source pin is set there only."""
    import re
    text = open(os.path.join(TOP, "harness", "deps.sh")).read()
    return re.search(r"^KSRC_VER=(\S+)$", text, re.M).group(1)


KVER_PKG = _pinned_version()
# harness/deps.sh fetches the package (linux-source-7.3) into build/deb
TARBALL = os.path.join(BUILD, "deb", "usr", "src", "linux-source-7.3.tar.xz")

# Top-level directories of the repository that mirror the kernel's layout.
KERNEL_DIRS = ("arch", "block", "drivers", "include", "kernel", "lib", "mm",
               "samples", "Documentation", "tools", "virt", "security")


def read_text(path):
    """A file's text, or "" when it cannot be read."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def touched_by_patches():
    """The upstream files patches/series touches."""
    import prepare_tree
    files = set()
    for name in series():
        files.update(prepare_tree.patch_files(os.path.join(PATCHES, name)))
    return sorted(files)


def git_error(rc, stderr):
    """A clear message for the two ways git fails on a fresh machine (pure)."""
    if rc is None:
        return ("harness: git is missing; install it (make deps installs "
                "it, or: apt-get install git)")
    if "dubious ownership" in stderr:
        return (f"harness: git refuses the repository {TOP}: it belongs to "
                "another user (dubious ownership). Run as its owner, or "
                f"trust it: git config --global --add safe.directory {TOP}")
    return f"harness: git failed: {stderr.strip()}"


def git_lines(args):
    try:
        r = subprocess.run(["git", "-C", TOP] + args, capture_output=True,
                           text=True)
    except FileNotFoundError:
        raise SystemExit(git_error(None, ""))
    if r.returncode:
        raise SystemExit(git_error(r.returncode, r.stderr))
    return r.stdout.split("\n")


def overlay_files():
    """Repository files laid over the pristine tree (git's view, so build
    products and untracked editor files are ignored; untracked new files are
    included so that work in progress builds before its first commit)."""
    out = git_lines(["ls-files", "--cached", "--others",
                     "--exclude-standard", "--"] + list(KERNEL_DIRS))
    return sorted(f for f in out
                  if f and os.path.isfile(os.path.join(TOP, f)))


def series_entries():
    """patches/series as a list of (patch, [new files it introduces]).  An
    entry is a patch name followed by repository files, on its line or on
    indented continuation lines; '#' starts a comment."""
    path = os.path.join(PATCHES, "series")
    if not os.path.exists(path):
        return []
    entries = []
    for line in open(path):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if line[0] in " \t" and entries:
            entries[-1][1].extend(words)
        else:
            entries.append((words[0], words[1:]))
    return entries


def series():
    return [name for name, _ in series_entries()]
