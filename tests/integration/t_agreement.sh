# A data sharing agreement made between two running nodes: proposed at the
# CSU, carried to the CCG (AGREEMENT), signed there by reference, carried
# back; both then hold the identical signed document, in force. Until both
# have signed, the CSU refuses the CCG's subscription. A copy
# altered by one byte, or signed by a third party, is refused.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
make_node other 10Q ccg
pin csu ccg; pin ccg csu; pin other csu; pin ccg other
start csu; start ccg
ref=DSA-0DF-04V-2026-01
"$CDX" agreement propose --home "$T/csu" --ref $ref --recipient 04V --provider-ig "A. Lead, IG" \
    --recipient-ig "B. Lead, IG" --controller QNQ --controller-ig "C. Lead" --topics "sus/*,mhsds/monthly" \
    --class pseudonymised --purposes commissioning,risk-stratification --art6 "6(1)(e) public task" \
    --art9 "9(2)(h)" --duty "not applicable: pseudonymised" --opt-out not-required --start 2026-01-01 \
    --end 2027-03-31 --retention 90 --onward no --conditions "UK only" -o "$T/proposed.bin" >/dev/null ||
    fail "propose"
[ "$(agreement_state csu $ref)" = proposed ] || fail "in force before the recipient signed"
wait_until 20 sh -c "\"$CDX\" agreement list --home \"$T/ccg\" | grep -q '^$ref *proposed'" ||
    fail "the proposal did not reach the recipient"
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null
wait_until 20 audit_has csu subscribe refuse policy.agreement-unsigned ||
    fail "a subscription under an agreement not yet signed by both was not refused"
"$CDX" agreement sign --home "$T/ccg" $ref >/dev/null || fail "sign by reference"
in_force() { [ "$(agreement_state "$1" $ref)" = in-force ]; }
wait_until 20 in_force csu || fail "the recipient's signature did not reach the provider"
in_force ccg || fail "not in force at the recipient"
wait_until 30 subscription_active ccg 0DF sus/apc || fail "no subscription once the agreement is in force"
"$CDX" agreement show --json --home "$T/csu" $ref > "$T/a.json"
"$CDX" agreement show --json --home "$T/ccg" $ref > "$T/b.json"
cmp -s "$T/a.json" "$T/b.json" || fail "the two parties hold different agreements"
python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert a["controller"] == "QNQ" and a["retention_days"] == 90 and not a["onward"], a
assert a["signed_by_provider"] and a["signed_by_recipient"] and a["end"] == "2027-04-01T00:00:00Z", a' \
    "$T/a.json" || fail "the agreement does not say what was proposed"
"$CDX" agreement show --home "$T/ccg" $ref | grep -q "Article 9      9(2)(h)" || fail "show"
audit_has csu agreement-receive allow agreement.verified || fail "the signed copy is not audited"
audit_has ccg agreement-sign allow agreement.signed || fail "the signature is not audited"
# The signature is recorded against the local user and the role it used.
[ "$(q ccg "SELECT DISTINCT actor FROM audit WHERE action = 'agreement-sign'")" = "user:$(id -un) (admin)" ] ||
    fail "agreement-sign audited as $(q ccg "SELECT DISTINCT actor FROM audit WHERE action = 'agreement-sign'")"

# A copy altered by one byte no longer verifies; a third party is no party.
python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[-80] ^= 1
open(sys.argv[2], "wb").write(b)' "$T/proposed.bin" "$T/altered.bin"
rc=0; "$CDX" agreement sign --home "$T/ccg" "$T/altered.bin" 2>"$T/err" >/dev/null || rc=$?
[ $rc -eq 4 ] || fail "an altered agreement was not refused with exit code 4 (got $rc)"
rc=0; "$CDX" agreement sign --home "$T/other" "$T/proposed.bin" 2>"$T/err" >/dev/null || rc=$?
[ $rc -eq 4 ] && grep -q "not a party" "$T/err" || fail "a third party signed the agreement"
# Missing fields are refused, naming them.
"$CDX" agreement propose --home "$T/csu" --ref X --recipient 04V --provider-ig a --recipient-ig b \
    --topics "t" --class identifiable --purposes commissioning --art6 x --art9 y --opt-out required \
    --end 2027-01-01 2>"$T/err" >/dev/null && fail "identifiable without a duty of confidentiality basis"
grep -q -- "--duty is required" "$T/err" || fail "the refusal does not name --duty"
say ok
