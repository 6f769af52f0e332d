#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: IMS against dynamic MSI-X, measured side by side in one run.

The bench machine: the production configuration of the build matrix
(harness/configs/matrix/production.config: no KUnit, no lock debugging, no
KASAN) plus harness/configs/bench.config, built in its own O= directory
(build/bench/obj); QEMU's q35 with VT-d interrupt remapping, -smp 16 (so
that the x86 vector space exceeds MSI-X's 2048 entries), two edu devices
(IMS in memory and in an MMIO array) and an nvme controller with a 2048
entry MSI-X table and no driver in the guest (dynamic MSI-X): the machine's
own device list (DEVICES), not a test variant's. All three are
given to the benchmark module (samples/ims/ims-bench.c) with
driver_override by tests/guest/bench.sh, which runs its commands and
prints their results between BENCH-DATA/BENCH-END markers in TAP.

Outputs (build/bench/, or build/bench/smoke/ for the smoke run): a table on
the terminal (and table.md), results.json and plot.png (gnuplot).

  bench.py            build, run the full benchmark, write the outputs
  bench.py --smoke    the same with tiny sizes (make check's bench stage):
                      every figure must be produced and none may be
                      nonsense (nonsense()); speed is not judged
  bench.py --no-build --no-run --logs=DIR   re-evaluate the logs of a run
"""
import argparse
import json
import math
import os
import re
import shutil
import random
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treecfg  # noqa: E402

BENCH = os.path.join(treecfg.BUILD, "bench")
OBJ = os.path.join(BENCH, "obj")
FRAG = os.path.join(treecfg.TOP, "harness", "configs", "bench.config")
KINDS = ["ims-mem", "ims-mmio", "msix"]
IMS_KINDS = ["ims-mem", "ims-mmio"]
STEPS = ["alloc", "request_irq", "free_irq", "free"]

# Sizes: setup rounds, growth limit per kind, occupancy probes (one every
# step held vectors, oreps set-ups and tear-downs each), vectors held for
# the memory figure and its repetitions (the kinds in a rotating order),
# mask rounds.  The full run's guest takes a few minutes of TCG on two
# shared cores; the smoke run's seconds once booted.
SIZES = {
    "full": dict(iters=5000, grow=4096, step=16, oreps=5, hold=2000,
                 mreps=6, mask=5000, smp=16),
    "smoke": dict(iters=10, grow=24, step=4, oreps=3, hold=128, mreps=3,
                  mask=10, smp=16),
}
ARGS = ("iters", "grow", "step", "oreps", "hold", "mreps", "mask")

# The bench machine's own devices (not a test variant's, which may grow):
# VT-d with interrupt remapping, two edu (added by check.qemu_command) and
# an nvme controller with a 2048-entry MSI-X table.
DEVICES = ["-device", "intel-iommu,intremap=on",
           "-device", "nvme,serial=ims-bench,msix_qsize=2048"]
EDU = 2

# What every run must produce: (figure, kinds).  A figure that is missing
# fails the smoke run.
FIGURES = [("setup", KINDS), ("setup_ratio", IMS_KINDS), ("growth", KINDS),
           ("growth_fifo", KINDS), ("occupancy", KINDS), ("slopes", KINDS),
           ("scale", KINDS), ("memory", KINDS), ("mask", KINDS),
           ("mask_ratio", IMS_KINDS)]

DELIVERY_WHY = (
    "not measured. edu posts an IMS message only through its DMA engine "
    "(about 100 ms of virtual time per transfer) and nvme raises MSI-X only "
    "for completed commands: with those triggers a rate would be the rate "
    "of the trigger. The DSA model (patches/qemu/0004, intel-dsa) posts the "
    "same descriptor completion through its MSI-X table or its IMS table, "
    "whichever the descriptor's interrupt handle names: that is the fair "
    "trigger, but idxd's IMS path on the model is still being built, so the "
    "bench machine does not contain it yet.")


# --------------------------------------------------------------------------
# Building

def fragment():
    """The production fragment of the build matrix with bench.config over
    it (lines of the same symbol replaced)."""
    import matrix
    base = matrix.fragment("production")
    mine = open(FRAG).read()
    syms = set(re.findall(r"^(CONFIG_\w+)=", mine, re.M))
    keep = [ln for ln in base.splitlines(True)
            if not re.match(r"^(CONFIG_\w+)=", ln) or
            re.match(r"^(CONFIG_\w+)=", ln).group(1) not in syms]
    return "".join(keep) + "\n" + mine


def kmake(*targets, jobs=None):
    jobs = jobs or os.environ.get("JOBS") or str(os.cpu_count() or 2)
    return ["make", "-C", treecfg.SRC, f"O={OBJ}", "ARCH=x86_64",
            "CC=ccache gcc", f"-j{jobs}", *targets]


def build():
    """Configure and build the bench kernel and its initramfs; returns a
    list of problems (empty on success)."""
    import matrix
    os.makedirs(OBJ, exist_ok=True)
    frag = fragment()
    fpath = os.path.join(OBJ, "fragment.config")
    with open(fpath, "w") as f:
        f.write(frag)
    env = dict(os.environ, KCONFIG_ALLCONFIG=fpath)
    r = subprocess.run(kmake("allnoconfig"), capture_output=True, text=True,
                       env=env)
    if r.returncode:
        return [f"config: {(r.stdout + r.stderr).strip()[-300:]}"]
    cfg = os.path.join(OBJ, ".config")
    bad = matrix.config_problems(frag, treecfg.read_text(cfg))
    if bad:
        return [f"config: {b}" for b in bad]
    print("bench: building the bench kernel (logs in "
          "build/bench/kbuild.log)", flush=True)
    log = os.path.join(BENCH, "kbuild.log")
    with open(log, "w") as f:
        r = subprocess.run(kmake("bzImage", "modules"), stdout=f,
                           stderr=subprocess.STDOUT)
    text = treecfg.read_text(log)
    if r.returncode:
        errs = [ln.strip() for ln in text.splitlines()
                if "error" in ln.lower()][:5]
        return ["kernel build failed: " + " | ".join(errs)]
    # Compiler, modpost and objtool warnings of what this build compiled
    warns = matrix.warnings_of(text)
    if warns:
        return ["kernel build warnings: " + " | ".join(warns)[:300]]
    env = dict(os.environ, IMS_KOBJ=OBJ,
               IMS_INITRAMFS_ROOT=os.path.join(BENCH, "initramfs"),
               IMS_INITRAMFS=os.path.join(BENCH, "initramfs.cpio.gz"),
               IMS_GUEST_PROGRAMS="0")
    r = subprocess.run(["bash", os.path.join(treecfg.TOP, "harness",
                                             "mkinitramfs.sh")],
                       env=env, capture_output=True, text=True)
    if r.returncode:
        return [f"initramfs: {(r.stdout + r.stderr).strip()[-300:]}"]
    return []


# --------------------------------------------------------------------------
# Running

def machine_command(size, logdir):
    import argparse as ap
    import check
    s = SIZES[size]
    opts = ap.Namespace(test_timeout=1500, tests="", kunit_filter="",
                        kunit_modules="", mode="bench")
    # slab_nomerge: every slab cache counted under its own name in the
    # memory figure's per-cache breakdown
    append = check.kernel_append("bench", EDU, opts) + " slab_nomerge " + \
        " ".join(f"ims.bench_{k}={s[k]}" for k in ARGS)
    return check.qemu_command(
        "bench", EDU, append, logdir=logdir,
        kernel=os.path.join(OBJ, "arch/x86/boot/bzImage"),
        initrd=os.path.join(BENCH, "initramfs.cpio.gz"), smp=s["smp"],
        devices=DEVICES)


def run_guest(size, logdir, timeout):
    import check
    os.makedirs(logdir, exist_ok=True)
    for f in ("console.log", "tap.log"):
        open(os.path.join(logdir, f), "w").close()
    cmd = machine_command(size, logdir)
    print(f"bench: booting the bench machine ({size} run, -smp "
          f"{SIZES[size]['smp']}, TCG; logs in "
          f"{os.path.relpath(logdir, treecfg.TOP)}/)", flush=True)
    t0 = time.time()
    timed_out, rc = check.run_qemu(cmd, logdir, timeout)
    return timed_out, rc, time.time() - t0


# --------------------------------------------------------------------------
# Evaluation (pure: log text in, figures out)

def data_blocks(tap):
    """{name: [lines]} of the BENCH-DATA NAME ... BENCH-END NAME blocks (a
    block cut off before its BENCH-END is left out)."""
    out, cur, name = {}, None, None
    for ln in tap.splitlines():
        if ln.startswith("BENCH-DATA "):
            name, cur = ln.split(None, 1)[1].strip(), []
        elif ln.startswith("BENCH-END ") and cur is not None:
            out[name] = cur
            cur = None
        elif cur is not None:
            cur.append(ln)
    return out


def words(line):
    return dict(w.split("=", 1) for w in line.split() if "=" in w)


def num(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def meminfo(lines):
    out = {}
    for ln in lines:
        m = re.match(r"^(\w+):\s+(\d+) kB", ln)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def slabs(lines):
    """{cache: (objects, object_size, slab_size)} of a memory reading."""
    out = {}
    for ln in lines:
        x = ln.split()
        if len(x) == 5 and x[0] == "slab" and all(v.isdigit() for v in x[2:]):
            out[x[1]] = tuple(int(v) for v in x[2:])
    return out


def median(v):
    return statistics.median(v) if v else None


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def lsq(xs, ys):
    """Least-squares slope of ys over xs, or None."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if not sxx:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


SLOPE_BINS = 32
BOOTSTRAP = 200


def slope(points, limit):
    """How a cost grows with the number of vectors held: points are (x =
    other vectors held, ns); only x < limit count (the range every kind
    covers). The least-squares slope over the medians of SLOPE_BINS bins
    of x (a median per bin: the host's descheduling spikes do not weigh),
    in ns per held vector, with a 95% bootstrap interval (the points
    resampled with replacement, binned and fitted again). None when there
    are too few points."""
    pts = sorted(p for p in points if p[0] < limit)
    if len(pts) < 4:
        return None
    width = max(1, math.ceil(limit / SLOPE_BINS))

    def fit(sample):
        bins = {}
        for x, y in sample:
            bins.setdefault(x // width, []).append((x, y))
        if len(bins) < 2:
            return None
        groups = [bins[b] for b in sorted(bins)]
        return lsq([median([x for x, _ in g]) for g in groups],
                   [median([y for _, y in g]) for g in groups]), len(groups)

    est = fit(pts)
    if not est or est[0] is None:
        return None
    rnd = random.Random(13)
    boot = []
    for _ in range(BOOTSTRAP):
        f = fit([rnd.choice(pts) for _ in pts])
        if f and f[0] is not None:
            boot.append(f[0])
    boot.sort()
    n = len(boot)
    return {"ns_per_vector": round(est[0], 3),
            "ci95": [round(boot[int(0.025 * n)], 3),
                     round(boot[max(0, int(0.975 * n) - 1)], 3)],
            "range": [0, limit - 1], "points": len(pts), "bins": est[1]}


def done(lines):
    """A command's output is complete when it ends with "done"."""
    return bool(lines) and lines[-1].strip() == "done"


def growth_of(lines):
    """The figures of one "grow" command's output, or None."""
    head = [words(ln) for ln in lines if ln.startswith("grow ")]
    if not head:
        return None
    g = [ln.split() for ln in lines if ln.startswith("g ")]
    h = head[0]
    gr = {
        "got": num(h.get("got")), "max": num(h.get("max")),
        "stop_errno": num(h.get("stop_errno")),
        "teardown_order": h.get("order"),
        "complete": done(lines),
        "index": [int(x[2]) for x in g],
        "setup_ns": [int(x[3]) for x in g],
        "teardown_ns": [int(x[4]) for x in g],
    }
    return gr


def growth_points(gr):
    """(other vectors held, ns) of the set-ups and tear-downs of a growth.
    The k-th set-up runs with k-1 held; the tear-down of vector k with k-1
    others held when freed newest first (lifo), with n-k when freed oldest
    first (fifo)."""
    n = len(gr["setup_ns"])
    up = [(i, t) for i, t in enumerate(gr["setup_ns"])]
    if gr["teardown_order"] == "fifo":
        down = [(n - 1 - i, t) for i, t in enumerate(gr["teardown_ns"])]
    else:
        down = [(i, t) for i, t in enumerate(gr["teardown_ns"])]
    return up, down


def occupancy_of(lines):
    head = [words(ln) for ln in lines if ln.startswith("occupancy ")]
    if not head:
        return None
    o = [ln.split() for ln in lines if ln.startswith("o ")]
    h = head[0]
    return {"held": num(h.get("held")), "step": num(h.get("step")),
            "reps": num(h.get("reps")), "stop_errno": num(h.get("stop_errno")),
            "complete": done(lines),
            "x": [int(x[2]) for x in o], "setup_ns": [int(x[3]) for x in o],
            "teardown_ns": [int(x[4]) for x in o]}


def host_machine():
    """What the guest ran on: the host's CPU and cores, our QEMU."""
    cpu = re.search(r"^model name\s*:\s*(.*)$",
                    treecfg.read_text("/proc/cpuinfo"), re.M)
    ver = re.search(r"^QEMU_VER=(\S+)$", treecfg.read_text(
        os.path.join(treecfg.TOP, "harness", "qemu.sh")), re.M)
    return {"host_cpu": cpu.group(1).strip() if cpu else "unknown",
            "host_cores": os.cpu_count(),
            "qemu": f"QEMU {ver.group(1) if ver else '?'} (Debian 12's "
                    "source + patches/qemu), TCG, no KVM"}


def git_state():
    """The commit measured, and whether the tree differed from it."""
    def git(*a):
        r = subprocess.run(["git", "-C", treecfg.TOP, *a],
                           capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None
    st = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"),
            "dirty": None if st is None else bool(st)}


def keyvals(lines):
    out = {}
    for ln in lines:
        if "=" in ln:
            k, v = ln.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def memory_of(b, kind, reps):
    """Memory per vector of one kind over its repetitions: live slab
    objects (sum of the change of objects x object_size over every cache,
    after rcu_barrier() and a shrink of every cache) per vector held; the
    slab pages of /proc/meminfo for comparison."""
    runs = []
    for r in range(reps):
        before = b.get(f"mem-before-{kind}-{r}")
        after = b.get(f"mem-after-{kind}-{r}")
        held = [words(ln) for ln in b.get(f"hold-{kind}-{r}", [])
                if ln.startswith("hold ")]
        if before is None or after is None or not held:
            continue
        n = num(held[0].get("got"))
        sb, sa = slabs(before), slabs(after)
        mb, ma = meminfo(before), meminfo(after)
        per_cache = {}
        for c in set(sb) | set(sa):
            ob, osz, _ = sb.get(c, (0, 0, 0))
            oa, asz, _ = sa.get(c, (0, 0, 0))
            d = oa * (asz or osz) - ob * (osz or asz)
            if d:
                per_cache[c] = d
        obj = sum(per_cache.values())
        pages = sum(ma.get(k, 0) - mb.get(k, 0)
                    for k in ("Slab", "VmallocUsed", "Percpu")) * 1024
        runs.append({"rep": r, "vectors": n, "requested": num(
            held[0].get("max")), "complete": done(b.get(f"hold-{kind}-{r}")),
            "object_bytes": obj, "meminfo_bytes": pages,
            "slab_caches_read": len(sa),
            "bytes_per_vector": round(obj / n) if n else None,
            "meminfo_bytes_per_vector": round(pages / n) if n else None,
            "per_cache_bytes_per_vector": {
                c: round(d / n, 1) for c, d in sorted(per_cache.items())
                if n and abs(d / n) >= 8}})
    if not runs:
        return None
    bpv = [x["bytes_per_vector"] for x in runs
           if x["bytes_per_vector"] is not None]
    mpv = [x["meminfo_bytes_per_vector"] for x in runs
           if x["meminfo_bytes_per_vector"] is not None]
    caches = sorted({c for x in runs for c in x["per_cache_bytes_per_vector"]})
    return {
        "vectors": runs[0]["vectors"], "reps": len(runs),
        "bytes_per_vector": round(median(bpv)) if bpv else None,
        "bytes_per_vector_min": min(bpv) if bpv else None,
        "bytes_per_vector_max": max(bpv) if bpv else None,
        "meminfo_bytes_per_vector_median": round(median(mpv)) if mpv else None,
        "meminfo_bytes_per_vector_min": min(mpv) if mpv else None,
        "meminfo_bytes_per_vector_max": max(mpv) if mpv else None,
        "per_cache_median_bytes_per_vector": {
            c: median([x["per_cache_bytes_per_vector"].get(c, 0)
                       for x in runs]) for c in caches},
        "runs": runs,
    }


def figures(tap):
    """Every figure of a run from its tap.log text."""
    b = data_blocks(tap)
    res = {"machine": keyvals(b.get("machine", [])), "params": {}}
    res["params"] = {k: num(v) for k, v in words(
        " ".join(b.get("params", []))).items()}
    res["conditions"] = {"guest": keyvals(b.get("conditions", []))}
    devs = {}
    for ln in b.get("devices", []):
        w = words(ln)
        if "kind" in w:
            devs[w.pop("kind")] = {k: num(v) if num(v) is not None else v
                                   for k, v in w.items()}
        elif "percpu_bytes_per_irq_desc" in w:
            res["percpu_bytes_per_irq_desc"] = num(
                w["percpu_bytes_per_irq_desc"])
    res["devices"] = devs

    setup = {}
    for ln in b.get("setup", []):
        if ln.startswith("setup "):
            w = words(ln)
            kind = w.pop("kind", None)
            setup[kind] = {k: num(v) for k, v in w.items()}
    res["complete"] = {name: done(lines) for name, lines in b.items()
                       if name in ("setup", "mask") or
                       name.startswith(("grow-", "occupancy-", "hold-"))}
    res["setup"] = setup
    base = setup.get("msix", {}).get("total_median_ns")
    res["setup_ratio"] = {k: ratio(setup[k].get("total_median_ns"), base)
                          for k in IMS_KINDS if k in setup}

    growth, fifo, scale, occ = {}, {}, {}, {}
    for kind in KINDS:
        gr = growth_of(b.get(f"grow-lifo-{kind}", []))
        if gr:
            growth[kind] = gr
            vec = "\n".join(b.get(f"vector-{kind}", []))
            m = re.search(r"Global available:\s+(\d+)", vec)
            r = re.search(r"Global reserved:\s+(\d+)", vec)
            avail = int(m.group(1)) if m else None
            resv = int(r.group(1)) if r else None
            alloc = avail - resv if avail is not None and \
                resv is not None else None
            # MSI-X: the vector that enables MSI-X (allocated at probe) is
            # the device's too
            got = gr["got"] + (1 if kind == "msix" else 0) \
                if gr["got"] is not None else None
            scale[kind] = {
                "vectors": got, "grown": gr["got"],
                "vector_available_before": avail,
                "vector_reserved_before": resv,
                "vector_allocatable_before": alloc,
                "fraction_of_allocatable": ratio(gr["got"], alloc),
                "fraction_of_available": ratio(gr["got"], avail),
                "limited_by": "the request limit of the run"
                if gr["stop_errno"] == 0 else f"errno {gr['stop_errno']}"}
        gf = growth_of(b.get(f"grow-fifo-{kind}", []))
        if gf:
            fifo[kind] = gf
        oc = occupancy_of(b.get(f"occupancy-{kind}", []))
        if oc:
            occ[kind] = oc
    res["growth"], res["growth_fifo"] = growth, fifo
    res["occupancy"], res["scale"] = occ, scale
    res["slopes"] = slopes(res)

    memory = {}
    reps = res["params"].get("mreps") or 0
    for kind in KINDS:
        m = memory_of(b, kind, reps)
        if m:
            memory[kind] = m
    mem = memory.get("ims-mem")
    tb = res["devices"].get("ims-mem", {}).get("table_host_bytes")
    if mem and mem["vectors"] and tb is not None:
        # The IMS table in host memory (DMA memory, not slab): only the
        # memory kind has one, the MSI-X table is in the device
        mem["table_host_bytes"] = tb
        mem["table_bytes_per_slot"] = round(tb / res["devices"]["ims-mem"]
                                            ["entries"])
        mem["with_table_bytes_per_vector"] = \
            round(mem["bytes_per_vector"] + tb / mem["vectors"])
    res["memory"] = memory

    mask = {}
    for ln in b.get("mask", []):
        if ln.startswith("mask "):
            w = words(ln)
            kind = w.pop("kind", None)
            mask[kind] = {k: num(v) for k, v in w.items()}
    res["mask"] = mask
    mbase = mask.get("msix", {}).get("median_ns")
    res["mask_ratio"] = {k: ratio(mask[k].get("median_ns"), mbase)
                         for k in IMS_KINDS if k in mask}
    res["delivery"] = {"measured": False, "why": DELIVERY_WHY}
    res["goals"] = goals(res)
    return res


def slopes(res):
    """Slopes of every series over the range of held vectors that every
    kind covers (the smallest growth)."""
    gots = [res["growth"][k]["got"] for k in KINDS
            if res["growth"].get(k, {}).get("got")]
    if len(gots) < len(KINDS):
        return {}
    limit = min(gots)
    out = {"range": [0, limit - 1]}
    for k in KINDS:
        s = {}
        up, down = growth_points(res["growth"][k])
        s["setup"] = slope(up, limit)
        s["teardown_lifo"] = slope(down, limit)
        gf = res["growth_fifo"].get(k)
        if gf:
            s["teardown_fifo"] = slope(growth_points(gf)[1], limit)
        oc = res["occupancy"].get(k)
        if oc:
            s["occupancy_setup"] = slope(list(zip(oc["x"], oc["setup_ns"])),
                                         limit)
            s["occupancy_teardown"] = slope(
                list(zip(oc["x"], oc["teardown_ns"])), limit)
        out[k] = s
    return out


def goals(res):
    """The issue's goals, reported (not asserted). met is True, False or
    None (the difference is within the spread of the repetitions)."""
    out = []
    sr = res.get("setup_ratio", {})
    for k in IMS_KINDS:
        if sr.get(k) is not None:
            out.append({"goal": f"{k} set-up+tear-down <= 1.0x dynamic "
                        "MSI-X", "value": sr[k], "met": sr[k] <= 1.0})
    for k in IMS_KINDS:
        s = res.get("scale", {}).get(k)
        if s and s.get("fraction_of_allocatable") is not None:
            out.append({"goal": f"{k}: one device gets >= 95% of the free "
                        "vectors (available - reserved)",
                        "value": s["fraction_of_allocatable"],
                        "met": s["fraction_of_allocatable"] >= 0.95})
            out.append({"goal": f"{k}: more than 2048 vectors",
                        "value": s["vectors"], "met": s["vectors"] > 2048})
    mem = res.get("memory", {})
    mx = mem.get("msix")
    for k in IMS_KINDS:
        m = mem.get(k)
        if not m or not mx or m.get("bytes_per_vector") is None or \
                mx.get("bytes_per_vector") is None:
            continue
        figs = [("bytes_per_vector", "")]
        if "with_table_bytes_per_vector" in m:
            figs.append(("with_table_bytes_per_vector",
                         ", its table in host memory included"))
        for f, what in figs:
            extra = m[f] - m["bytes_per_vector"]
            lo, hi = m["bytes_per_vector_min"] + extra, \
                m["bytes_per_vector_max"] + extra
            if hi < mx["bytes_per_vector_min"]:
                met, verdict = True, "met"
            elif lo > mx["bytes_per_vector_max"]:
                met, verdict = False, "NOT met"
            else:
                met, verdict = None, "indistinguishable (ranges overlap)"
            out.append({"goal": f"{k} memory per vector <= MSI-X's{what}",
                        "value": f"{m[f]} [{lo}..{hi}] against "
                        f"{mx['bytes_per_vector']} "
                        f"[{mx['bytes_per_vector_min']}.."
                        f"{mx['bytes_per_vector_max']}] bytes",
                        "met": met, "verdict": verdict})
    for g in out:
        g.setdefault("verdict", "met" if g["met"] else "NOT met")
    return out


def missing_figures(res):
    """[(name, why)] of the figures a run should have produced and did not
    (pure)."""
    out = []
    for fig, kinds in FIGURES:
        for k in kinds:
            v = res.get(fig, {}).get(k)
            name = f"{fig}/{k}"
            if v is None:
                out.append((name, "not produced"))
            elif isinstance(v, dict) and any(
                    x is None for x in v.values()
                    if not isinstance(x, (list, str))):
                out.append((name, "incomplete: " + ", ".join(
                    a for a, x in v.items() if x is None)))
            elif fig in ("growth", "growth_fifo") and not v["setup_ns"]:
                out.append((name, "no vector was set up"))
    return out


MAX_BYTES_PER_VECTOR = 64 * 1024


def nonsense(res):
    """[(name, why)] of figures that are there but cannot be right (pure;
    speed is never judged): counts that differ from what was asked, lost
    records, cut-off outputs, costs of zero, memory that shrank or is
    absurd, a sync callback that never ran."""
    out = []
    p = res.get("params", {})

    def bad(name, why):
        out.append((name, why))

    for name, ok in sorted(res.get("complete", {}).items()):
        if not ok:
            bad(f"output/{name}", "cut off: no final \"done\" record")
    for k, a in res.get("setup", {}).items():
        if a.get("n") != p.get("iters"):
            bad(f"setup/{k}", f"n={a.get('n')}, {p.get('iters')} rounds "
                "were asked")
        steps = [a.get(f"{st}_median_ns") for st in STEPS]
        tot = a.get("total_median_ns")
        if any(not x or x <= 0 for x in steps + [tot]):
            bad(f"setup/{k}", "a median of zero")
        elif not 0.5 <= sum(steps) / tot <= 2:
            bad(f"setup/{k}", f"the step medians add up to {sum(steps)} ns,"
                f" the total median is {tot} ns")
    for fig in ("growth", "growth_fifo"):
        for k, gr in res.get(fig, {}).items():
            n = gr.get("got") or 0
            if gr["index"] != list(range(1, n + 1)):
                bad(f"{fig}/{k}", f"{len(gr['index'])} records for {n} "
                    "vectors")
            if gr.get("max") != p.get("grow"):
                bad(f"{fig}/{k}", f"max={gr.get('max')}, {p.get('grow')} "
                    "was asked")
            if any(t <= 0 for t in gr["setup_ns"] + gr["teardown_ns"]):
                bad(f"{fig}/{k}", "a cost of zero")
    for k, oc in res.get("occupancy", {}).items():
        step = p.get("step")
        if not oc["x"] or step is None or \
                oc["x"] != list(range(0, step * len(oc["x"]), step)):
            bad(f"occupancy/{k}", f"probes at {oc['x'][:4]}..., one every "
                f"{step} vectors was asked")
        if oc["step"] != step or oc["reps"] != p.get("oreps"):
            bad(f"occupancy/{k}", "step or repetitions differ from the run's")
    for k, s in res.get("scale", {}).items():
        if s.get("fraction_of_available") is not None and \
                s["fraction_of_available"] > 1:
            bad(f"scale/{k}", f"{s['grown']} vectors grown, more than the "
                f"{s['vector_available_before']} available")
        hw = res.get("devices", {}).get(k, {}).get("entries")
        if hw is not None and s.get("vectors") is not None and \
                s["vectors"] > hw:
            bad(f"scale/{k}", f"{s['vectors']} vectors, the table has {hw}")
    for k, m in res.get("memory", {}).items():
        if m["reps"] != p.get("mreps"):
            bad(f"memory/{k}", f"{m['reps']} repetitions of "
                f"{p.get('mreps')}")
        for r in m["runs"]:
            if r["vectors"] != p.get("hold") or r["requested"] != p.get("hold"):
                bad(f"memory/{k}", f"repetition {r['rep']}: {r['vectors']} "
                    f"vectors held, {p.get('hold')} were asked")
            if not r["slab_caches_read"]:
                bad(f"memory/{k}", f"repetition {r['rep']}: no slab cache "
                    "was read")
            bpv = r["bytes_per_vector"]
            if bpv is not None and not 0 < bpv <= MAX_BYTES_PER_VECTOR:
                bad(f"memory/{k}", f"repetition {r['rep']}: {bpv} bytes per "
                    "vector")
    for k, a in res.get("mask", {}).items():
        if a.get("n") != p.get("mask"):
            bad(f"mask/{k}", f"n={a.get('n')}, {p.get('mask')} rounds were "
                "asked")
        if not a.get("median_ns") or a["median_ns"] <= 0:
            bad(f"mask/{k}", "a median of zero")
    # The memory kind's sync callback must have run: at least once per
    # set-up (the message is written) and per mask change
    for fig, n in (("setup", p.get("iters")), ("mask", p.get("mask"))):
        a = res.get(fig, {}).get("ims-mem")
        if a and n and (a.get("doorbells") or 0) < n:
            bad(f"{fig}/ims-mem", f"{a.get('doorbells')} sync doorbells in "
                f"{n} rounds")
        for k in ("ims-mmio", "msix"):
            a = res.get(fig, {}).get(k)
            if a and a.get("doorbells"):
                bad(f"{fig}/{k}", f"{a['doorbells']} sync doorbells, {k} has "
                    "no sync callback")
    return out


# --------------------------------------------------------------------------
# Outputs

def us(ns):
    return "-" if ns is None else f"{ns / 1000:.1f}"


def fmt_slope(sl):
    if not sl:
        return "-"
    lo, hi = sl["ci95"]
    return f"{sl['ns_per_vector']:.2f} [{lo:.2f}, {hi:.2f}]"


def conditions_line(res):
    c = res.get("conditions", {})
    g, h = c.get("guest", {}), c.get("host", {})
    return (f"commit {c.get('commit', '?')}"
            f"{' (tree differed from it)' if c.get('dirty') else ''}, "
            f"{c.get('date', '?')}; host load average "
            f"{h.get('loadavg_before', '?')} before, "
            f"{h.get('loadavg_after', '?')} after; guest clocksource "
            f"{g.get('clocksource_end', res.get('machine', {}).get('clocksource_start', '?'))}")


def table(res):
    """The terminal table (markdown, so that the README can show it)."""
    L = ["Run: " + conditions_line(res), ""]
    s, sc, mem, mk = res["setup"], res["scale"], res["memory"], res["mask"]
    sl = res.get("slopes", {})
    L.append("| kind | set-up+tear-down median us (p99) | vs MSI-X | "
             "alloc / request_irq / free_irq / free median us | "
             "mask+unmask median us (p99) | vs MSI-X |")
    L.append("| --- | --- | --- | --- | --- | --- |")
    for k in KINDS:
        a = s.get(k, {})
        m = mk.get(k, {})
        steps = " / ".join(us(a.get(f"{st}_median_ns")) for st in STEPS)
        L.append(
            f"| {k} | {us(a.get('total_median_ns'))} "
            f"({us(a.get('total_p99_ns'))}) | "
            f"{res['setup_ratio'].get(k, 1.0 if a and k == 'msix' else '-')}"
            f" | {steps} | {us(m.get('median_ns'))} ({us(m.get('p99_ns'))})"
            f" | {res['mask_ratio'].get(k, 1.0 if m and k == 'msix' else '-')} |")
    rng = sl.get("range", ["?", "?"])
    L.append("")
    L.append(f"Growth, ns per vector held (slope over {rng[0]}..{rng[1]} "
             "vectors held, the range every kind reaches; 95% bootstrap "
             "interval):")
    L.append("")
    L.append("| kind | set-up | tear-down, newest first | tear-down, oldest "
             "first | one more vector: set-up | one more vector: tear-down |")
    L.append("| --- | --- | --- | --- | --- | --- |")
    for k in KINDS:
        x = sl.get(k, {})
        L.append(f"| {k} | {fmt_slope(x.get('setup'))} | "
                 f"{fmt_slope(x.get('teardown_lifo'))} | "
                 f"{fmt_slope(x.get('teardown_fifo'))} | "
                 f"{fmt_slope(x.get('occupancy_setup'))} | "
                 f"{fmt_slope(x.get('occupancy_teardown'))} |")
    L.append("")
    L.append("| kind | vectors of one device | free before: allocatable "
             "(available - reserved) | share of allocatable | slab objects, "
             "bytes/vector: median [min..max] of the repetitions | "
             "with the IMS table in host memory | slab pages (meminfo), "
             "bytes/vector: median [min..max] |")
    L.append("| --- | --- | --- | --- | --- | --- | --- |")
    for k in KINDS:
        c = sc.get(k, {})
        m = mem.get(k, {})
        L.append(
            f"| {k} | {c.get('vectors', '-')} ({c.get('limited_by', '-')}) | "
            f"{c.get('vector_allocatable_before', '-')} "
            f"({c.get('vector_available_before', '-')} - "
            f"{c.get('vector_reserved_before', '-')}) | "
            f"{c.get('fraction_of_allocatable', '-')} | "
            f"{m.get('bytes_per_vector', '-')} "
            f"[{m.get('bytes_per_vector_min', '-')}.."
            f"{m.get('bytes_per_vector_max', '-')}] | "
            f"{m.get('with_table_bytes_per_vector', '-')} | "
            f"{m.get('meminfo_bytes_per_vector_median', '-')} "
            f"[{m.get('meminfo_bytes_per_vector_min', '-')}.."
            f"{m.get('meminfo_bytes_per_vector_max', '-')}] |")
    return "\n".join(L) + "\n"


# Colours: the kinds on the left, the steps on the right (never the same)
KIND_COLOURS = ["#1f77b4", "#d62728", "#2ca02c"]
STEP_COLOURS = ["#bcbd22", "#17becf", "#8c564b", "#e377c2"]


def write_plot(res, out_dir):
    """plot.png: the growth curves and the per-vector cost side by side
    (gnuplot, Debian's gnuplot-nox). Returns a problem or None."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot is missing (make deps installs gnuplot-nox)"
    dat = os.path.join(out_dir, "plot-growth.dat")
    with open(dat, "w") as f:
        for k in KINDS:
            # index 3i: set-up, 3i+1: tear-down newest first, 3i+2: one
            # more vector (occupancy probe), x = vectors held besides
            series = []
            gr = res["growth"].get(k)
            if gr:
                up, down = growth_points(gr)
                series += [up, down]
            else:
                series += [[], []]
            oc = res["occupancy"].get(k)
            series.append(list(zip(oc["x"], oc["setup_ns"])) if oc else [])
            for pts in series:
                f.write(f"# {k}: vectors held, us (median of a bin)\n")
                pts = sorted(pts)
                bin_ = max(1, math.ceil(len(pts) / 128))
                for i in range(0, len(pts), bin_):
                    b = pts[i:i + bin_]
                    f.write(f"{b[0][0]} {median([y for _, y in b]) / 1000:.2f}\n")
                if not pts:
                    f.write("0 NaN\n")
                f.write("\n\n")
    bars = os.path.join(out_dir, "plot-cost.dat")
    with open(bars, "w") as f:
        f.write("kind " + " ".join(STEPS) + " total\n")
        for k in KINDS:
            a = res["setup"].get(k, {})
            f.write(k + " " + " ".join(
                f"{(a.get(f'{st}_median_ns') or 0) / 1000:.2f}"
                for st in STEPS + ["total"]) + "\n")
    png = os.path.join(out_dir, "plot.png")
    m = res.get("machine", {})
    title = (f"IMS vs dynamic MSI-X: {m.get('cpus', '?')} guest CPUs, "
             f"Linux {m.get('kernel', '?')}, QEMU TCG on "
             f"{m.get('host_cores', '?')} host cores ({m.get('host_cpu', '?')})")
    kc = " ".join(KIND_COLOURS)
    script = f"""
set terminal pngcairo size 1400,660 font ",10" noenhanced
set output '{png}'
set multiplot layout 1,2 title "{title}"
set title "Growth: cost of one vector with x others held (median per bin)"
set xlabel "x: vectors of the same kind held besides it"
set ylabel "microseconds"
set key below maxrows 3 font ",9"
set logscale y
kinds = "{' '.join(KINDS)}"
cols = "{kc}"
plot for [i=0:{len(KINDS) - 1}] '{dat}' index 3*i using 1:2 with lines \\
     lw 2 lc rgb word(cols, i+1) title word(kinds, i+1)." set-up", \\
     for [i=0:{len(KINDS) - 1}] '{dat}' index 3*i+1 using 1:2 with lines \\
     dt 2 lc rgb word(cols, i+1) title word(kinds, i+1)." tear-down (newest first)", \\
     for [i=0:{len(KINDS) - 1}] '{dat}' index 3*i+2 using 1:2 with points \\
     pt 7 ps 0.6 lc rgb word(cols, i+1) title word(kinds, i+1)." one more vector, set-up"
unset logscale y
set title "Set-up + tear-down of one vector: median of each step, and of the total (x)"
set xlabel ""
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.6
set key outside right top
set yrange [0:*]
set offsets 0.5, 0.5, graph 0.08, 0
plot '{bars}' using 2:xtic(1) lc rgb "{STEP_COLOURS[0]}" title "{STEPS[0]}", \\
     '' using 3 lc rgb "{STEP_COLOURS[1]}" title "{STEPS[1]}", \\
     '' using 4 lc rgb "{STEP_COLOURS[2]}" title "{STEPS[2]}", \\
     '' using 5 lc rgb "{STEP_COLOURS[3]}" title "{STEPS[3]}", \\
     '' using 0:6 with points pt 2 ps 2 lc rgb "black" title "median total"
unset multiplot
"""
    r = subprocess.run([gp], input=script, capture_output=True, text=True)
    if r.returncode or not os.path.exists(png):
        return f"gnuplot failed: {r.stderr.strip()[-300:]}"
    with open(png, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            return "plot.png is not a PNG"
    return None


def write_outputs(res, out_dir):
    """results.json, table.md, plot.png; returns {output: problem or None}."""
    os.makedirs(out_dir, exist_ok=True)
    probs = {}
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    probs["results.json"] = None
    t = table(res)
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(t)
    probs["table"] = None if res["setup"] else "empty"
    probs["plot.png"] = write_plot(res, out_dir)
    return probs


def print_report(res, t):
    m = res["machine"]
    print(f"bench: {m.get('cpus')} guest CPUs, kernel {m.get('kernel')}, "
          f"{m.get('qemu')}, on {m.get('host_cores')} host cores "
          f"({m.get('host_cpu')})")
    print(t, end="")
    for w in res.get("warnings", []):
        print(f"warning: {w}")
    for g in res["goals"]:
        print(f"goal: {g['verdict']}: {g['goal']} ({g['value']})")
    print(f"delivery: {res['delivery']['why']}")


def run_warnings(res):
    """Conditions that make a run's figures doubtful (reported, not
    failed)."""
    out = []
    c = res.get("conditions", {})
    for when in ("before", "after"):
        la = c.get("host", {}).get(f"loadavg_{when}")
        if la and la[0] > 1:
            out.append(f"host load average {la[0]} {when} the run (other "
                       "work shared the cores)")
    for when in ("start", "end"):
        cs = c.get("guest", {}).get(f"clocksource_{when}") or \
            res.get("machine", {}).get(f"clocksource_{when}")
        if cs and cs != "tsc":
            out.append(f"guest clocksource at the {when}: {cs}, not tsc")
    if c.get("dirty"):
        out.append("the tree differed from the commit recorded")
    return out


# --------------------------------------------------------------------------

def evaluate_run(res_sink, logdir, out_dir, timed_out, rc, timeout,
                 conditions=None):
    """Results of one bench run: the guest's (boot, kernel log, taint, the
    TAP checks of tests/guest/bench.sh, compared with
    harness/expected/bench.txt), every figure, every output."""
    import guestlog
    import manifest
    console = treecfg.read_text(os.path.join(logdir, "console.log"))
    tap = treecfg.read_text(os.path.join(logdir, "tap.log"))
    results = guestlog.evaluate("bench", console, tap, timed_out, timeout,
                                rc)
    for r in manifest.check("bench", results, manifest.Selection("", "")):
        res_sink(*r)
    res = figures(tap)
    res["machine"].update(host_machine())
    res["machine"]["qemu_devices"] = " ".join(DEVICES) + \
        f" + {EDU} x edu (check.qemu_command)"
    res["conditions"].update(conditions or {})
    guest_c = res["conditions"]["guest"]
    for k in ("clocksource_start", "loadavg_start"):
        if k in res["machine"]:
            guest_c[k] = res["machine"][k]
    res["warnings"] = run_warnings(res)
    miss = dict(missing_figures(res))
    wrong = {}
    for name, why in nonsense(res):
        wrong.setdefault(name, []).append(why)
    for fig, kinds in FIGURES:
        for k in kinds:
            name = f"{fig}/{k}"
            if name in miss:
                res_sink("FAIL", f"bench/figure/{name}", miss[name])
            elif name in wrong:
                res_sink("FAIL", f"bench/figure/{name}",
                         "; ".join(wrong.pop(name))[:400])
            else:
                res_sink("PASS", f"bench/figure/{name}")
    for name, whys in sorted(wrong.items()):
        res_sink("FAIL", f"bench/figure/{name}", "; ".join(whys)[:400])
    probs = write_outputs(res, out_dir)
    for name, why in probs.items():
        res_sink("FAIL" if why else "PASS", f"bench/output/{name}",
                 why or "")
    return res


def host_load():
    return [round(x, 2) for x in os.getloadavg()]


def run(res_sink, size, build_first=True, boot=True, logdir=None,
        timeout=1800):
    out_dir = BENCH if size == "full" else os.path.join(BENCH, size)
    # The smoke run's logs are the bench variant's (check.py
    # --update-manifest --variants=bench records them)
    logdir = logdir or os.path.join(treecfg.BUILD, "logs", "bench-full" if
                                    size == "full" else "bench")
    if build_first:
        probs = build()
        res_sink("FAIL" if probs else "PASS", "bench/build",
                 "; ".join(probs)[:400])
        if probs:
            return None
    timed_out, rc = False, 0
    cond = dict(git_state(), date=time.strftime("%Y-%m-%d %H:%M UTC",
                                                time.gmtime()))
    cond["host"] = {"loadavg_before": host_load()}
    if boot:
        timed_out, rc, dt = run_guest(size, logdir, timeout)
        cond["host"]["loadavg_after"] = host_load()
        cond["guest_seconds"] = round(dt)
        print(f"# bench: guest ran {dt:.0f}s", flush=True)
        with open(os.path.join(logdir, "conditions.json"), "w") as f:
            json.dump(cond, f, indent=1)
    else:
        # Re-evaluation: the conditions of the run that wrote the logs
        try:
            with open(os.path.join(logdir, "conditions.json")) as f:
                cond = json.load(f)
        except (OSError, ValueError):
            cond = {}
    res = evaluate_run(res_sink, logdir, out_dir, timed_out, rc, timeout,
                       cond)
    return res, out_dir


def smoke(res):
    """make check's bench stage: the smoke run (tiny sizes)."""
    run(res.add, "smoke", timeout=900)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-run", action="store_true",
                    help="evaluate the logs of the last run again")
    ap.add_argument("--logs", default=None)
    ap.add_argument("--timeout", type=int, default=1800)
    a = ap.parse_args()
    import check
    results = check.Results()
    size = "smoke" if a.smoke else "full"
    out = run(results.add, size, build_first=not a.no_build,
              boot=not a.no_run, logdir=a.logs, timeout=a.timeout)
    if out:
        res, out_dir = out
        print_report(res, table(res))
        print(f"bench: {os.path.relpath(out_dir, treecfg.TOP)}/results.json, "
              "table.md, plot.png")
    print(f"{results.count('PASS')} passed, {results.count('FAIL')} failed")
    return 1 if results.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
