#!/bin/sh
# make deb-install-check: installs the package make deb built into a fresh
# minimal Debian 12 root (debootstrap from deb.debian.org, cached as
# OUT/bookworm-base.tar.gz; each run unpacks a new copy), with its
# dependencies through apt in the chroot, and checks there: cdx --version,
# man cdx, the user and group cdx, /var/lib/cdx, the unit, the completion;
# then cdx init as the user cdx into /var/lib/cdx/NAME, as the docs say.
# Needs root. OUT defaults to build-deb/.
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-build-deb}
MIRROR=${DEB_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "deb-install-check: needs root (debootstrap, chroot)" >&2; exit 1; }
deb=$(ls "$OUT"/cdx_*_*.deb 2>/dev/null | grep -v dbgsym | head -n 1)
[ -n "$deb" ] || { echo "deb-install-check: no package in $OUT/ (run make deb)" >&2; exit 1; }
start=$(date +%s)
base="$OUT/bookworm-base.tar.gz"
if [ ! -f "$base" ]; then
    echo "deb-install-check: debootstrap bookworm (minbase) from $MIRROR, cached in $base"
    rm -rf "$OUT/bootstrap"
    debootstrap --variant=minbase bookworm "$OUT/bootstrap" "$MIRROR" > "$OUT/debootstrap.log" 2>&1 ||
        { tail -n 20 "$OUT/debootstrap.log"; exit 1; }
    tar -C "$OUT/bootstrap" -czf "$base.tmp" . && mv "$base.tmp" "$base"
    rm -rf "$OUT/bootstrap"
fi
root="$OUT/root"
umount_all() {
    for m in dev/pts dev proc sys; do mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"; done
    return 0
}
trap umount_all EXIT
umount_all
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xzf "$base"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t sysfs sys "$root/sys"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
echo "deb-install-check: apt-get install ./$(basename "$deb") (and man-db, to read the page) in a fresh root"
in_root apt-get update -q > "$OUT/apt.log" 2>&1 || { tail -n 20 "$OUT/apt.log"; exit 1; }
in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")" man-db >> "$OUT/apt.log" 2>&1 ||
    { tail -n 30 "$OUT/apt.log"; exit 1; }
fail() { echo "deb-install-check: FAIL: $*" >&2; exit 1; }
echo "--- cdx --version"
in_root cdx --version || fail "cdx --version"
echo "--- man cdx (first lines)"
in_root sh -c 'MANWIDTH=80 man cdx 2>&1 | head -n 12' > "$OUT/man.txt"
cat "$OUT/man.txt"
grep -q "cdx - exchange encrypted, signed datasets" "$OUT/man.txt" || fail "man cdx"
echo "--- the user, the group, /var/lib/cdx, the unit, the completion"
in_root getent passwd cdx || fail "no user cdx"
in_root getent group cdx || fail "no group cdx"
in_root stat -c '%U:%G %a %n' /var/lib/cdx || fail "no /var/lib/cdx"
in_root test -f /lib/systemd/system/cdx@.service || fail "no unit"
in_root test -f /usr/share/bash-completion/completions/cdx || fail "no completion"
echo "--- as the docs say: a passphrase, cdx init as the user cdx into /var/lib/cdx/test"
in_root sh -c 'install -d -m 0700 /etc/cdx && (umask 077; head -c 32 /dev/urandom | base64 > /etc/cdx/test.passphrase)'
in_root sh -c 'CDX_PASSPHRASE=$(cat /etc/cdx/test.passphrase) runuser -u cdx -- cdx init --home /var/lib/cdx/test \
    --org 0DF --role csu --name "Example CSU" --endpoint tcp://127.0.0.1:7101' || fail "cdx init as cdx"
in_root stat -c '%U:%G %a %n' /var/lib/cdx/test /var/lib/cdx/test/keys/sign.key /var/lib/cdx/test/store.db
in_root runuser -u cdx -- cdx card --home /var/lib/cdx/test >/dev/null 2>&1 && fail "the keys open without the passphrase"
in_root sh -c 'CDX_PASSPHRASE=$(cat /etc/cdx/test.passphrase) runuser -u cdx -- cdx card --home /var/lib/cdx/test' |
    grep '^org: 0DF' || fail "cdx card with the passphrase"
echo "deb-install-check: ok in $(( $(date +%s) - start )) s"
