#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: IMS against dynamic MSI-X, measured side by side in one run.

The bench machine: the production configuration of the build matrix
(harness/configs/matrix/production.config: no KUnit, no lock debugging, no
KASAN) plus harness/configs/bench.config, built in its own O= directory
(build/bench/obj); QEMU's q35 with VT-d interrupt remapping, -smp 16 (so
that the x86 vector space exceeds MSI-X's 2048 entries), two edu devices
(IMS in memory and in an MMIO array) and an nvme controller with a 2048
entry MSI-X table and no driver in the guest (dynamic MSI-X). All three are
given to the benchmark module (samples/ims/ims-bench.c) with
driver_override by tests/guest/bench.sh, which runs its commands and
prints their results between BENCH-DATA/BENCH-END markers in TAP.

Outputs (build/bench/, or build/bench/smoke/ for the smoke run): a table on
the terminal (and table.md), results.json and plot.png (gnuplot).

  bench.py            build, run the full benchmark, write the outputs
  bench.py --smoke    the same with tiny sizes (make check's bench stage):
                      every figure must be produced, speed is not judged
  bench.py --no-build --no-run --logs=DIR   re-evaluate the logs of a run
"""
import argparse
import json
import math
import os
import re
import shutil
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

# Sizes: setup rounds, growth limit per kind, vectors held for the memory
# figure, mask rounds.  The full run stays within about ten minutes of TCG
# on two shared cores; the smoke run within seconds once booted.
SIZES = {
    "full": dict(iters=5000, grow=4096, hold=2000, mask=5000, smp=16),
    "smoke": dict(iters=10, grow=24, hold=16, mask=10, smp=16),
}

# What every run must produce: (figure, kinds).  A figure that is missing
# fails the smoke run.
FIGURES = [("setup", KINDS), ("setup_ratio", IMS_KINDS), ("growth", KINDS),
           ("scale", KINDS), ("memory", KINDS), ("mask", KINDS),
           ("mask_ratio", IMS_KINDS)]

DELIVERY_WHY = (
    "not measured: once stored, an IMS message and an MSI-X message are the "
    "same posted write to the same remapping unit and take the same path to "
    "the handler. edu posts an IMS message only through its DMA engine "
    "(about 100 ms of virtual time per transfer) and nvme raises MSI-X only "
    "for completed commands: a rate measured with either trigger would be "
    "the rate of the trigger, not of IMS or MSI-X.")


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
    old = treecfg.read_text(os.path.join(OBJ, ".config"))
    with open(fpath, "w") as f:
        f.write(frag)
    env = dict(os.environ, KCONFIG_ALLCONFIG=fpath)
    r = subprocess.run(kmake("allnoconfig"), capture_output=True, text=True,
                       env=env)
    if r.returncode:
        return [f"config: {(r.stdout + r.stderr).strip()[-300:]}"]
    cfg = os.path.join(OBJ, ".config")
    if old and old == treecfg.read_text(cfg):
        # Unchanged: keep the timestamps, the build stays incremental
        pass
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
    append = check.kernel_append("bench", 2, opts) + " " + " ".join(
        f"ims.bench_{k}={s[k]}" for k in ("iters", "grow", "hold", "mask"))
    return check.qemu_command(
        "vtd", 2, append, logdir=logdir,
        kernel=os.path.join(OBJ, "arch/x86/boot/bzImage"),
        initrd=os.path.join(BENCH, "initramfs.cpio.gz"), smp=s["smp"],
        extra=["-device", "nvme,serial=ims-bench,msix_qsize=2048"])


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
    """{name: [lines]} of the BENCH-DATA NAME ... BENCH-END NAME blocks."""
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


def median(v):
    return statistics.median(v) if v else None


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def growth_of(lines):
    """The figures of one "grow" command's output, or None."""
    head = [words(ln) for ln in lines if ln.startswith("grow ")]
    if not head:
        return None
    g = [ln.split() for ln in lines if ln.startswith("g ")]
    up = [int(x[3]) for x in g]
    down = [int(x[4]) for x in g]
    h = head[0]
    tenth = max(1, len(up) // 10)
    gr = {
        "got": num(h.get("got")), "max": num(h.get("max")),
        "stop_errno": num(h.get("stop_errno")),
        "teardown_order": h.get("order"),
        "setup_ns": up, "teardown_ns": down,
        "setup_first_tenth_median_ns": median(up[:tenth]),
        "setup_last_tenth_median_ns": median(up[-tenth:]),
        "teardown_first_tenth_median_ns": median(down[:tenth]),
        "teardown_last_tenth_median_ns": median(down[-tenth:]),
    }
    # How much dearer the last tenth of the vectors is than the first: 1.0
    # for a cost that does not grow with the number of vectors held
    gr["setup_growth"] = ratio(gr["setup_last_tenth_median_ns"],
                               gr["setup_first_tenth_median_ns"])
    gr["teardown_growth"] = ratio(gr["teardown_last_tenth_median_ns"],
                                  gr["teardown_first_tenth_median_ns"])
    return gr


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


def figures(tap):
    """Every figure of a run from its tap.log text."""
    b = data_blocks(tap)
    res = {"machine": {}, "params": {}}
    for ln in b.get("machine", []):
        if "=" in ln:
            k, v = ln.split("=", 1)
            res["machine"][k.strip()] = v.strip()
    res["params"] = {k: num(v) for k, v in words(
        " ".join(b.get("params", []))).items()}

    setup = {}
    for ln in b.get("setup", []):
        if ln.startswith("setup "):
            w = words(ln)
            kind = w.pop("kind", None)
            setup[kind] = {k: num(v) for k, v in w.items()}
    res["setup"] = setup
    base = setup.get("msix", {}).get("total_median_ns")
    res["setup_ratio"] = {k: ratio(setup[k].get("total_median_ns"), base)
                          for k in IMS_KINDS if k in setup}

    growth, scale = {}, {}
    res["growth_freed_in_allocation_order"] = {
        k: growth_of(b[f"grow-fifo-{k}"]) for k in KINDS
        if growth_of(b.get(f"grow-fifo-{k}", []))}
    for kind in KINDS:
        gr = growth_of(b.get(f"grow-{kind}", []))
        if not gr:
            continue
        growth[kind] = gr
        vec = "\n".join(b.get(f"vector-{kind}", []))
        m = re.search(r"Global available:\s+(\d+)", vec)
        free = int(m.group(1)) if m else None
        scale[kind] = {"vectors": gr["got"], "vector_free_before": free,
                       "fraction_of_free": ratio(gr["got"], free),
                       "limited_by": "the request limit of the run"
                       if gr["stop_errno"] == 0 else
                       f"errno {gr['stop_errno']}"}
    res["growth"] = growth
    res["scale"] = scale

    memory = {}
    for kind in KINDS:
        before = meminfo(b.get(f"mem-before-{kind}", []))
        after = meminfo(b.get(f"mem-after-{kind}", []))
        held = [words(ln) for ln in b.get(f"hold-{kind}", [])
                if ln.startswith("hold ")]
        if not before or not after or not held:
            continue
        n = num(held[0].get("got"))
        d = {k: after.get(k, 0) - before.get(k, 0)
             for k in ("Slab", "VmallocUsed", "Percpu")}
        total = sum(d.values())
        memory[kind] = {"vectors": n, "slab_kb": d["Slab"],
                        "vmalloc_kb": d["VmallocUsed"],
                        "percpu_kb": d["Percpu"],
                        "bytes_per_vector": round(total * 1024 / n)
                        if n else None}
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


def goals(res):
    """The issue's goals, reported (not asserted)."""
    out = []
    sr = res.get("setup_ratio", {})
    for k in IMS_KINDS:
        if sr.get(k) is not None:
            out.append({"goal": f"{k} set-up+tear-down <= 1.0x dynamic "
                        "MSI-X", "value": sr[k], "met": sr[k] <= 1.0})
    for k in IMS_KINDS:
        s = res.get("scale", {}).get(k)
        if s and s.get("fraction_of_free") is not None:
            out.append({"goal": f"{k}: one device gets >= 95% of the free "
                        "vectors", "value": s["fraction_of_free"],
                        "met": s["fraction_of_free"] >= 0.95})
            out.append({"goal": f"{k}: more than 2048 vectors",
                        "value": s["vectors"], "met": s["vectors"] > 2048})
    mem = res.get("memory", {})
    mx = mem.get("msix", {}).get("bytes_per_vector")
    for k in IMS_KINDS:
        v = mem.get(k, {}).get("bytes_per_vector")
        if v is not None and mx is not None:
            out.append({"goal": f"{k} memory per vector <= MSI-X's",
                        "value": v, "met": v <= mx})
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
            elif fig == "growth" and not v["setup_ns"]:
                out.append((name, "no vector was set up"))
    return out


# --------------------------------------------------------------------------
# Outputs

def us(ns):
    return "-" if ns is None else f"{ns / 1000:.1f}"


def table(res):
    """The terminal table (markdown, so that the README can show it)."""
    L = []
    s, g, sc, mem, mk = (res["setup"], res["growth"], res["scale"],
                         res["memory"], res["mask"])
    L.append("| kind | set-up+tear-down median us (p99) | vs MSI-X | "
             "alloc / request_irq / free_irq / free us | growth of the k-th "
             "set-up / tear-down (last/first tenth) | vectors (free before) | bytes/vector | "
             "mask+unmask median us (p99) | vs MSI-X |")
    L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for k in KINDS:
        a = s.get(k, {})
        steps = " / ".join(us(a.get(f"{st}_median_ns")) for st in STEPS)
        gk = g.get(k, {})
        c = sc.get(k, {})
        m = mk.get(k, {})
        L.append(
            f"| {k} | {us(a.get('total_median_ns'))} "
            f"({us(a.get('total_p99_ns'))}) | "
            f"{res['setup_ratio'].get(k, 1.0 if k == 'msix' else None)} | "
            f"{steps} | {gk.get('setup_growth')} / "
            f"{gk.get('teardown_growth')} | "
            f"{c.get('vectors')} ({c.get('vector_free_before')}) | "
            f"{mem.get(k, {}).get('bytes_per_vector')} | "
            f"{us(m.get('median_ns'))} ({us(m.get('p99_ns'))}) | "
            f"{res['mask_ratio'].get(k, 1.0 if k == 'msix' else None)} |")
    return "\n".join(L) + "\n"


def write_plot(res, out_dir):
    """plot.png: the growth curve and the per-vector cost side by side
    (gnuplot, Debian's gnuplot-nox). Returns a problem or None."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot is missing (make deps installs gnuplot-nox)"
    dat = os.path.join(out_dir, "plot-growth.dat")
    with open(dat, "w") as f:
        for k in KINDS:
            up = res["growth"].get(k, {}).get("setup_ns", [])
            down = res["growth"].get(k, {}).get("teardown_ns", [])
            f.write(f"# {k}: k, set-up us, tear-down us (median of a bin)\n")
            bin_ = max(1, math.ceil(len(up) / 128))
            for i in range(0, len(up), bin_):
                f.write(f"{i + 1} {median(up[i:i + bin_]) / 1000:.2f} "
                        f"{median(down[i:i + bin_]) / 1000:.2f}\n")
            f.write("\n\n")
        fifo = res.get("growth_freed_in_allocation_order", {}).get(
            "ims-mem", {}).get("teardown_ns", [])
        f.write("# ims-mem freed in allocation order: k, tear-down us\n")
        bin_ = max(1, math.ceil(len(fifo) / 128))
        for i in range(0, len(fifo), bin_):
            f.write(f"{i + 1} {median(fifo[i:i + bin_]) / 1000:.2f}\n")
        f.write("\n\n")
    bars = os.path.join(out_dir, "plot-cost.dat")
    with open(bars, "w") as f:
        f.write("kind " + " ".join(STEPS) + "\n")
        for k in KINDS:
            a = res["setup"].get(k, {})
            f.write(k + " " + " ".join(
                f"{(a.get(f'{st}_median_ns') or 0) / 1000:.2f}"
                for st in STEPS) + "\n")
    fifo_plot = "" if not fifo else (
        f", \\\n     '{dat}' index {len(KINDS)} using 1:2 with lines dt 3 "
        "lc 1 title \"ims-mem tear-down, freed in allocation order\"")
    png = os.path.join(out_dir, "plot.png")
    m = res.get("machine", {})
    title = (f"IMS vs dynamic MSI-X: {m.get('cpus', '?')} guest CPUs, "
             f"Linux {m.get('kernel', '?')}, QEMU TCG on "
             f"{m.get('host_cores', '?')} host cores ({m.get('host_cpu', '?')})")
    script = f"""
set terminal pngcairo size 1400,560 font ",10" noenhanced
set output '{png}'
set multiplot layout 1,2 title "{title}"
set title "Growth: cost of the k-th vector (median per bin)"
set xlabel "k (vectors held)"
set ylabel "microseconds"
set key top left
set logscale y
plot for [i=0:{len(KINDS) - 1}] '{dat}' index i using 1:2 with lines \\
     lw 2 lc i+1 title word("{' '.join(KINDS)}", i+1)." set-up", \\
     for [i=0:{len(KINDS) - 1}] '{dat}' index i using 1:3 with lines \\
     dt 2 lc i+1 title word("{' '.join(KINDS)}", i+1)." tear-down"{fifo_plot}
unset logscale y
set title "Set-up + tear-down of one vector (median of each step)"
set xlabel ""
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.6
set key outside right top autotitle columnheader
set yrange [0:*]
plot '{bars}' using 2:xtic(1), '' using 3, '' using 4, '' using 5
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
    for k, g in res.get("growth_freed_in_allocation_order", {}).items():
        lifo = res["growth"].get(k, {}).get("teardown_growth")
        print(f"teardown: {k}: the last tenth of {g['got']} vectors costs "
              f"{lifo}x the first freed in reverse order, "
              f"{g['teardown_growth']}x freed in allocation order")
    for g in res["goals"]:
        print(f"goal: {'met' if g['met'] else 'NOT met'}: {g['goal']} "
              f"({g['value']})")
    print(f"delivery: {res['delivery']['why']}")


# --------------------------------------------------------------------------

def evaluate_run(res_sink, logdir, out_dir, timed_out, rc, timeout):
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
    miss = dict(missing_figures(res))
    for fig, kinds in FIGURES:
        for k in kinds:
            name = f"{fig}/{k}"
            if name in miss:
                res_sink("FAIL", f"bench/figure/{name}", miss[name])
            else:
                res_sink("PASS", f"bench/figure/{name}")
    probs = write_outputs(res, out_dir)
    for name, why in probs.items():
        res_sink("FAIL" if why else "PASS", f"bench/output/{name}",
                 why or "")
    return res


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
    if boot:
        timed_out, rc, dt = run_guest(size, logdir, timeout)
        print(f"# bench: guest ran {dt:.0f}s", flush=True)
    res = evaluate_run(res_sink, logdir, out_dir, timed_out, rc, timeout)
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
