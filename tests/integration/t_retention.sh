# Retention: when a received dataset's retention period ends, the running
# node destroys its content (file and wrapped key), keeps its metadata with
# state erased, and audits the erasure. Setting a period is the IG officer's.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg
pin ccg csu
agree csu ccg "sus/*"
people alice
"$CDX" user add --home "$T/ccg" "$alice" --role analyst >/dev/null || fail "user add"
start ccg
set +e; as "$alice" retention set --home "$T/ccg" --from 0DF --topic sus/apc 3s >/dev/null 2>"$T/err"; rc=$?; set -e
[ "$rc" -eq 4 ] || fail "an analyst set a retention period (exit $rc)"
grep -q "role" "$T/err" || fail "the refusal does not name the role needed: $(cat "$T/err")"
stop ccg
"$CDX" retention set --home "$T/ccg" --from 0DF --topic sus/apc 3s >/dev/null || fail "retention set"
"$CDX" retention list --json --home "$T/ccg" | grep -q '"seconds":3' || fail "retention list"

"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/keep >/dev/null
start csu
start ccg
wait_until 20 subscription_active ccg 0DF sus/apc || fail "subscription not active"
wait_until 20 subscription_active ccg 0DF sus/keep || fail "subscription not active"
printf 'practice,admissions\nA81001,12\nA81002,9\n' > "$T/apc.csv"
id=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/apc.csv")
keep=$("$CDX" publish --home "$T/csu" --topic sus/keep --class aggregate --purpose commissioning "$T/apc.csv")
wait_until 20 is_available ccg "$keep" || fail "sus/keep not received"
erased() { [ "$(dataset_state ccg "$id")" = erased ]; }
wait_until 20 erased || fail "dataset not erased after its retention (state $(dataset_state ccg "$id"))"
[ ! -e "$T/ccg/data/$id.sealed" ] || fail "content file still there"
[ "$(sqlite3 "$T/ccg/store.db" "SELECT hex (wrapped) = hex (zeroblob (80)) FROM datasets WHERE id = '$id'")" = 1 ] ||
    fail "wrapped content key still held"
"$CDX" datasets --json --home "$T/ccg" | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin) if x["id"] == sys.argv[1]][0]
sys.exit(0 if d["topic"] == "sus/apc" and len(d["blake2b"]) == 64 and d["bytes"] > 0 else 1)' "$id" ||
    fail "metadata not kept"
audit_has ccg erase allow retention.expired || fail "erasure not audited"
must_refuse "export of an erased dataset" "dataset $id is erased, not available" \
    "$CDX" export --home "$T/ccg" "$id" --purpose commissioning -o "$T/x"
[ ! -e "$T/x" ] || fail "an erased dataset exported"
# No period for sus/keep: kept. The publisher holds a receipt for both.
is_available ccg "$keep" || fail "a dataset without a retention period was erased"
wait_until 20 is_delivered csu "$id" 04V || fail "no receipt for the erased dataset"
stop ccg
stop csu
store_ok ccg || fail "store integrity"
say ok
