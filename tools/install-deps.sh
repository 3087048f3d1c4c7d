#!/bin/sh
# Installs the Debian 12 packages cdx needs to build, test and run its demo,
# but only those that are missing. Needs root (or sudo) when anything is missing.
set -eu

PKGS="build-essential cmake pkg-config libzmq3-dev libsodium-dev libsqlite3-dev \
libmsgpack-dev libmicrohttpd-dev check python3 sqlite3 python3-zmq python3-msgpack python3-nacl \
passwd util-linux mount procps coreutils prometheus \
libsystemd-dev systemd groff-base man-db bash \
debhelper dpkg-dev fakeroot lintian git chromium poppler-utils"
# (the integration tests: useradd/userdel, runuser, prlimit, fallocate,
# mount for a tmpfs, kill, timeout; CI sets CDX_NO_SKIP, so none may skip;
# promtool, from prometheus, checks the metrics; sd_notify and
# systemd-analyze for the unit, groff and man for cdx(1), debhelper and
# lintian for the package test, chromium (headless) and pdfinfo from
# poppler-utils to render cdx report's page in t_report)
[ $# -gt 0 ] && PKGS="$PKGS $*"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "cdx: installing missing packages:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "cdx: need root to install:$missing (run as root, or install them yourself)" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
