# Settings the siblings share (SPEC.md 11.5, SETTING): a CSU of two
# nodes (0DF/a, 0DF/b) and a CCG of two nodes (04V/a, 04V/b), certified
# by one authority. A subscription made at 04V/a reaches 04V/b (cdx
# subscriptions shows it there, set at 04V/a) and, once the CSU accepts
# it, 0DF/b holds the CCG's subscription too (told by 0DF/a, which took
# the SUBSCRIBE of both CCG nodes). A dataset published at 0DF/a reaches
# the CCG, and 0DF/b, holding the copy, holds a delivery of it to 04V. A
# retention period set at 04V/b appears at 04V/a. 04V/b stopped: the
# subscription ended at 04V/a reaches 0DF/b (deliveries cancelled) and,
# once 04V/b starts again, 04V/b. Each applied setting is audited
# (action setting, rule sibling.setting). A SETTING from a node of
# another organisation is refused by t_hostile_garbage
# (hostile_garbage.py: sibling.not-sibling).
. "$(dirname "$0")/lib.sh"

make_labelled csua 0DF a csu
make_labelled csub 0DF b csu
make_labelled ccga 04V a ccg
make_labelled ccgb 04V b ccg
certify_all csua csub ccga ccgb
# One agreement between the organisations, signed by a node of each,
# held by every node (carried by hand here: agreements are not this
# test's).
agree csua ccga "sus/*"
ref=$(cat "$T/last_ref")
for n in csub ccgb; do
    "$CDX" agreement sign --home "$T/$n" "$T/$ref.s" >/dev/null 2>"$T/sign.err" ||
        fail "the agreement could not be taken at $n: $(cat "$T/sign.err")"
done

# sub_of NODE PUBLISHER SUBSCRIBER TOPIC: "STATE ORIGIN" from cdx subscriptions --json.
sub_of() {
    "$CDX" subscriptions --json --home "$T/$1" | python3 -c '
import json, sys
p, s, t = sys.argv[1:4]
for x in json.load(sys.stdin):
    if x["publisher"] == p and x["subscriber"] == s and x["topic"] == t:
        print(x["state"], x["origin"] or "-"); break
else:
    print("none")' "$2" "$3" "$4"
}
sub_is() { case "$(sub_of "$1" "$2" "$3" "$4")" in $5) return 0;; esac; return 1; }
setting_audited() { [ "$(q "$1" "SELECT count(*) FROM audit WHERE action='setting' AND decision='allow'
    AND rule='sibling.setting' AND detail LIKE '%$2%'")" -gt 0 ]; }

start csua; start csub; start ccga; start ccgb
up() { [ "$(q "$1" "SELECT connected FROM peers WHERE address='$2'")" = 1 ]; }
for pair in "csua 0DF/b" "csub 0DF/a" "ccga 04V/b" "ccgb 04V/a" "ccga 0DF/a" "ccgb 0DF/a"; do
    wait_until 20 up $pair || fail "not connected: $pair"
done

# 1. Subscribe at 04V/a: 04V/b holds it, set at 04V/a; both active.
"$CDX" subscribe --home "$T/ccga" --from 0DF --topic sus/apc >/dev/null || fail "subscribe at 04V/a"
wait_until 20 sub_is ccgb 0DF 04V sus/apc "* 04V/a" ||
    fail "04V/b does not hold the subscription made at 04V/a: $(sub_of ccgb 0DF 04V sus/apc)"
setting_audited ccgb "subscription to sus/apc from 0DF requested" ||
    fail "04V/b did not audit the setting: $(q ccgb "SELECT detail FROM audit WHERE action='setting'")"
q ccgb "SELECT detail FROM audit WHERE action='setting'" | grep -q "from sibling 04V/a" ||
    fail "the audit entry does not name the sibling it came from"
wait_until 30 sub_is ccga 0DF 04V sus/apc "active *" || fail "the subscription is not active at 04V/a"
wait_until 30 sub_is ccgb 0DF 04V sus/apc "active *" ||
    fail "04V/b did not ask 0DF itself: $(sub_of ccgb 0DF 04V sus/apc)"
# ... and the CSU: 0DF/a recorded it, 0DF/b was told.
wait_until 20 sub_is csua 0DF 04V sus/apc "active -" || fail "0DF/a did not record the subscription"
wait_until 20 sub_is csub 0DF 04V sus/apc "active 0DF/a" ||
    fail "0DF/b does not hold the CCG's subscription: $(sub_of csub 0DF 04V sus/apc)"
setting_audited csub "04V subscribed to sus/apc" || fail "0DF/b did not audit the subscriber setting"
# Each CCG node asked 0DF/a itself; the second SUBSCRIBE changed nothing
# there (one subscription, audited once).
grep -q "asked 0DF for topic sus/apc" "$T/ccgb.log" || fail "04V/b did not send its own SUBSCRIBE"
[ "$(q csua "SELECT count(*) FROM audit WHERE action='subscribe' AND decision='allow' AND peer='04V'")" = 1 ] ||
    fail "0DF/a did not take the repeated SUBSCRIBE idempotently: $(q csua "SELECT actor, detail FROM audit WHERE action='subscribe'")"
[ "$(q csua "SELECT count(*) FROM audit WHERE action='setting'")" = 0 ] ||
    fail "0DF/a applied its own setting sent back: $(q csua "SELECT detail FROM audit WHERE action='setting'")"

# 2. Publish at 0DF/a: the CCG receives; 0DF/b holds a delivery to 04V.
head -c $((512 * 1024 + 17)) /dev/urandom > "$T/extract.csv"
id=$("$CDX" publish --home "$T/csua" --topic sus/apc --class pseudonymised --purpose commissioning \
    "$T/extract.csv" 2>"$T/pub.err") || fail "publish at 0DF/a: $(cat "$T/pub.err")"
[ ${#id} -eq 32 ] || fail "publish printed '$id'"
ccg_has() { ds_available ccga "$id" || ds_available ccgb "$id"; }
wait_until 30 ccg_has || fail "the CCG did not receive $id"
"$CDX" deliveries --json --home "$T/csub" | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin) if x["dataset"] == sys.argv[1] and x["subscriber"] == "04V"]
assert len(d) == 1, d' "$id" || fail "0DF/b holds no delivery of the copy to 04V: $("$CDX" deliveries --home "$T/csub")"

# 3. Retention set at 04V/b appears at 04V/a, set there by 04V/b.
"$CDX" retention set --home "$T/ccgb" --from 0DF --topic sus/apc 90d >/dev/null || fail "retention set at 04V/b"
ret_of() {
    "$CDX" retention list --json --home "$T/$1" | python3 -c '
import json, sys
for x in json.load(sys.stdin):
    if x["publisher"] == "0DF" and x["topic"] == "sus/apc":
        print(x["seconds"], x["origin"] or "-"); break
else:
    print("none")'
}
ret_is() { [ "$(ret_of "$1")" = "$2" ]; }
wait_until 20 ret_is ccga "7776000 04V/b" || fail "the retention set at 04V/b is not at 04V/a: $(ret_of ccga)"
setting_audited ccga "retention: content of sus/apc from 0DF" || fail "04V/a did not audit the retention setting"
ret_is ccgb "7776000 -" || fail "04V/b's own retention row changed: $(ret_of ccgb)"
# A later change at the other node wins back.
sleep 1
"$CDX" retention set --home "$T/ccga" --from 0DF --topic sus/apc 30d >/dev/null || fail "retention set at 04V/a"
wait_until 20 ret_is ccgb "2592000 04V/a" || fail "the later retention at 04V/a did not win at 04V/b: $(ret_of ccgb)"
ret_is ccga "2592000 -" || fail "04V/a's retention: $(ret_of ccga)"

# 4. 04V/b down: unsubscribe at 04V/a; the CSU's nodes end it; 04V/b
# gets the change once it is back.
stop ccgb
sleep 1                                         # a later second than every setting so far
"$CDX" unsubscribe --home "$T/ccga" --from 0DF --topic sus/apc >/dev/null || fail "unsubscribe at 04V/a"
wait_until 20 sub_is ccga 0DF 04V sus/apc "ended *" || fail "the end is not confirmed at 04V/a"
wait_until 20 sub_is csua 0DF 04V sus/apc "ended *" || fail "0DF/a did not end the subscription"
wait_until 20 sub_is csub 0DF 04V sus/apc "ended 0DF/a" ||
    fail "0DF/b does not hold the end of the subscription: $(sub_of csub 0DF 04V sus/apc)"
setting_audited csub "04V ended its subscription to sus/apc" || fail "0DF/b did not audit the unsubscriber setting"
sub_is ccgb 0DF 04V sus/apc "active *" || fail "04V/b's store changed while it was down"
start ccgb
wait_until 30 sub_is ccgb 0DF 04V sus/apc "ended *" ||
    fail "04V/b did not get the end of the subscription on reconnect: $(sub_of ccgb 0DF 04V sus/apc)"
setting_audited ccgb "subscription to sus/apc from 0DF ended" || fail "04V/b did not audit the unsub setting"
# Nothing comes back to undo it: a while later everyone still has it ended.
sleep 2
for n in ccga ccgb csua csub; do
    sub_is $n 0DF 04V sus/apc "ended *" || fail "$n: $(sub_of $n 0DF 04V sus/apc) after the end"
done
n_set=$(q ccga "SELECT count(*) FROM audit WHERE action='setting'")
[ "$n_set" = 1 ] || fail "04V/a applied $n_set settings, not 1 (the retention): $(q ccga "SELECT detail FROM audit WHERE action='setting'")"

for n in csua csub ccga ccgb; do running $n || fail "$n died"; done
stop csua; stop csub; stop ccga; stop ccgb
for n in csua csub ccga ccgb; do store_ok $n || fail "store of $n"; done
say ok
