# A publish with the Nth allocation, file write, fsync or SQLite statement
# failing (cdx-fault, tests/fault/fault.c), for every N the publish
# reaches: it fails with a message or succeeds, never crashes or hangs; the
# store passes its integrity check and its audit chain verifies; a dataset
# is listed only if it is whole (its sealed file, its delivery queued for
# the one subscriber, its content exported back byte for byte) and data/
# holds nothing else; and the same publish then succeeds with the fault
# lifted. Not a test of full disks or kills (t_fulldisk, t_kill).
. "$(dirname "$0")/lib_sweep.sh"
t0=$(date +%s)

sweep_pair

# Two chunks: the hasher thread runs, and the last chunk is short.
head -c $((1048576 + 1000)) /dev/urandom > "$T/extract.csv"
# The publish, as words ($T has no spaces: mktemp).
PUB="publish --home $T/csu --topic sus/apc --class pseudonymised --purpose commissioning $T/extract.csv"
rows() { q csu "SELECT count(*) FROM datasets"; }

# whole ID WHAT: dataset ID is listed with its delivery and its content.
whole() {
    [ "$(q csu "SELECT count(*) FROM deliveries WHERE dataset = '$1' AND state = 'queued'")" = 1 ] ||
        fail "$2: dataset $1 is listed without exactly one queued delivery"
    rm -f "$T/back.csv"
    "$CDX" export --home "$T/csu" --purpose commissioning "$1" -o "$T/back.csv" >/dev/null 2>"$T/export.err" ||
        fail "$2: dataset $1 is listed but does not export: $(cat "$T/export.err")"
    cmp -s "$T/extract.csv" "$T/back.csv" || fail "$2: dataset $1 exports other content"
}

CDX_FAULT=count "$CDX_FAULT_BIN" $PUB >"$T/count.out" 2>"$T/count.err" || fail "counting publish failed: $(cat "$T/count.err")"
whole "$(cat "$T/count.out")" "counting publish"
for kind in $FAULT_KINDS; do
    k=$(fault_count "$kind" "$T/count.err")
    say "publish: $kind: $k calls; trying $(sweep_points "$k" | wc -l) (stride $(sweep_stride "$k") after $FAULT_EXHAUSTIVE)"
    for n in $(sweep_points "$k"); do
        plan="$kind:$n"
        before=$(rows)
        fault_run "$plan" "$T/f.out" "$T/f.err" "$CDX_FAULT_BIN" $PUB
        fault_reached "$plan" "$T/f.err" || say "$plan: not reached in this run"
        store_ok csu || fail "$plan: store integrity check: $(q csu 'PRAGMA integrity_check')"
        after=$(rows)
        new=$(q csu "SELECT id FROM datasets ORDER BY rowid DESC LIMIT 1")
        if [ "$FAULT_RC" -eq 0 ]; then
            [ "$after" = $((before + 1)) ] || fail "$plan: published, but $((after - before)) new datasets listed"
            [ "$(cat "$T/f.out")" = "$new" ] || fail "$plan: printed '$(cat "$T/f.out")', listed $new"
            whole "$new" "$plan"
        elif [ "$after" != "$before" ]; then
            # Committed, then a later step failed (the WAL sync): said so,
            # and the dataset is whole.
            [ "$after" = $((before + 1)) ] || fail "$plan: $((after - before)) new datasets after a failure"
            grep -q "recorded" "$T/f.err" ||
                fail "$plan: failed ($(grep '^cdx: ' "$T/f.err")) but dataset $new is listed"
            whole "$new" "$plan"
        fi
        store_clean csu 2>"$T/clean.err" || fail "$plan: $(cat "$T/clean.err")"
        audit_ok csu "$plan"
        "$CDX" $PUB >"$T/retry.out" 2>"$T/retry.err" || fail "$plan: the publish again without the fault: $(cat "$T/retry.err")"
        whole "$(cat "$T/retry.out")" "$plan, retried"
    done
done
say "ok: $FAULT_TRIED faulted publishes, $(rows) datasets, $(( $(date +%s) - t0 )) s"
