# One CSU publishes a pseudonymised extract; two subscribed CCGs each receive
# it, verify it, and can export a byte-identical copy; the CSU holds a
# signed receipt from each, and every step is in the audit logs.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg1 04V ccg
make_node ccg2 10Q ccg
pin csu ccg1; pin csu ccg2; pin ccg1 csu; pin ccg2 csu
agree csu ccg1 "sus/*"; agree csu ccg2 sus/apc
start csu; start ccg1; start ccg2

"$CDX" subscribe --home "$T/ccg1" --from 0DF --topic sus/apc >/dev/null
"$CDX" subscribe --home "$T/ccg2" --from 0DF --topic sus/apc >/dev/null
wait_until 20 subscription_active ccg1 0DF sus/apc || fail "ccg1 subscription not confirmed"
wait_until 20 subscription_active ccg2 0DF sus/apc || fail "ccg2 subscription not confirmed"

# 3.5 chunks: exercises a short last chunk.
head -c $((3 * 1048576 + 12345)) /dev/urandom > "$T/extract.csv"
id=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/extract.csv")
[ ${#id} -eq 32 ] || fail "publish printed '$id', not a dataset id"

wait_until 30 is_available ccg1 "$id" || fail "ccg1 did not receive $id"
wait_until 30 is_available ccg2 "$id" || fail "ccg2 did not receive $id"
for n in ccg1 ccg2; do
    "$CDX" export --purpose commissioning --home "$T/$n" "$id" -o "$T/$n.out" >/dev/null || fail "export at $n"
    cmp -s "$T/extract.csv" "$T/$n.out" || fail "$n exported content differs"
    audit_has "$n" receive allow signature.verified || fail "$n audit lacks the verified receive"
    audit_has "$n" export allow local.export || fail "$n audit lacks the export"
done
wait_until 20 is_delivered csu "$id" 04V || fail "no receipt from 04V"
wait_until 20 is_delivered csu "$id" 10Q || fail "no receipt from 10Q"
audit_has csu publish allow local.publish || fail "csu audit lacks the publish"
audit_has csu deliver allow receipt.verified || fail "csu audit lacks the verified receipt"

# Received data is at rest sealed: the plaintext appears nowhere in the home.
sealed="$T/ccg1/data/$id.sealed"
[ -f "$sealed" ] || fail "no sealed file at the receiver"
cmp -s -n 4096 "$T/extract.csv" "$sealed" && fail "received data is stored in the clear"

# A second version reaches both, in order, as version 2.
head -c 1000 /dev/urandom > "$T/v2.csv"
id2=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/v2.csv")
wait_until 30 is_available ccg1 "$id2" || fail "ccg1 did not receive version 2"
"$CDX" datasets --json --home "$T/ccg1" | python3 -c '
import json, sys
v = {d["id"]: d for d in json.load(sys.stdin)}
assert v[sys.argv[1]]["version"] == 2 and v[sys.argv[1]]["publisher"] == "0DF", v
assert v[sys.argv[1]]["class"] == "pseudonymised"
assert v[sys.argv[1]]["agreement"] == "DSA-0DF-04V-1", v' "$id2" || fail "version 2 metadata wrong"

# Data received under an agreement is exported only while that agreement
# is in force: once 04V revokes it, its analyst's export is refused and the
# refusal audited with the policy's rule.
"$CDX" agreement revoke --home "$T/ccg1" DSA-0DF-04V-1 --reason "test: ended early" >/dev/null ||
    fail "revoke at ccg1"
rc=0; "$CDX" export --purpose commissioning --home "$T/ccg1" "$id" -o "$T/after.out" 2>"$T/err" >/dev/null || rc=$?
[ $rc -eq 4 ] || fail "an export under a revoked agreement was not refused with exit code 4 (got $rc)"
[ ! -e "$T/after.out" ] || fail "a refused export wrote a file"
audit_has ccg1 export refuse policy.agreement-revoked || fail "the refused export is not audited with its rule"
say ok
