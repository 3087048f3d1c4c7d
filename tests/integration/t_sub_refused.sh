# A subscription the publisher refuses is shown as refused, where people
# look: cdx subscriptions (and --json) give the state refused, the rule and
# the reason from the publisher's ERROR(DENIED), the command that fixes it
# (cdx agreement propose ...) and when it is asked for again; once an
# agreement is signed, it becomes active without anyone asking again.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null || fail "subscribe"
refused() { [ "$(q ccg "SELECT state FROM subscriptions WHERE publisher = '0DF' AND topic = 'sus/apc'")" = refused ]; }
wait_until 20 refused ||
    fail "the refused subscription is shown as $(q ccg "SELECT state FROM subscriptions WHERE topic = 'sus/apc'")"
audit_has csu subscribe refuse policy.no-agreement || fail "the publisher did not refuse it with policy.no-agreement"

"$CDX" subscriptions --json --home "$T/ccg" > "$T/subs.json" || fail "subscriptions --json"
python3 -c '
import datetime, json, sys
s = [s for s in json.load(open(sys.argv[1])) if s["topic"] == "sus/apc"][0]
assert s["state"] == "refused", s
assert s["rule"] == "policy.no-agreement", s
assert "0DF (provider) and 04V (recipient)" in s["reason"] and not s["reason"].startswith("policy."), s
assert s["fix"].startswith("cdx agreement propose ") and "--provider 0DF --recipient 04V --topics sus/apc" in s["fix"], s
t = lambda v: datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ")
assert (t(s["retry"]) - t(s["updated"])).total_seconds() == 300, s
' "$T/subs.json" || fail "cdx subscriptions --json does not show the refusal: $(cat "$T/subs.json")"
"$CDX" subscriptions --home "$T/ccg" > "$T/subs.txt" || fail "subscriptions"
grep -q "^0DF  *04V  *sus/apc  *refused " "$T/subs.txt" &&
    grep -q "refused by 0DF: policy.no-agreement: no data sharing agreement" "$T/subs.txt" &&
    grep -q "fix: cdx agreement propose --ref REF --provider 0DF --recipient 04V --topics sus/apc" "$T/subs.txt" &&
    grep -q "asked again: by 20" "$T/subs.txt" || fail "cdx subscriptions does not show the refusal: $(cat "$T/subs.txt")"

# The fix, as shown: an agreement. The subscription is asked for again when
# the agreement changes, not five minutes later, and becomes active; the
# refusal's rule and reason go with it.
agree csu ccg "sus/*"
wait_until 30 subscription_active ccg 0DF sus/apc || fail "the subscription did not become active once agreed"
"$CDX" subscriptions --json --home "$T/ccg" | python3 -c '
import json, sys
s = [s for s in json.load(sys.stdin) if s["topic"] == "sus/apc"][0]
assert s["rule"] is None and s["reason"] is None and s["fix"] is None and s["retry"] is None, s' ||
    fail "an active subscription still shows the refusal"
! "$CDX" subscriptions --home "$T/ccg" | grep -q "refused by" || fail "the listing still shows the refusal"
say ok
