# A subscriber that was away for a (simulated) week catches up: it
# subscribes with --history 1, goes offline, and seven daily versions are
# published meanwhile. When it comes back it receives all seven, each once,
# in version order (as its audit log records the receipts); version 8,
# published while it is online, arrives too. A second subscriber that
# joins late, asking for the history from version 1 once all seven exist,
# gets them in order too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_faults.sh"
t0=$(date +%s)

make_node csu 0DF csu
make_node ccg 04V ccg
make_node late 10Q ccg
pin csu ccg; pin ccg csu; pin csu late; pin late csu
agree csu ccg "sus/*"; agree csu late "sus/*"
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/daily --history 1 >/dev/null
wait_until 20 subscription_active ccg 0DF sus/daily || fail "subscription not confirmed"
stop ccg

# Seven days; sizes differ, a few chunks each for some, so that the
# deliveries take different times.
ids=""
for day in 1 2 3 4 5 6 7; do
    {
        printf 'day,%s\n' "$day"
        head -c $(( (day % 3) * 1048576 + day * 1000 )) /dev/urandom | od -An -tx1 | head -c $(( (day % 3) * 1048576 + day * 1000 ))
    } > "$T/day$day.csv"
    id=$(publish csu sus/daily "$T/day$day.csv")
    echo "$id" > "$T/day$day.id"
    ids="$ids $id"
    [ "$(delivery_state csu "$id" 04V)" = queued ] || fail "day $day not queued for the offline subscriber"
done
[ "$(count_datasets ccg)" = 0 ] || fail "the subscriber has data while it was down?"

# receive_order NODE: the versions in the order the node's audit recorded
# their verified receipt (seq order), e.g. "1 2 3".
receive_order() {
    "$CDX" audit --json --home "$T/$1" | python3 -c '
import json, re, sys
out = []
for e in sorted(json.load(sys.stdin), key=lambda e: e["seq"]):
    if e["action"] == "receive" and e["decision"] == "allow":
        m = re.search(r" v(\d+) ", e["object"] + " ")
        out.append(m.group(1) if m else "?")
print(" ".join(out))'
}

start ccg
# shellcheck disable=SC2086
wait_until 60 all_available ccg $ids || fail "the week was not caught up: $(count_datasets ccg available) of 7 available"
order=$(receive_order ccg)
[ "$order" = "1 2 3 4 5 6 7" ] || fail "received in the order '$order', expected '1 2 3 4 5 6 7'"
say "caught up a week in $(( $(date +%s) - t0 )) s, in order: $order"

# The late joiner: its subscription queues the seven existing versions at once.
start late
"$CDX" subscribe --home "$T/late" --from 0DF --topic sus/daily --history 1 >/dev/null
# shellcheck disable=SC2086
wait_until 60 all_available late $ids || fail "the late subscriber did not get the week: $(count_datasets late available) of 7"
order=$(receive_order late)
[ "$order" = "1 2 3 4 5 6 7" ] || fail "the late subscriber received in the order '$order', expected '1 2 3 4 5 6 7'"

# Day 8, while online.
printf 'day,8\n' > "$T/day8.csv"
head -c 3000 /dev/urandom | od -An -tx1 >> "$T/day8.csv"
id8=$(publish csu sus/daily "$T/day8.csv")
echo "$id8" > "$T/day8.id"
ids="$ids $id8"
wait_until 30 is_available ccg "$id8" || fail "day 8 did not arrive while online"
wait_until 30 is_available late "$id8" || fail "day 8 did not reach the late subscriber"
order=$(receive_order ccg)
[ "$order" = "1 2 3 4 5 6 7 8" ] || fail "received in the order '$order', expected '1 2 3 4 5 6 7 8'"
order=$(receive_order late)
[ "$order" = "1 2 3 4 5 6 7 8" ] || fail "the late subscriber received in the order '$order', expected '1 2 3 4 5 6 7 8'"

# shellcheck disable=SC2086
wait_until 30 all_delivered csu 04V $ids || fail "not every day has a signed receipt from 04V"
# shellcheck disable=SC2086
wait_until 30 all_delivered csu 10Q $ids || fail "not every day has a signed receipt from 10Q"
# shellcheck disable=SC2086
exactly_once csu ccg $ids
# shellcheck disable=SC2086
exactly_once csu late $ids
"$CDX" datasets --json --home "$T/ccg" | python3 -c '
import json, sys
v = sorted(d["version"] for d in json.load(sys.stdin))
sys.exit(0 if v == list(range(1, 9)) else "versions held: %s" % v)' || fail "the subscriber does not hold versions 1-8"
for day in 1 2 3 4 5 6 7 8; do
    export_same ccg "$(cat "$T/day$day.id")" "$T/day$day.csv"
done
"$CDX" export --home "$T/ccg" --topic sus/daily --purpose commissioning -o "$T/newest.csv" >/dev/null || fail "export of the newest version"
cmp -s "$T/day8.csv" "$T/newest.csv" || fail "the newest version is not day 8"
store_clean csu || fail "csu store not clean"
store_clean ccg || fail "ccg store not clean"
store_clean late || fail "late store not clean"
say "ok ($(( $(date +%s) - t0 )) s)"
