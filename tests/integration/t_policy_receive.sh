# The receiver's policy, on its own: a hostile peer (hostile.py, which has
# no policy) offers datasets that break each rule, to a node subscribed to
# its topics. Each OFFER is refused with ERROR(DENIED, "RULE: reason") and
# audited with its rule and purpose; one within the agreement is accepted
# and then stopped by the receiver when the agreement is revoked.
# docs/IG-RULES.md names this test for the receiver side.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"
offer() { "$PY" "$H" policy-offer --evil "$T/evil" --victim "$T/victim.card" "$@"; }

make_node victim 04V ccg
for who in evil:EVL nag:NAG; do                # NAG: a peer with no agreement at all
    "$CDX" init --home "$T/${who%:*}" --org "${who#*:}" --role csu --name "Hostile ${who#*:}" \
        --endpoint tcp://127.0.0.1:9 >/dev/null || fail "init $who"
    "$CDX" card --home "$T/${who%:*}" > "$T/${who%:*}.card"
    pin victim "${who%:*}"; pin "${who%:*}" victim
done
# EVL -> 04V: pseudonymised commissioning data on evl/*, one that expired,
# one revoked, and identifiable data on id/* with opt-outs applied.
agree evil victim "evl/*" --class pseudonymised --purposes commissioning
agree evil victim "old/*" --start now-2d --end now-1d
agree evil victim "rev/*"; rev=$(cat "$T/last_ref")
agree evil victim "id/*" --opt-out required
agree evil victim "live/*"; live=$(cat "$T/last_ref")
agree victim evil "ping/*"                     # hostile.py's SUBSCRIBE round trip
agree victim nag "ping/*"                      # (04V -> NAG only; NAG -> 04V has none)
"$CDX" agreement revoke --home "$T/victim" "$rev" --reason "test" >/dev/null || fail "revoke"
for t in evl/t out/t old/t rev/t id/t live/t; do
    "$CDX" subscribe --home "$T/victim" --from EVL --topic "$t" >/dev/null
done
"$CDX" subscribe --home "$T/victim" --from NAG --topic nag/t >/dev/null
start victim

"$PY" "$H" policy-offer --evil "$T/nag" --victim "$T/victim.card" --topic nag/t \
    --expect policy.no-agreement || fail "an OFFER from a peer without an agreement was not refused (policy.no-agreement)"
offer --topic out/t --expect policy.topic \
    --case "old/t||policy.agreement-expired" \
    --case "rev/t||policy.agreement-revoked" \
    --case 'evl/t|{"class":"identifiable","legal_basis":"6(1)(e)","opt_out":"yes"}|policy.class' \
    --case 'evl/t|{"purpose":"risk-stratification"}|policy.purpose' \
    --case 'id/t|{"class":"identifiable","opt_out":"yes"}|policy.legal-basis' \
    --case 'id/t|{"class":"identifiable","legal_basis":"s251","opt_out":"not-identifiable"}|policy.opt-out' \
    --case 'id/t|{"class":"identifiable","legal_basis":"s251","opt_out":"statutory-exemption"}|policy.opt-out' ||
    fail "an OFFER breaking a rule was not refused with that rule"
# A revoked peer (set in the store as a directory would): the trust layer
# refuses its connection at the door (ZAP, trust.revoked), before any OFFER
# can be read. A peer whose certificate ended: its OFFER is refused by the
# policy (policy.peer-expired).
sqlite3 "$T/victim/store.db" "UPDATE peers SET revoked = 1000 WHERE org = 'EVL'"    # stands in for a directory
must_refuse "a revoked peer's OFFER" "no answer within 10 s to OFFER breaking policy.peer-revoked" \
    offer --topic evl/t --expect policy.peer-revoked
audit_has victim connect refuse trust.revoked || fail "the revoked peer was not refused at the door"
sqlite3 "$T/victim/store.db" "UPDATE peers SET revoked = 0, not_after = 1000 WHERE org = 'EVL'"
offer --topic evl/t --expect policy.peer-expired || fail "policy.peer-expired"
sqlite3 "$T/victim/store.db" "UPDATE peers SET not_after = 0 WHERE org = 'EVL'"
# Every refusal is in the audit log with its rule, and the purpose claimed.
"$CDX" audit --json --home "$T/victim" | "$PY" -c '
import json, sys
log = [e for e in json.load(sys.stdin) if e["action"] == "receive" and e["decision"] == "refuse"]
for rule in sys.argv[1:]:
    assert any(e["rule"] == "policy." + rule for e in log), "no audit entry for policy." + rule
e = [e for e in log if e["rule"] == "policy.purpose"]
assert e[0]["purpose"] == "risk-stratification", "the refusal does not record the purpose claimed"
' no-agreement topic agreement-expired agreement-revoked class purpose legal-basis opt-out \
  peer-expired || fail "refusals not audited as they should be"
[ "$(sqlite3 "$T/victim/store.db" 'SELECT count(*) FROM datasets')" -eq 0 ] || fail "a refused OFFER was stored"

# Within the agreement: accepted; revoked mid-transfer: the receiver stops it.
offer --topic live/t --then "\"$CDX\" agreement revoke --home \"$T/victim\" $live >/dev/null" ||
    fail "a transfer was not stopped at the receiver when its agreement was revoked"
audit_has victim accept allow policy.allow || fail "the accepted offer is not audited with its rule"
wait_until 10 audit_has victim receive refuse policy.agreement-revoked || fail "the stop is not audited"
[ "$(sqlite3 "$T/victim/store.db" "SELECT state FROM datasets WHERE topic = 'live/t'")" = failed ] ||
    fail "the stopped transfer is not failed"
running victim || fail "the node died"
say ok
