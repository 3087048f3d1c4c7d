# Versions and the life of a subscription: history in order, export by
# topic and version, a superseding version skips older undelivered ones,
# an undelivered copy expires and is reported, unsubscribing cancels what
# is pending, and cdx wait ends with the right exit code.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
agree csu ccg "*"
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic apc --history 1 >/dev/null
wait_until 20 subscription_active ccg 0DF apc || fail "subscription not confirmed"

# 1. Versions, wait, export by topic and version.
for v in 1 2; do echo "version $v" > "$T/v$v.csv"; done
id1=$("$CDX" publish --home "$T/csu" --topic apc --class aggregate --purpose commissioning "$T/v1.csv")
id2=$("$CDX" publish --home "$T/csu" --topic apc --class aggregate --purpose commissioning "$T/v2.csv")
"$CDX" wait --home "$T/ccg" "$id2" --timeout 30 || fail "cdx wait for version 2 at the subscriber"
"$CDX" wait --home "$T/csu" "$id2" --timeout 30 || fail "cdx wait for the delivery at the publisher"
"$CDX" export --purpose commissioning --home "$T/ccg" --topic apc --version 1 -o "$T/e1" >/dev/null || fail "export --version 1"
"$CDX" export --purpose commissioning --home "$T/ccg" --topic apc -o "$T/e2" >/dev/null || fail "export newest"
cmp -s "$T/v1.csv" "$T/e1" && cmp -s "$T/v2.csv" "$T/e2" || fail "export by topic/version gave the wrong content"
set +e
"$CDX" wait --home "$T/ccg" 00000000000000000000000000000000 --timeout 0.5 2>/dev/null; rc=$?
set -e
[ $rc -eq 5 ] || fail "cdx wait on a missing dataset should time out with 5, got $rc"

# 2. While the subscriber is down: v3, then v4 superseding it; v3 is never sent.
stop ccg
echo "version 3" > "$T/v3.csv"; echo "version 4" > "$T/v4.csv"
id3=$("$CDX" publish --home "$T/csu" --topic apc --class aggregate --purpose commissioning "$T/v3.csv")
id4=$("$CDX" publish --home "$T/csu" --topic apc --class aggregate --purpose commissioning --supersedes "$T/v4.csv")
[ "$(delivery_state csu "$id3" 04V)" = superseded ] || fail "v3 not superseded: $(delivery_state csu "$id3" 04V)"
# 3. A copy with a 1 s retention expires while the subscriber is down.
echo "short-lived" > "$T/s.csv"
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic flash >/dev/null
start ccg
wait_until 20 subscription_active ccg 0DF flash || fail "flash subscription not confirmed"
wait_until 30 is_available ccg "$id4" || fail "superseding version not delivered"
[ "$(dataset_state ccg "$id3")" = none ] || fail "superseded version was delivered"
stop ccg
ids=$("$CDX" publish --home "$T/csu" --topic flash --class aggregate --purpose commissioning --retention 1s "$T/s.csv")
wait_until 20 sh -c "[ \"\$(\"$CDX\" deliveries --json --home \"$T/csu\" | python3 -c 'import json,sys; print([d[\"state\"] for d in json.load(sys.stdin) if d[\"dataset\"]==sys.argv[1]][0])' $ids)\" = expired ]" \
    || fail "undelivered copy did not expire"
audit_has csu expire refuse delivery.expired || fail "expiry not audited"
set +e
"$CDX" wait --home "$T/csu" "$ids" --timeout 5 2>"$T/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "cdx wait on an expired delivery should exit 1, got $rc"
grep -q "expired" "$T/err" || fail "cdx wait on an expired delivery does not say so: $(cat "$T/err")"

# 4. Unsubscribe: the publisher learns it and cancels what is pending.
start ccg
"$CDX" unsubscribe --home "$T/ccg" --from 0DF --topic apc >/dev/null || fail "unsubscribe"
wait_until 20 sh -c "\"$CDX\" subscriptions --json --home \"$T/csu\" | grep -q '\"subscriber\":\"04V\",\"topic\":\"apc\",\"state\":\"ended\"'" \
    || fail "publisher did not record the end of the subscription"
echo "version 5" > "$T/v5.csv"
id5=$("$CDX" publish --home "$T/csu" --topic apc --class aggregate --purpose commissioning "$T/v5.csv")
[ "$(delivery_state csu "$id5" 04V)" = none ] || fail "a delivery was queued after unsubscribing"
audit_has csu unsubscribe allow subscription.ended || fail "unsubscribe not audited at the publisher"
say ok
