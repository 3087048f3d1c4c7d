# cdx audit reconcile: two real nodes check each other's signed audit
# exports against what they hold (sends with signed receipts, datasets
# received). A stale export and a deliberately altered hash are found and
# named; an altered export or one from a stranger is refused.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg
pin ccg csu
agree csu ccg "sus/*"
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null
start csu
start ccg
wait_until 20 subscription_active ccg 0DF sus/apc || fail "subscription not active"
printf 'practice,admissions\nA81001,12\n' > "$T/v1.csv"
printf 'practice,admissions\nA81001,13\n' > "$T/v2.csv"
id1=$("$CDX" publish --home "$T/csu" --topic sus/apc --class aggregate --purpose commissioning "$T/v1.csv")
wait_until 20 is_delivered csu "$id1" 04V || fail "v1 not delivered"

# reconcile NODE FILE: prints the JSON result, returns cdx's exit code.
reconcile() { "$CDX" audit reconcile --json --home "$T/$1" "$2"; }
# kinds NODE FILE: "kind:dataset ..." of the mismatches, sorted.
kinds() {
    reconcile "$1" "$2" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(" ".join(sorted(m["kind"] + ":" + m["dataset"] for m in r["mismatches"])))' || true
}
"$CDX" audit export --home "$T/ccg" -o "$T/ccg1.json" >/dev/null || fail "export at ccg"
"$CDX" audit export --home "$T/csu" -o "$T/csu1.json" >/dev/null || fail "export at csu"
reconcile csu "$T/ccg1.json" >/dev/null || fail "csu against ccg: mismatches where there are none"
reconcile ccg "$T/csu1.json" >/dev/null || fail "ccg against csu: mismatches where there are none"

# A second version after the exports: the stale export lacks its receipt.
id2=$("$CDX" publish --home "$T/csu" --topic sus/apc --class aggregate --purpose commissioning "$T/v2.csv")
wait_until 20 is_delivered csu "$id2" 04V || fail "v2 not delivered"
set +e; reconcile csu "$T/ccg1.json" >/dev/null; rc=$?; set -e
[ "$rc" -eq 6 ] || fail "a stale export: exit $rc, expected 6"
[ "$(kinds csu "$T/ccg1.json")" = "sent-not-received:$id2" ] || fail "stale export: $(kinds csu "$T/ccg1.json")"
[ "$(kinds ccg "$T/csu1.json")" = "received-not-sent:$id2" ] || fail "ccg side: $(kinds ccg "$T/csu1.json")"
"$CDX" audit export --home "$T/ccg" -o "$T/ccg2.json" >/dev/null || fail "export at ccg"
reconcile csu "$T/ccg2.json" >/dev/null || fail "a fresh export still differs"

# The publisher's record of v1 altered: the hashes no longer agree.
sqlite3 "$T/csu/store.db" "UPDATE datasets SET hash = randomblob (32) WHERE id = '$id1'" || fail sqlite3
[ "$(kinds csu "$T/ccg2.json")" = "hash-differs:$id1" ] || fail "altered hash: $(kinds csu "$T/ccg2.json")"
"$CDX" audit reconcile --home "$T/csu" "$T/ccg2.json" | grep -q "^hash-differs .*0DF -> 04V" ||
    fail "the human listing does not name the mismatch"

# An altered export, and one from a node that is not a peer, are refused (exit 4).
sed 's/"receive"/"receiv3"/' "$T/ccg2.json" > "$T/forged.json"
set +e; reconcile csu "$T/forged.json" >/dev/null 2>"$T/err"; rc=$?; set -e
[ "$rc" -eq 4 ] && grep -q "does not verify" "$T/err" || fail "an altered export: exit $rc: $(cat "$T/err")"
set +e; reconcile csu "$T/csu1.json" >/dev/null 2>"$T/err"; rc=$?; set -e
[ "$rc" -eq 4 ] && grep -q "not a peer" "$T/err" || fail "own export: exit $rc: $(cat "$T/err")"
head -c 300 "$T/ccg2.json" > "$T/cut.json"
set +e; reconcile csu "$T/cut.json" >/dev/null 2>"$T/err"; rc=$?; set -e
[ "$rc" -eq 4 ] || fail "a truncated export: exit $rc"
audit_has csu audit-reconcile refuse reconcile.mismatch || fail "mismatch not audited"
audit_has csu audit-reconcile refuse reconcile.signature || fail "forged export not audited"
audit_has csu audit-reconcile allow reconcile.match || fail "clean reconcile not audited"
stop ccg
stop csu
say ok
