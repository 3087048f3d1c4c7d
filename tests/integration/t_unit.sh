# The install and the systemd unit: cmake --install (what make install
# runs) with DESTDIR puts cdx, cdx(1), the bash completion, the unit,
# sysusers.d, tmpfiles.d and the docs in their places under the prefix;
# the unit installed passes systemd-analyze verify, with the cdx binary
# and the man page it names found where it names them (the DESTDIR tree
# mounted over the prefix in a mount namespace of this test alone), and
# systemd-analyze security --offline rates it OK or better (exposure at
# most 4.9). Needs root (mount); CI runs as root.
. "$(dirname "$0")/lib.sh"

build=$(dirname "$CDX")
[ "$(id -u)" -eq 0 ] || skip "needs root to mount the installed tree over the prefix"
command -v systemd-analyze >/dev/null || skip "no systemd-analyze (install systemd)"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
[ -n "$prefix" ] || fail "no CMAKE_INSTALL_PREFIX in $build/CMakeCache.txt"

DESTDIR="$T/root" cmake --install "$build" >"$T/install.log" 2>&1 || fail "install: $(tail -n 5 "$T/install.log")"
unit=$(find "$T/root" -name 'cdx@.service')
[ -n "$unit" ] || fail "no cdx@.service installed: $(cat "$T/install.log")"
for f in "$prefix/bin/cdx" "$prefix/share/man/man1/cdx.1" "$prefix/share/bash-completion/completions/cdx" \
         "$prefix/share/doc/cdx/README.md" "$prefix/share/doc/cdx/ARCHITECTURE.md" \
         "$prefix/share/doc/cdx/SPEC.md"; do
    [ -f "$T/root$f" ] || fail "not installed: $f"
done
find "$T/root" -name cdx.conf | grep -q sysusers.d || fail "no sysusers.d/cdx.conf"
find "$T/root" -name cdx.conf | grep -q tmpfiles.d || fail "no tmpfiles.d/cdx.conf"
find "$T/root" -name 'cdx-gen-apc' | grep -q . && fail "cdx-gen-apc (test data) was installed"
[ -x "$T/root$prefix/bin/cdx" ] && "$T/root$prefix/bin/cdx" --version | grep -q '^cdx [0-9]' ||
    fail "the installed cdx --version"
grep -qx "ExecStart=$prefix/bin/cdx run --home /var/lib/cdx/%i" "$unit" ||
    fail "the unit does not run $prefix/bin/cdx: $(grep ExecStart "$unit")"
for k in Type=notify NotifyAccess=main Restart=always User=cdx Group=cdx StateDirectory=cdx/%i RuntimeDirectory=cdx \
         RuntimeDirectoryPreserve=yes "CapabilityBoundingSet=" ProtectSystem=strict SystemCallFilter=@system-service; do
    grep -qx -- "$k" "$unit" || fail "the unit lacks $k"
done
grep -q '^WatchdogSec=[1-9]' "$unit" || fail "the unit has no WatchdogSec"
grep -q '^ExecReload' "$unit" && fail "the unit has an ExecReload (SIGHUP stops the node)"

# verify: an instance of the installed template, the prefix's bin and man
# directories replaced by the installed ones in a mount namespace.
cp "$unit" "$T/cdx@test.service"
mkdir -p "$T/root$prefix/share/man"
unshare --mount --propagation private sh -c '
    set -e
    mkdir -p "$2/bin" "$2/share/man"
    mount --bind "$1$2/bin" "$2/bin"
    mount --bind "$1$2/share/man" "$2/share/man"
    test -x "$2/bin/cdx"
    systemd-analyze verify "$3"' sh "$T/root" "$prefix" "$T/cdx@test.service" >"$T/verify.out" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$T/verify.out")"
[ ! -s "$T/verify.out" ] || fail "systemd-analyze verify says: $(cat "$T/verify.out")"

# The same check must fail for a unit naming a binary that is not there.
sed 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/cdx|' "$unit" > "$T/bad@test.service"
systemd-analyze verify --man=no "$T/bad@test.service" >/dev/null 2>&1 && fail "verify passed a unit without its binary"

systemd-analyze security --offline=yes "$T/cdx@test.service" >"$T/security.out" 2>&1 ||
    fail "systemd-analyze security: $(tail -n 3 "$T/security.out")"
line=$(grep "Overall exposure level" "$T/security.out") || fail "no exposure level: $(tail -n 3 "$T/security.out")"
score=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')
[ -n "$score" ] || fail "cannot read the exposure level: $line"
awk -v s="$score" 'BEGIN { exit !(s <= 4.9) }' || fail "exposure $score is above 4.9: $line"
say "systemd-analyze security: exposure $score ($(printf '%s\n' "$line" | awk '{print $(NF-1)}'))"
say ok
