# make demo's script, its output not a terminal: every step runs and
# passes, and the text has no terminal escapes (colour only on a
# terminal). A small extract keeps it short.
. "$(dirname "$0")/lib.sh"
DEMO="$(dirname "$0")/../../tools/demo.sh"
BUILD=$(dirname "$CDX")
[ -x "$BUILD/cdx-gen-apc" ] || BUILD=$T/bin
if [ "$BUILD" = "$T/bin" ]; then
    mkdir -p "$T/bin"; ln -s "$CDX" "$T/bin/cdx"; ln -s "$CDX_GEN" "$T/bin/cdx-gen-apc"
fi
chmod 711 "$T"                     # the demo's people reach its nodes under $T
rc=0
env -u NO_COLOR TMPDIR="$T" CDX_DEMO_ROWS=500 sh "$DEMO" "$BUILD" > "$T/demo.out" 2>&1 < /dev/null || rc=$?
[ "$rc" -eq 0 ] || { tail -n 40 "$T/demo.out" >&2; grep -B3 "DEMO FAILED" "$T/demo.out" >&2
    fail "the demo failed (exit $rc)"; }
grep -q "demo: all checks passed" "$T/demo.out" || fail "the demo did not reach its end"
if grep -q "$(printf '\033')" "$T/demo.out"; then
    grep -n "$(printf '\033')" "$T/demo.out" | head -3 | cat -v >&2
    fail "the demo writes terminal escapes into a file"
fi
say "ok"
