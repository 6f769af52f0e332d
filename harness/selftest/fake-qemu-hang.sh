#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stand-in for QEMU whose guest hangs: it writes the start of a boot to the
# console log, then never finishes.  The harness must kill it at its timeout.
mkdir -p "$1"
echo "[    0.000000] Linux version 6.12.117 (fake hung guest)" > "$1/console.log"
echo "IMS-HARNESS: begin variant=fake" > "$1/tap.log"
echo "GUEST-TEST platform" >> "$1/tap.log"
exec sleep 600
