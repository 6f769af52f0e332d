#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The patch series a maintainer applies: make series, make series-check.

make series turns patches/series into a git history on top of the pristine
files it touches (each entry's patch applied with git apply, plus the new
files the entry lists) and writes it with git format-patch, with a cover
letter (patches/cover-letter plus the base), to build/series/out/.

make series-check proves what a maintainer relies on:
  * the series applies with git am to the pristine 7.3.4 files;
  * the top of the series is, byte for byte, the tree make check tests
    (build/src);
  * checkpatch --strict is clean on every patch of the series (new files
    included);
  * every prefix of the series builds, without warnings, in two
    configurations (SERIES_CONFIGS): the test configuration, linked
    (vmlinux, and the modules through modpost), in build/series/obj, and
    an allyes-style one of the touched directories (series-allyes.config),
    compiled, in build/series/allyes/obj;
  * every new C file is compiled, in one of them at least, by the patch
    that adds it (not first by a later patch that adds its Makefile or
    Kconfig line).
Every check prints PASS/FAIL lines and the run ends with the totals.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treecfg  # noqa: E402
import prepare_tree  # noqa: E402

VERSION = 1
DIR = os.path.join(treecfg.BUILD, "series")
OUT = os.path.join(DIR, "out")
MAINTAINERS = ("Seed 24db9fdf maintainers",
               "maintainers@users.noreply.r-seed-24db9fdf.example")
AUTHOR_ENV = {"GIT_COMMITTER_NAME": MAINTAINERS[0],
              "GIT_COMMITTER_EMAIL": MAINTAINERS[1],
              "GIT_COMMITTER_DATE": "2026-11-25T00:00:00Z"}
CONFIGS = os.path.join(treecfg.TOP, "harness", "configs")
# Directories the series touches (the test configuration links them)
BUILD_DIRS = ["kernel/irq/", "drivers/base/", "drivers/pci/msi/",
              "drivers/iommu/intel/", "drivers/iommu/amd/",
              "arch/x86/kernel/apic/", "drivers/dma/idxd/", "drivers/vfio/",
              "samples/"]
# ... and the allyes-style one: they and the rest of the touched
# directories' users it turns on
ALLYES_DIRS = BUILD_DIRS + ["drivers/iommu/", "drivers/pci/",
                            "drivers/crypto/intel/iaa/",
                            "arch/x86/kernel/hpet.o", "arch/x86/kernel/irq.o",
                            "arch/x86/kernel/early-quirks.o"]
# The configurations every prefix is built in, each in its own O=
# directory under build/series/ (incremental; ccache is shared):
#   test    allnoconfig + ims.config, the test configuration: vmlinux
#           linked and the modules through modpost, so that a prefix using
#           a symbol a later patch defines fails.  The guest kernel
#           (build/obj, harness/kconfig.sh) is ims.config with
#           harness/configs/guest.config laid over it (transparent huge
#           pages, for the VFIO selftests), which is left out here so that
#           the series builds what the patches need and no more.  Linked in
#           this configuration because make check's own kernel keeps its
#           objects in ccache and shares those guest.config does not change
#           (build/series/obj and build/series/src are siblings like
#           build/obj and build/src: the compiler sees the same relative
#           paths).
#   allyes  allnoconfig + the x86 base of ims.config +
#           series-allyes.config: everything the touched directories offer
#           on x86_64 (the IMS core under COMPILE_TEST from the patch that
#           adds it), ALLYES_DIRS compiled
SERIES_CONFIGS = {
    "test": dict(obj="obj", targets=["vmlinux", "modules"], verb="links"),
    "allyes": dict(obj="allyes/obj", targets=ALLYES_DIRS, verb="builds"),
}


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def add(self, ok, name, why=""):
        print(("PASS " if ok else "FAIL ") + name + (f": {why}" if why and
                                                     not ok else ""),
              flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def die(msg):
    print(f"series: {msg}", file=sys.stderr)
    sys.exit(1)


def git(repo, *args, check=True, env=None, **kw):
    e = dict(os.environ, **AUTHOR_ENV, **(env or {}))
    r = subprocess.run(["git", "-C", repo, *args], capture_output=True,
                       text=True, env=e, **kw)
    if check and r.returncode:
        die(f"git {' '.join(args)} failed:\n{r.stdout}{r.stderr}")
    return r


def parse_patch(path):
    """(author, subject, body) of one of our patch files."""
    text = open(path, encoding="utf-8").read()
    head, _, _ = text.partition("\n---\n")
    m = re.search(r"^From: (.*)$", head, re.M)
    s = re.search(r"^Subject: (?:\[PATCH[^\]]*\] )?(.*)$", head, re.M)
    if not m or not s:
        die(f"{path}: no From:/Subject: header")
    body = head[s.end():].strip("\n")
    return m.group(1).strip(), s.group(1).strip(), body


def check_assignment():
    """Every new kernel file of the repository belongs to exactly one
    patch of the series, and every file an entry lists exists."""
    overlay = set(treecfg.overlay_files())
    seen = {}
    problems = []
    for name, files in treecfg.series_entries():
        for f in files:
            if f in seen:
                problems.append(f"{f} is listed by {seen[f]} and {name}")
            seen[f] = name
            if f not in overlay:
                problems.append(f"{name} lists {f}, which is not a new "
                                "file of the repository")
    for f in sorted(overlay - set(seen)):
        problems.append(f"{f} is in no patch: list it after the patch that "
                        "introduces it in patches/series")
    return problems


def touched_files():
    return treecfg.touched_by_patches()


def base_repo(repo):
    """A git repository holding the pristine files the series touches."""
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "base")
    for rel in touched_files():
        src = os.path.join(treecfg.PRISTINE, rel)
        if os.path.exists(src):
            dst = os.path.join(repo, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
    git(repo, "add", "-A", "-f")
    git(repo, "commit", "-q", "-m",
        f"Linux 7.3.4 (Debian linux-source-7.3 {treecfg.KVER_PKG}): the "
        "files the series touches",
        env={"GIT_AUTHOR_NAME": "base", "GIT_AUTHOR_EMAIL": "base@invalid",
             "GIT_AUTHOR_DATE": "2026-11-25T00:00:00Z"})
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def build_history(repo):
    base = base_repo(repo)
    git(repo, "checkout", "-q", "-b", "ims")
    for name, files in treecfg.series_entries():
        path = os.path.join(treecfg.PATCHES, name)
        r = git(repo, "apply", "--index", path, check=False)
        if r.returncode:
            die(f"{name} does not apply with git apply:\n{r.stderr}")
        for f in files:
            dst = os.path.join(repo, f)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(os.path.join(treecfg.TOP, f), dst)
            git(repo, "add", "-f", f)
        author, subject, body = parse_patch(path)
        m = re.match(r"(.*) <(.*)>", author)
        git(repo, "commit", "-q", "-m", subject + "\n\n" + body,
            env={"GIT_AUTHOR_NAME": m.group(1), "GIT_AUTHOR_EMAIL": m.group(2),
                 "GIT_AUTHOR_DATE": "2026-11-25T00:00:00Z"})
    return base


def make_series():
    problems = check_assignment()
    if problems:
        die("patches/series does not assign every new file:\n  " +
            "\n  ".join(problems))
    repo = os.path.join(DIR, "git")
    base = build_history(repo)
    cover = open(os.path.join(treecfg.PATCHES, "cover-letter")).read()
    cover += (f"\nBase: Linux 7.3.4 as Debian packages it (linux-source-7.3 "
              f"{treecfg.KVER_PKG}); the series applies with git am to that "
              "tree.\n")
    git(repo, "config", "branch.ims.description", cover)
    # v1 is sent without a version tag, as upstream does
    vers = [f"-v{VERSION}"] if VERSION > 1 else []

    def format_patch(*extra):
        shutil.rmtree(OUT, ignore_errors=True)
        git(repo, "format-patch", "-q", "--cover-letter",
            "--cover-from-description=subject", *vers, "--no-signature",
            "--zero-commit", *extra, "-o", OUT, f"{base}..ims")

    # Addressed to whom the kernel's own get_maintainer.pl names
    format_patch()
    gm = subprocess.run(
        [os.path.join(treecfg.SRC, "scripts", "get_maintainer.pl"),
         "--no-git", "--no-git-fallback", "--no-rolestats", "--separator",
         "\n", *series_patches()], cwd=treecfg.SRC, capture_output=True,
        text=True)
    people = [a for a in gm.stdout.splitlines() if a.strip()]
    lists = [a for a in people if "@vger." in a or "@lists." in a]
    format_patch(*[f"--to={a}" for a in people if a not in lists],
                 *[f"--cc={a}" for a in lists])
    n = len([f for f in os.listdir(OUT) if f.endswith(".patch")])
    print(f"series: v{VERSION}, {n - 1} patches and a cover letter "
          f"(to {len(people)} maintainers and lists) in "
          f"{os.path.relpath(OUT, treecfg.TOP)}/")


def maintainers_removals(patch):
    """Lines a patch removes from MAINTAINERS (pure)."""
    out, inside = [], False
    for ln in patch.splitlines():
        if ln.startswith("diff --git "):
            inside = ln.endswith(" b/MAINTAINERS")
        elif inside and ln.startswith("-") and not ln.startswith("---"):
            out.append(ln[1:])
    return out


def series_patches():
    return sorted(os.path.join(OUT, f) for f in os.listdir(OUT)
                  if f.endswith(".patch") and not f.startswith("0000-") and
                  "-0000-" not in f)


def run_make(obj, *targets):
    cmd = ["make", "-s", "-C", os.path.join(DIR, "src"), f"O={obj}",
           "ARCH=x86_64", "CC=ccache gcc", f"-j{os.cpu_count() or 2}",
           *targets]
    return subprocess.run(cmd, capture_output=True, text=True)


def prefix_src():
    """build/series/src: hard links to the pristine tree (cheap); files the
    series touches are replaced, never written in place."""
    src = os.path.join(DIR, "src")
    stamp = os.path.join(src, ".ims-series-src")
    want = f"{treecfg.KVER_PKG}\n"
    if not os.path.exists(stamp) or open(stamp).read() != want:
        # A new pristine tree (a bumped pin) gets new links
        shutil.rmtree(src, ignore_errors=True)
        subprocess.run(["cp", "-al", treecfg.PRISTINE, src], check=True)
        with open(stamp, "w") as f:
            f.write(want)
    return src


def put(src, rel, content):
    dst = os.path.join(src, rel)
    if content is None:
        if os.path.exists(dst):
            os.remove(dst)
        return
    if os.path.exists(dst) and open(dst, "rb").read() == content:
        return
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + ".ims-tmp"
    with open(tmp, "wb") as f:
        f.write(content)
    os.replace(tmp, dst)


def _add(res, ok, name, why=""):
    if isinstance(res, Results):
        res.add(ok, name, why)
    else:
        res.add("PASS" if ok else "FAIL", name, "" if ok else why)


def check_series(res, build=True):
    if not os.path.isdir(OUT):
        die("no series in build/series/out: run make series first")
    patches = series_patches()
    # 1. git am onto the pristine files
    repo = os.path.join(DIR, "am")
    base_repo(repo)
    r = git(repo, "am", "-q", "--whitespace=error-all", *patches, check=False)
    _add(res, r.returncode == 0, "series/git-am",
            (r.stdout + r.stderr).strip()[-400:])
    if r.returncode:
        git(repo, "am", "--abort", check=False)
        return
    # 2. the top is what make check tests
    files = git(repo, "ls-files").stdout.split()
    differ = [f for f in files
              if not os.path.exists(os.path.join(treecfg.SRC, f)) or
              open(os.path.join(repo, f), "rb").read() !=
              open(os.path.join(treecfg.SRC, f), "rb").read()]
    managed = set(prepare_tree.load_manifest())
    missing = sorted(managed - set(files))
    _add(res, not differ and not missing, "series/top-equals-tested-tree",
            f"differ: {differ[:5]} missing from the series: {missing[:5]}")
    # MAINTAINERS: entries are added, never removed or rewritten
    for p in patches:
        removed = maintainers_removals(open(p, encoding="utf-8").read())
        _add(res, not removed,
             f"series/maintainers-only-added/{os.path.basename(p)}",
             "removes MAINTAINERS lines: " + "; ".join(removed)[:300])
    # 3. checkpatch on every patch, new files included
    cp = os.path.join(treecfg.SRC, "scripts", "checkpatch.pl")
    env = dict(os.environ, GIT_DIR="/nonexistent-ims-checkpatch")
    for p in patches:
        # UNKNOWN_COMMIT_ID: no git history to look a Fixes: id up in
        # (see lint.py); the tag's format is still checked
        r = subprocess.run([cp, "--strict", "--terse", "--no-summary",
                            "--show-types", "--ignore=UNKNOWN_COMMIT_ID", p],
                           capture_output=True,
                           text=True, env=env)
        bad = [ln for ln in r.stdout.splitlines()
               if re.search(r": (ERROR|WARNING|CHECK):", ln)]
        _add(res, not bad and r.returncode == 0,
                f"series/checkpatch/{os.path.basename(p)}",
                "; ".join(bad)[:400] or r.stderr.strip()[-300:])
    if not build:
        return
    # 4. every prefix builds in both configurations, the allyes-style one
    # linked; every new C file is compiled by the patch that adds it
    build_prefixes(res, repo, patches, set(files))


def added_symbols(top=treecfg.TOP):
    """The Kconfig symbols the patches of the series add."""
    syms = []
    for name in treecfg.series():
        cur = None
        for line in open(os.path.join(top, "patches", name),
                         encoding="utf-8"):
            if line.startswith("+++ "):
                cur = line[4:].strip()
            elif cur and os.path.basename(cur).startswith("Kconfig"):
                m = re.match(r"\+(?:menu)?config\s+(\w+)\s*$", line)
                if m:
                    syms.append(m.group(1))
    return syms


def allyes_problems(fragment=None, symbols=None):
    """Symbols the series adds that series-allyes.config does not turn on
    (=y, or =m where only a module is possible); pure with its
    arguments."""
    if fragment is None:
        fragment = open(os.path.join(CONFIGS, "series-allyes.config")).read()
    if symbols is None:
        symbols = added_symbols()
    on = set(re.findall(r"^CONFIG_(\w+)=[ym]\s*$", fragment, re.M))
    return [f"CONFIG_{s} (added by the series) is not on in "
            "harness/configs/series-allyes.config" for s in symbols
            if s not in on]


def config_fragment(name):
    """The KCONFIG_ALLCONFIG text of a series configuration."""
    import matrix
    if name == "test":
        return open(os.path.join(CONFIGS, "ims.config")).read()
    return matrix.over_x86_base(
        open(os.path.join(CONFIGS, "series-allyes.config")).read())


def uncompiled(new_c, objdirs):
    """The new C files (of one patch) of which no configuration's O=
    directory holds an object (pure but for the existence checks)."""
    return [f for f in new_c
            if not any(os.path.exists(os.path.join(o, f[:-2] + ".o"))
                       for o in objdirs)]


def forget_objects(c_files, objdir):
    """Remove the objects (and kbuild's .cmd files) of C files from an O=
    directory; returns what was removed.  For the C files a prefix does
    not have yet: an object an earlier run left would let a Makefile line
    that names it link at a prefix where its source does not exist."""
    gone = []
    for f in c_files:
        d, n = os.path.split(f[:-2])
        for rel in (os.path.join(d, n + ".o"), os.path.join(d, f".{n}.o.cmd")):
            path = os.path.join(objdir, rel)
            if os.path.exists(path):
                os.remove(path)
                gone.append(rel)
    return gone


def build_prefix(cfg, src, obj, new_c, absent_c=()):
    """Configure and build one prefix in one configuration; the objects of
    the prefix's new C files are removed first, so that one found after
    the build was compiled by this prefix.  Returns (ok, warnings,
    output)."""
    frag = os.path.join(obj, "fragment.config")
    env = dict(os.environ, KCONFIG_ALLCONFIG=frag)
    r = subprocess.run(["make", "-s", "-C", src, f"O={obj}", "ARCH=x86_64",
                        "allnoconfig"], capture_output=True, text=True,
                       env=env)
    out = r.stdout + r.stderr
    if r.returncode:
        return False, [], out
    forget_objects(list(new_c) + list(absent_c), obj)
    r = run_make(obj, *SERIES_CONFIGS[cfg]["targets"])
    out += r.stdout + r.stderr
    return r.returncode == 0, build_problems(out), out


def build_problems(output):
    """Warnings, errors and the linker's undefined references of a build
    (pure)."""
    import matrix
    undefined = [ln.strip() for ln in output.splitlines()
                 if "undefined reference to" in ln]
    return undefined + [w for w in matrix.warnings_of(output)
                        if w not in undefined]


def forget_dropped(src, everything, pristine_top=treecfg.PRISTINE):
    """Files an earlier run wrote into build/series/src that the series no
    longer touches (a moved or dropped file, a Makefile a patch no longer
    changes) go back to their pristine state, or away.  build/series/src is
    hard links to the pristine tree and put() replaces a file with a new
    one, so such a file is one that is not the pristine file's link."""
    dropped = []
    for root, dirs, names in os.walk(src):
        for n in names:
            path = os.path.join(root, n)
            rel = os.path.relpath(path, src)
            if rel == ".ims-series-src" or rel in everything:
                continue
            pristine = os.path.join(pristine_top, rel)
            try:
                same = os.path.samefile(path, pristine)
            except OSError:
                same = False
            if not same:
                dropped.append(rel)
    for rel in dropped:
        pristine = os.path.join(pristine_top, rel)
        put(src, rel, open(pristine, "rb").read()
            if os.path.exists(pristine) else None)
    return dropped


def build_prefixes(res, repo, patches, everything):
    import matrix
    src = prefix_src()
    forget_dropped(src, everything)
    objs = {}
    for cfg, m in SERIES_CONFIGS.items():
        objs[cfg] = os.path.join(DIR, m["obj"])
        os.makedirs(objs[cfg], exist_ok=True)
        with open(os.path.join(objs[cfg], "fragment.config"), "w") as f:
            f.write(config_fragment(cfg))
    commits = git(repo, "rev-list", "--reverse", "HEAD~%d..HEAD" %
                  len(patches)).stdout.split()
    for i, c in enumerate(commits, 1):
        name = os.path.basename(patches[i - 1])
        present = set(git(repo, "ls-tree", "-r", "--name-only",
                          c).stdout.split())
        absent_c = []
        for rel in sorted(everything):
            content = None
            if rel in present:
                content = subprocess.run(
                    ["git", "-C", repo, "show", f"{c}:{rel}"],
                    capture_output=True, check=True).stdout
            elif os.path.exists(os.path.join(treecfg.PRISTINE, rel)):
                content = open(os.path.join(treecfg.PRISTINE, rel),
                               "rb").read()
            elif rel.endswith(".c"):
                absent_c.append(rel)
            put(src, rel, content)
        added = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r",
                    "--diff-filter=A", c).stdout.split()
        new_c = [f for f in added if f.endswith(".c")]
        for cfg, m in SERIES_CONFIGS.items():
            t0 = time.time()
            ok, warns, out = build_prefix(cfg, src, objs[cfg], new_c,
                                          absent_c)
            with open(os.path.join(objs[cfg], f"build-{i:02d}.log"),
                      "w") as f:
                f.write(out)
            print(f"# series: {name} in {cfg}: {time.time() - t0:.0f}s",
                  flush=True)
            _add(res, ok and not warns,
                 f"series/{m['verb']}/{cfg}/{name}",
                 "; ".join(warns)[:400] or out.strip()[-400:])
            if i == len(commits):
                bad = matrix.config_problems(
                    open(os.path.join(objs[cfg], "fragment.config")).read(),
                    open(os.path.join(objs[cfg], ".config")).read())
                _add(res, not bad, f"series/config-of-the-top/{cfg}",
                     "; ".join(bad)[:400])
        if new_c:
            missing = uncompiled(new_c, objs.values())
            _add(res, not missing, f"series/compiles-its-new-files/{name}",
                 "no configuration compiled " + ", ".join(missing) +
                 ": its Makefile or Kconfig line comes in a later patch")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true",
                    help="check the series in build/series/out")
    ap.add_argument("--no-build", action="store_true",
                    help="skip building every prefix")
    a = ap.parse_args()
    if not a.check:
        make_series()
        return
    res = Results()
    check_series(res, build=not a.no_build)
    print(f"{res.passed} passed, {res.failed} failed")
    sys.exit(1 if res.failed else 0)


if __name__ == "__main__":
    main()
