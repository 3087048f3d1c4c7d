# An export with the Nth allocation, file write, fsync or SQLite statement
# failing (cdx-fault, tests/fault/fault.c), for every N the export
# reaches: it fails with a message and leaves nothing at the destination
# (no partial file, no temporary beside it), or writes the whole content;
# the store passes its integrity check and its audit chain verifies; and
# the same export then succeeds with the fault lifted. The rules on who
# may export are t_access's; files that exist already, t_outfiles'.
. "$(dirname "$0")/lib_sweep.sh"
t0=$(date +%s)

make_node csu 0DF csu
head -c $((2 * 1048576 + 777)) /dev/urandom > "$T/extract.csv"
id=$(publish csu sus/apc "$T/extract.csv")
mkdir "$T/dest"
# The export, as words ($T has no spaces: mktemp).
EXP="export --home $T/csu --purpose commissioning $id -o $T/dest/out.csv"
exports() { q csu "SELECT count(*) FROM audit WHERE action = 'export' AND decision = 'allow'"; }

CDX_FAULT=count "$CDX_FAULT_BIN" $EXP >"$T/count.out" 2>"$T/count.err" ||
    fail "counting export failed: $(cat "$T/count.err")"
cmp -s "$T/extract.csv" "$T/dest/out.csv" || fail "the counting export wrote other content"
for kind in $FAULT_KINDS; do
    k=$(fault_count "$kind" "$T/count.err")
    say "export: $kind: $k calls; trying $(sweep_points "$k" | wc -l) (stride $(sweep_stride "$k") after $FAULT_EXHAUSTIVE)"
    for n in $(sweep_points "$k"); do
        plan="$kind:$n"
        rm -f "$T/dest/out.csv"
        before=$(exports)
        fault_run "$plan" "$T/f.out" "$T/f.err" "$CDX_FAULT_BIN" $EXP
        fault_reached "$plan" "$T/f.err" || say "$plan: not reached in this run"
        if [ "$FAULT_RC" -eq 0 ]; then
            cmp -s "$T/extract.csv" "$T/dest/out.csv" || fail "$plan: exit 0 but the output differs"
            [ "$(exports)" = $((before + 1)) ] || fail "$plan: exit 0 but the export is not audited once"
            rm -f "$T/dest/out.csv"
        fi
        left=$(ls -A "$T/dest")
        [ -z "$left" ] || fail "$plan: failed (exit $FAULT_RC) and left in the destination: $left"
        store_ok csu || fail "$plan: store integrity check: $(q csu 'PRAGMA integrity_check')"
        audit_ok csu "$plan"
        "$CDX" $EXP >"$T/retry.out" 2>"$T/retry.err" ||
            fail "$plan: the export again without the fault: $(cat "$T/retry.err")"
        cmp -s "$T/extract.csv" "$T/dest/out.csv" || fail "$plan: the export again wrote other content"
    done
done
store_clean csu 2>"$T/clean.err" || fail "$(cat "$T/clean.err")"
say "ok: $FAULT_TRIED faulted exports, $(( $(date +%s) - t0 )) s"
