# Many commands at once against running nodes lose no audit entry: rounds
# of concurrent publishes at the CSU while its node offers and delivers,
# and concurrent exports at the CCG while its node receives. Afterwards
# every decision is in each log, each chain verifies, and neither node
# wrote a word about a locked store or a lost entry.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-10}
PUBLISHES=50     # per round, at once, at the CSU
EXPORTS=50       # per round, at once, at the CCG (of what it already holds)

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
agree csu ccg "sus/*"
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null
wait_until 30 subscription_active ccg 0DF sus/apc || fail "subscription not confirmed"

# A first dataset for the exports to read.
head -c 20000 /dev/urandom > "$T/seed.csv"
first=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/seed.csv") ||
    fail "first publish"
wait_until 60 is_available ccg "$first" || fail "the first dataset did not arrive"

: > "$T/ids"
exports=0
for round in $(seq 1 "$ROUNDS"); do
    pids=""
    for i in $(seq 1 "$PUBLISHES"); do
        head -c $((1000 + i * 37)) /dev/urandom > "$T/r$round-$i.csv"
        ( "$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning \
              "$T/r$round-$i.csv" > "$T/r$round-$i.id" 2> "$T/r$round-$i.err" ) &
        pids="$pids $!"
    done
    for i in $(seq 1 "$EXPORTS"); do
        ( "$CDX" export --home "$T/ccg" --purpose commissioning "$first" -o "$T/x$round-$i.out" \
              > /dev/null 2> "$T/x$round-$i.err" ) &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p" || true; done
    for i in $(seq 1 "$PUBLISHES"); do
        [ -s "$T/r$round-$i.id" ] || fail "round $round publish $i failed: $(cat "$T/r$round-$i.err")"
        cat "$T/r$round-$i.id" >> "$T/ids"
    done
    for i in $(seq 1 "$EXPORTS"); do
        cmp -s "$T/seed.csv" "$T/x$round-$i.out" || fail "round $round export $i failed: $(cat "$T/x$round-$i.err")"
        exports=$((exports + 1))
    done
done

published=$(wc -l < "$T/ids")
[ "$published" -eq $((ROUNDS * PUBLISHES)) ] || fail "$published publishes recorded, not $((ROUNDS * PUBLISHES))"
all_delivered() {
    [ "$(q csu "SELECT count(*) FROM deliveries WHERE subscriber = '04V' AND state = 'delivered'")" -eq \
        $((published + 1)) ]
}
wait_until 240 all_delivered || fail "not every dataset was delivered: $(q csu "SELECT state, count(*) FROM deliveries GROUP BY state")"

# Every decision is in the logs, once per dataset.
count() { q "$1" "SELECT count(*) FROM audit WHERE action = '$2' AND decision = 'allow'"; }
n=$(count csu publish); [ "$n" -eq $((published + 1)) ] || fail "csu logged $n publishes, not $((published + 1))"
n=$(count csu offer); [ "$n" -ge $((published + 1)) ] || fail "csu logged $n offers for $((published + 1)) deliveries"
n=$(count csu deliver); [ "$n" -eq $((published + 1)) ] || fail "csu logged $n deliveries, not $((published + 1))"
n=$(count ccg accept); [ "$n" -ge $((published + 1)) ] || fail "ccg logged $n accepts for $((published + 1)) datasets"
n=$(count ccg export); [ "$n" -eq "$exports" ] || fail "ccg logged $n exports, not $exports"
# Each offer the publisher logged was accepted at the subscriber (and only
# those): the two logs tell the same story.
n=$(q csu "SELECT count(DISTINCT object) FROM audit WHERE action = 'offer' AND decision = 'allow'")
[ "$n" -eq $((published + 1)) ] || fail "csu logged offers of $n datasets, not $((published + 1))"

for node in csu ccg; do
    "$CDX" audit verify --home "$T/$node" > "$T/verify.$node" 2>&1 || fail "audit verify at $node: $(cat "$T/verify.$node")"
    if grep -E 'locked|entry lost|cannot write the audit|cannot record' "$T/$node.log" > "$T/bad.$node"; then
        fail "$node complained: $(head -n 3 "$T/bad.$node")"
    fi
done
if cat "$T"/*.err | grep -q .; then fail "a command complained: $(cat "$T"/*.err | head -n 3)"; fi
say "ok: $published publishes and $exports exports in $ROUNDS rounds, every decision logged, chains whole"
