# A 48 MiB delivery over a link that does everything a bad network does:
# the publisher reaches the subscriber only through faultproxy.py, which
# delays and throttles the stream all along, black-holes it for 8 s in the
# middle of the transfer (accepts, reads, forwards nothing), then resets the
# connection mid-stream several times.
# The delivery completes, once, with the right content, and the logs and
# audit show the interruptions and the resumptions.
#
# The subscriber's card names the proxy's port; the node itself listens on
# another port (cdx run --bind), as a node behind a NAT or proxy does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_faults.sh"

if ! "$CDX" run --help 2>&1 | grep -q -- --bind; then
    skip "needs cdx run --bind"
fi
MIB=${HOSTILE_LINK_MIB:-48}
BLACKHOLE=${HOSTILE_LINK_BLACKHOLE:-8}
RESETS=${HOSTILE_LINK_RESETS:-3}
t0=$(date +%s)
phase() { say "$(( $(date +%s) - t0 )) s: $*"; }

pport=$(free_port); rport=$(free_port)
[ "$pport" != "$rport" ] || rport=$(free_port)
make_node csu 0DF csu
make_node_at ccg 04V ccg "tcp://127.0.0.1:$pport"
pin csu ccg; pin ccg csu
agree csu ccg "*"
proxy_start link "$pport" "$rport" --delay 2 --throttle 8000000
start_bind ccg "tcp://127.0.0.1:$rport"
start csu
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic link >/dev/null
wait_until 20 subscription_active ccg 0DF link || fail "subscription not confirmed"

head -c $((MIB * 1048576 - 777)) /dev/urandom > "$T/data.csv"
id=$(publish csu link "$T/data.csv")
chunks=$MIB

# 1. Slow link (2 ms a 64 KiB piece, 8 MB/s, all along): the transfer runs
#    (chunks are written at the subscriber; they are recorded as durable
#    every 32, or when the transfer pauses).
phase "slow link"
wait_until 60 sh -c "[ \$(stat -c %s '$T/ccg/data/$id.sealed' 2>/dev/null || echo 0) -ge $((8 * 1048576)) ]" ||
    fail "no progress through the slow link"

# 2. Black hole, entered while chunks flow: connections are accepted and
#    read, nothing arrives; when it ends, the connections that lost data are
#    reset (their streams have a hole), and new ones go through.
held=$(( $(stat -c %s "$T/ccg/data/$id.sealed") / 1048576 ))
phase "black hole for $BLACKHOLE s with $held of $chunks chunks written"
proxy_set link "blackhole=$BLACKHOLE"
# Nothing may be written at the subscriber while it lasts (what was already
# buffered has landed after 3 s).
sleep 3
h1=$(stat -c %s "$T/ccg/data/$id.sealed")
sleep $((BLACKHOLE - 5))
h2=$(stat -c %s "$T/ccg/data/$id.sealed")
[ "$h1" = "$h2" ] || fail "data arrived through the black hole (data file $h1 -> $h2 bytes)"
wait_until 10 sh -c "! python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))[\"blackhole_active\"] else 1)' '$T/link.json'" ||
    fail "the black hole did not end"
[ "$(proxy_stat link dropped)" -gt 1000000 ] ||
    fail "the black hole dropped only $(proxy_stat link dropped) bytes: no transfer was in it"

# 3. Resets (TCP RST) mid-stream, at random points 4-8 MB into each
#    connection. An RST also throws away what the kernels buffer, so the
#    subscriber gets less than the proxy forwarded. t_reset_storm.sh has
#    breaks closer together.
phase "resets"
proxy_set link "reset=4000000:8000000" "resets=$RESETS"
wait_until 150 proxy_at_least link resets "$RESETS" ||
    fail "the proxy did not get to reset $RESETS connections (did the transfer stop?)"
proxy_set link "reset=0"

# 4. The link recovers (still slow): the delivery completes.
phase "recovered"
wait_until 90 is_available ccg "$id" || fail "the delivery did not complete after the link recovered"
wait_until 30 is_delivered csu "$id" 04V || fail "no signed receipt after the link recovered"
phase "delivered"
export_same ccg "$id" "$T/data.csv"
exactly_once csu ccg "$id"
all_delivered csu 04V "$id" || fail "delivery not recorded with its receipt"

# The interruptions are visible: the proxy's counters, the publisher's
# audit (interrupted sends) and log, the subscriber's resumptions.
resets=$(proxy_stat link resets); dropped=$(proxy_stat link dropped); conns=$(proxy_stat link connections)
interrupted=$("$CDX" audit --json --home "$T/csu" | python3 -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin) if e["action"] == "send" and e["decision"] == "refuse"
          and e["rule"].startswith("transport.")))')
[ "$interrupted" -ge 2 ] || fail "the publisher's audit shows $interrupted interrupted sends, expected one for the black hole and for the resets"
resumed=$(log_count ccg 'resuming .* from chunk')
[ "$resumed" -ge 1 ] || fail "the subscriber's log shows no resumption"
lost=$(log_count csu 'lost connection to 04V')
[ "$lost" -ge 1 ] || fail "the publisher's log shows no lost connection"
phase "proxy: $conns connections, $resets resets, $dropped bytes dropped in the black hole"
phase "csu: $interrupted interrupted sends audited, $lost lost connections; ccg: $resumed resumptions"
stop csu; stop ccg
store_clean csu || fail "csu store not clean"
store_clean ccg || fail "ccg store not clean"
say "ok ($(( $(date +%s) - t0 )) s)"
