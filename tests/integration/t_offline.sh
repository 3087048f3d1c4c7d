# A dataset published while its subscriber is down (and while the publisher
# itself is not running) is delivered when both come back.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
agree csu ccg "*"
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic mhsds >/dev/null
wait_until 20 subscription_active ccg 0DF mhsds || fail "subscription not confirmed"
stop ccg
stop csu

head -c 2500000 /dev/urandom > "$T/data.csv"
id=$("$CDX" publish --home "$T/csu" --topic mhsds --class pseudonymised --purpose commissioning "$T/data.csv")
[ "$(delivery_state csu "$id" 04V)" = queued ] || fail "delivery not queued while offline"

start csu
sleep 1
[ "$(dataset_state ccg "$id")" = none ] || fail "ccg has data while down?"
start ccg
wait_until 30 is_available ccg "$id" || fail "not delivered after the subscriber came back"
wait_until 20 is_delivered csu "$id" 04V || fail "no receipt"
"$CDX" export --purpose commissioning --home "$T/ccg" "$id" -o "$T/out.csv" >/dev/null
cmp -s "$T/data.csv" "$T/out.csv" || fail "content differs"
say ok
