# A link that breaks every few MiB, for ever: every connection from the
# publisher to the subscriber is closed after a random 2.5-5.5 MB (a
# graceful close, so all that was forwarded arrives). Each connection
# carries a few whole chunks, and the delivery must still progress and
# complete: a subscriber keeps the chunks it has authenticated and written
# when a transfer is interrupted, and a publisher resumes as soon as it is
# connected again.
#
# (With chunks made durable only every 8 and rolled back to that point on a
# new OFFER, or with the publisher waiting out its 15 s timer after every
# disconnect, this does not complete.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_faults.sh"

if ! "$CDX" run --help 2>&1 | grep -q -- --bind; then
    skip "needs cdx run --bind"
fi
MIB=${RESET_STORM_MIB:-24}
LIMIT=${RESET_STORM_LIMIT:-60}
t0=$(date +%s)

pport=$(free_port); rport=$(free_port)
[ "$pport" != "$rport" ] || rport=$(free_port)
make_node csu 0DF csu
make_node_at ccg 04V ccg "tcp://127.0.0.1:$pport"
pin csu ccg; pin ccg csu
agree csu ccg "storm"
proxy_start link "$pport" "$rport"
start_bind ccg "tcp://127.0.0.1:$rport"
start csu
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic storm >/dev/null
wait_until 20 subscription_active ccg 0DF storm || fail "subscription not confirmed"

proxy_set link "reset_kind=fin" "reset=2500000:5500000" "resets=-1"
head -c $((MIB * 1048576 - 99)) /dev/urandom > "$T/data.csv"
t1=$(date +%s)
id=$(publish csu storm "$T/data.csv")
if ! wait_until "$LIMIT" is_available ccg "$id"; then
    fail "$MIB MiB not delivered in $LIMIT s over a link closed every 2.5-5.5 MB: $(chunks_held ccg "$id") chunks durable at the subscriber after $(proxy_stat link resets) closes; resume points: $(grep -o 'resuming .* from chunk [0-9]*' "$T/ccg.log" | awk '{print $NF}' | tr '\n' ' ')"
fi
took=$(( $(date +%s) - t1 ))
proxy_set link "reset=0"
wait_until 30 is_delivered csu "$id" 04V || fail "no signed receipt"
export_same ccg "$id" "$T/data.csv"
exactly_once csu ccg "$id"
say "ok: $MIB MiB over $(proxy_stat link resets) broken connections in $took s ($(( $(date +%s) - t0 )) s in all)"
