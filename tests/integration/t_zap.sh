# A node whose key the publisher has not added is refused at the transport
# (ZAP), and the refusal is recorded; nothing is disclosed to it.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node stranger 99X ccg
pin stranger csu                      # it knows the CSU; the CSU does not know it
start csu; start stranger
"$CDX" subscribe --home "$T/stranger" --from 0DF --topic sus/apc >/dev/null
wait_until 20 audit_has csu connect refuse zap.unknown-key || fail "no ZAP refusal recorded"
head -c 1000 /dev/urandom > "$T/x.csv"
"$CDX" publish --home "$T/csu" --topic sus/apc --class aggregate --purpose commissioning "$T/x.csv" >/dev/null
sleep 1
subscription_active stranger 0DF sus/apc && fail "stranger's subscription was accepted"
[ "$("$CDX" deliveries --json --home "$T/csu")" = "[]" ] || fail "a delivery was queued for the stranger"
running csu || fail "csu died"
say ok
