# The Debian package: tools/deb.sh (make deb) builds it from this tree,
# lintian reports no error, and the .deb holds cdx, cdx(1), the completion,
# the unit naming /usr/bin/cdx, sysusers.d and tmpfiles.d, with a postinst
# that makes the user cdx before /var/lib/cdx, and depends on the
# libraries cdx links. Registered for the normal build only (a sanitizer
# build has nothing to add to it): about half a minute on two cores.
. "$(dirname "$0")/../integration/lib.sh"

src=$(cd "$(dirname "$0")/../.." && pwd)
"$src/tools/deb.sh" "$T/deb" > "$T/deb.out" 2>&1 || fail "deb.sh: $(tail -n 30 "$T/deb.out")"
say "$(grep '^deb: ' "$T/deb.out" | tr '\n' ' ')"
grep -q '^E:' "$T/deb/lintian.txt" && fail "lintian: $(grep '^E:' "$T/deb/lintian.txt")"
deb=$(ls "$T"/deb/cdx_*_*.deb)
dpkg-deb -c "$deb" | awk '{print $6}' > "$T/files"
for f in ./usr/bin/cdx ./usr/share/man/man1/cdx.1.gz ./usr/share/bash-completion/completions/cdx \
         ./lib/systemd/system/cdx@.service ./usr/lib/sysusers.d/cdx.conf ./usr/lib/tmpfiles.d/cdx.conf \
         ./usr/share/doc/cdx/copyright ./usr/share/doc/cdx/README.md.gz; do
    grep -qx -- "$f" "$T/files" || fail "not in the package: $f"
done
grep -q cdx-gen-apc "$T/files" && fail "cdx-gen-apc (test data) is in the package"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./lib/systemd/system/cdx@.service | grep -qx \
    'ExecStart=/usr/bin/cdx run --home /var/lib/cdx/%i' || fail "the packaged unit does not run /usr/bin/cdx"
dpkg-deb -e "$deb" "$T/control"
sysusers=$(grep -n 'systemd-sysusers' "$T/control/postinst" | cut -d: -f1)
tmpfiles=$(grep -n 'systemd-tmpfiles' "$T/control/postinst" | cut -d: -f1 | head -n 1)
[ -n "$sysusers" ] && [ -n "$tmpfiles" ] && [ "$sysusers" -lt "$tmpfiles" ] ||
    fail "the postinst does not make the user before /var/lib/cdx: $(cat "$T/control/postinst")"
grep -q 'systemctl.*enable\|deb-systemd-invoke start' "$T/control/postinst" &&
    fail "the postinst enables or starts a unit: $(cat "$T/control/postinst")"
for d in libzmq5 libsodium23 libsqlite3-0 libsystemd0 libmsgpackc2 libmicrohttpd12; do
    grep '^Depends:' "$T/control/control" | grep -q "$d" || fail "no dependency on $d: $(grep '^Depends' "$T/control/control")"
done
say ok
