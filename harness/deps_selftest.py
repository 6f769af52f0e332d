#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The snapshot.debian.org fallback of harness/deps.sh, exercised.

deps.sh fetches the pinned kernel source package from the live archive and,
when the pin is gone from it (or the archive cannot be read), the same .deb
from snapshot.debian.org by its SHA-1, checked against the pinned SHA-256.
Each scenario runs deps.sh with IMS_BUILD in a scratch directory (build/ is
not touched) against a local HTTP server standing in for snapshot
(IMS_SNAPSHOT_URL), and for the live archive either a mirror that cannot
be reached (IMS_DEBIAN_MIRROR, no network needed) or a real suite without
the package (IMS_KSRC_SUITE=bookworm-backports, network needed).

Without network and without the real .deb (make check's self-tests):
  both-gone          no mirror, snapshot answers 404: a clear error naming
                     both, nothing extracted
  wrong-checksum     snapshot serves other bytes: refused, nothing extracted
With --deb FILE (the real linux-source-7.3 .deb; network for the index):
  fallback-unreachable-mirror  no mirror: fetched from snapshot, extracted
  fallback-version-gone        the suite does not offer the pin: the same
  live                         the normal path, untouched by the above

usage: deps_selftest.py [--deb FILE]
"""
import argparse
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treecfg  # noqa: E402

DEPS = os.path.join(treecfg.TOP, "harness", "deps.sh")
# A port nothing listens on: connection refused at once
DEAD_MIRROR = "http://127.0.0.1:9/debian"


def pinned(name):
    text = open(DEPS).read()
    return re.search(rf"^{name}=(\S+)$", text, re.M).group(1)


class Snapshot:
    """A local stand-in for snapshot.debian.org: serves files[path]."""

    def __init__(self, files):
        self.dir = tempfile.mkdtemp(prefix="ims-snapshot-")
        for rel, src in files.items():
            dst = os.path.join(self.dir, rel.lstrip("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if isinstance(src, bytes):
                with open(dst, "wb") as f:
                    f.write(src)
            else:
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copy(src, dst)
        handler = functools.partial(_Quiet, directory=self.dir)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def run_deps(snapshot_url, mirror=None, suite=None):
    """deps.sh in a scratch IMS_BUILD: (exit status, output, whether the
    kernel tarball was extracted and stamped)."""
    build = tempfile.mkdtemp(prefix="ims-deps-")
    env = dict(os.environ, IMS_BUILD=build, IMS_SNAPSHOT_URL=snapshot_url)
    if mirror:
        env["IMS_DEBIAN_MIRROR"] = mirror
    if suite:
        env["IMS_KSRC_SUITE"] = suite
    try:
        r = subprocess.run(["bash", DEPS], capture_output=True, text=True,
                           env=env, timeout=900)
        stamp = os.path.join(build, "deb", ".fetched")
        ok = (os.path.exists(os.path.join(build, "deb", "usr", "src",
                                          "linux-source-7.3.tar.xz")) and
              os.path.exists(stamp))
        return r.returncode, r.stdout + r.stderr, ok
    finally:
        shutil.rmtree(build, ignore_errors=True)


def scenarios(deb=None):
    """[(name, ok, why)]"""
    sha1 = pinned("KSRC_DEB_SHA1")
    out = []

    def check(name, files, want_ok, words, **kw):
        snap = Snapshot(files)
        try:
            rc, text, extracted = run_deps(snap.url, **kw)
        finally:
            snap.close()
        good = (rc == 0) == want_ok and extracted == want_ok and all(
            w in text for w in words)
        out.append((name, good, f"exit {rc}, extracted {extracted}: "
                    f"{text.strip()[-400:]}"))

    check("both-gone", {}, False,
          ["cannot be fetched", "cannot read Debian's", "snapshot:",
           "404", "bump KSRC_VER"], mirror=DEAD_MIRROR)
    check("wrong-checksum", {f"file/{sha1}": b"not the kernel source\n"},
          False, ["cannot be fetched", "does not have the pinned SHA-256"],
          mirror=DEAD_MIRROR)
    if deb:
        check("fallback-unreachable-mirror", {f"file/{sha1}": deb}, True,
              ["cannot read Debian's", f"/file/{sha1}"], mirror=DEAD_MIRROR)
        check("fallback-version-gone", {f"file/{sha1}": deb}, True,
              ["is not offered by Debian's bookworm-backports",
               f"/file/{sha1}"], suite="bookworm-backports")
        check("live", {}, True, ["from Debian's trixie-backports"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deb", help="the real linux-source-7.3 .deb, for the "
                    "scenarios that fetch successfully")
    a = ap.parse_args()
    failed = 0
    for name, ok, why in scenarios(a.deb):
        print(("PASS" if ok else "FAIL") + f" deps/{name}" +
              ("" if ok else f": {why}"), flush=True)
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
