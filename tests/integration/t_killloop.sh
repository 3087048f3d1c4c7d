# SIGKILL the sender, then the receiver, at random moments of a large
# transfer, many times over, restarting each: every dataset arrives exactly
# once with the right content, both stores pass an integrity check after
# every kill and at the end, and no orphaned or temporary data file is left
# in either home. (Publish itself is not killed here.)
#
# Knobs (tests/soak/soak_killloop.sh turns them up):
#   KILLLOOP_CYCLES   kill/restart cycles, each kills the sender then the
#                     receiver (default 20)
#   KILLLOOP_MIB      sizes of the datasets published first, in MiB (default 96)
#   KILLLOOP_SLEEP    random pause before each kill, ms "LO HI" (default "50 400");
#                     a kill comes sooner when the receiver has written a
#                     random 1-8 MiB more since the previous one
#   KILLLOOP_FINISH   seconds allowed for delivery after the last kill (default 60)
#   KILLLOOP_TOPUP    MiB of a further dataset published before a kill when
#                     everything has arrived, so that kills keep hitting a
#                     transfer on a fast machine (default 64; at most
#                     KILLLOOP_MAX_TOPUPS times, default 12)
#   KILLLOOP_MIN_HITS kills that must hit a transfer in progress (default:
#                     one per cycle, i.e. half of them)
#   KILLLOOP_FLOW_WAIT before picking the moment of a kill, wait up to this
#                     many ms for chunks to flow again (default 0: kills land
#                     in start-up, reconnection and re-verification as well)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_faults.sh"

CYCLES=${KILLLOOP_CYCLES:-20}
SIZES=${KILLLOOP_MIB:-96}
SLEEP=${KILLLOOP_SLEEP:-50 400}
FINISH=${KILLLOOP_FINISH:-60}
TOPUP=${KILLLOOP_TOPUP:-64}
MAX_TOPUPS=${KILLLOOP_MAX_TOPUPS:-12}
MIN_HITS=${KILLLOOP_MIN_HITS:-$CYCLES}
FLOW_WAIT=${KILLLOOP_FLOW_WAIT:-0}
# shellcheck disable=SC2086
set -- $SLEEP; LO=$1; HI=$2
t0=$(date +%s)

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
agree csu ccg "*"
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic big >/dev/null
wait_until 20 subscription_active ccg 0DF big || fail "subscription not confirmed"

# The datasets go out one after another, in the order published; a short
# last chunk in each.
ids=""; n=0; topups=0
add_dataset() {
    n=$((n + 1))
    head -c $(($1 * 1048576 - 4321)) /dev/urandom > "$T/d$n.csv"
    id=$(publish csu big "$T/d$n.csv")
    ids="$ids $id"
    echo "$id" > "$T/d$n.id"
}
for mib in $SIZES; do add_dataset "$mib"; done
say "published $n dataset(s) ($SIZES MiB) in $(( $(date +%s) - t0 )) s"

# sqlite3 straight on the file: quick enough not to disturb the timing.
available_now() {
    sqlite3 -cmd ".timeout 2000" "$T/ccg/store.db" "SELECT count(*) FROM datasets WHERE state = 'available';" 2>/dev/null || echo 0
}

# Bytes of sealed data the receiver has written so far (a chunk written
# again after a resumption does not count twice).
data_bytes() {
    stat -c %s "$T"/ccg/data/*.sealed 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# kill_point MS BYTES: returns once MS milliseconds have passed (status 1),
# or sooner (status 0) once the receiver has written BYTES more, so that on
# a fast machine too each kill lands inside a transfer.
kill_point() {
    end=$(( $(date +%s%3N) + $1 )); goal=$(( $(data_bytes) + $2 ))
    while [ "$(date +%s%3N)" -lt "$end" ]; do
        [ "$(data_bytes)" -lt "$goal" ] || return 0
        sleep 0.01
    done
    return 1
}

# flowing MS: waits up to MS ms for the receiver to write something new.
flowing() {
    end=$(( $(date +%s%3N) + $1 )); from=$(data_bytes)
    while [ "$(date +%s%3N)" -lt "$end" ]; do
        [ "$(data_bytes)" -le "$from" ] || return 0
        sleep 0.02
    done
    return 1
}

t1=$(date +%s)
kills=0; busy=0; i=0; early=0; flows=0
while [ $i -lt "$CYCLES" ]; do
    i=$((i + 1))
    for victim in csu ccg; do
        if [ "$(available_now)" -ge "$n" ] && [ $topups -lt "$MAX_TOPUPS" ]; then
            topups=$((topups + 1))
            add_dataset "$TOPUP"
        fi
        if [ "$FLOW_WAIT" -gt 0 ] && flowing "$FLOW_WAIT"; then
            flows=$((flows + 1))
        fi
        if kill_point "$(rand_ms "$LO" "$HI")" $(( $(rand_ms 1 8) * 1048576 )); then
            early=$((early + 1))
        fi
        stop "$victim" KILL
        kills=$((kills + 1))
        # A kill "hit" a transfer if some dataset had not arrived yet.
        [ "$(available_now)" -lt "$n" ] && busy=$((busy + 1))
        store_ok "$victim" || fail "store of $victim damaged after SIGKILL $kills (cycle $i)"
        start "$victim"
    done
done
loop_s=$(( $(date +%s) - t1 ))
at_end=$(available_now)
held=$(sqlite3 -cmd ".timeout 2000" "$T/ccg/store.db" "SELECT coalesce(sum(next_chunk), 0) FROM datasets;")
say "$kills kills in $CYCLES cycles ($loop_s s), $early of them when 1-8 MiB more had arrived, the others after $LO-$HI ms: $busy hit a transfer in progress; $topups top-up dataset(s); $at_end of $n datasets ($held MiB chunks) had arrived when the loop ended"
[ "$FLOW_WAIT" -eq 0 ] || say "$flows kills came after chunks were seen flowing again (waiting up to $FLOW_WAIT ms)"
[ "$busy" -ge "$MIN_HITS" ] ||
    fail "only $busy of $kills kills hit a transfer in progress (want $MIN_HITS): raise KILLLOOP_MIB or KILLLOOP_TOPUP"

t2=$(date +%s)
# shellcheck disable=SC2086
wait_until "$FINISH" all_available ccg $ids ||
    fail "not every dataset arrived within $FINISH s of the last kill ($(count_datasets ccg available) of $n available)"
# shellcheck disable=SC2086
wait_until 30 all_delivered csu 04V $ids || fail "not every delivery has its signed receipt"
finish_s=$(( $(date +%s) - t2 ))
stop ccg; stop csu

# shellcheck disable=SC2086
exactly_once csu ccg $ids
k=0
while [ "$k" -lt "$n" ]; do
    k=$((k + 1))
    export_same ccg "$(cat "$T/d$k.id")" "$T/d$k.csv"
done
store_clean csu || fail "csu store or data directory not clean"
store_clean ccg || fail "ccg store or data directory not clean"
no_pending csu || fail "csu still has deliveries queued or sending"

resumes_rx=$(log_count ccg 'resuming .* from chunk')
resumes_tx=$(log_count csu 'resumes .* from chunk')
refetch=$(log_count ccg 'durable chunks verify')
timeouts=$(log_count csu 'no answer from the peer in time')
say "resum lines: receiver $resumes_rx, sender $resumes_tx; refetches after a bad durable chunk: $refetch; sender timeouts: $timeouts"
say "ok ($(( $(date +%s) - t0 )) s in all; completion took $finish_s s after the last kill)"
