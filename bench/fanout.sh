#!/bin/sh
# Fan-out: one publisher and N subscriber nodes on this machine (32;
# BENCH_QUICK=1: 4), one dataset (64 MiB; quick: 16 MiB): the time from the
# start of `cdx publish` until every subscriber's store says `available`,
# against N times the time for a single subscriber of the same file, measured
# in the same run with all N+1 nodes running (the median of 3; quick: 1).
# Stores are read every 50 ms by one long-lived process (bench/poll.py).
# Usage: bench/fanout.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"

if quick; then N=${BENCH_FANOUT:-4}; SIZE=16; REPS=1; else N=${BENCH_FANOUT:-32}; SIZE=64; REPS=3; fi
DATA=$(data_file "$SIZE")

log "$N subscriber nodes"
mk_node pub 0DF csu
subs=""; dbs=""
i=1
while [ "$i" -le "$N" ]; do
    s=$(printf 'S%02d' "$i")
    mk_node "$s" "$s" ccg
    pin pub "$s"
    pin "$s" pub
    subs="$subs $s"; dbs="$dbs $W/$s/store.db"
    i=$((i + 1))
done
start_node pub
for s in $subs; do start_node "$s"; done

# Single subscriber: only S01 subscribes to this topic.
"$CDX" subscribe --home "$W/S01" --from 0DF --topic bench/single >/dev/null
wait_active bench/single S01
$POLL publish --cdx "$CDX" --home "$W/pub" --topic bench/single --file "$DATA" \
    --n "$REPS" --interval 0.05 --timeout 600 "$W/S01/store.db" > "$W/single" || die "single delivery failed"
t1=$(awk '{ print $2 }' "$W/single" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
log "single subscriber: $t1 s (runs: $(awk '{ printf "%s ", $2 }' "$W/single"))"

# Everyone subscribes to the fan-out topic.
for s in $subs; do
    "$CDX" subscribe --home "$W/$s" --from 0DF --topic bench/fanout >/dev/null || die "subscribe $s"
done
# shellcheck disable=SC2086
wait_active bench/fanout $subs
# shellcheck disable=SC2086
$POLL publish --cdx "$CDX" --home "$W/pub" --topic bench/fanout --file "$DATA" \
    --interval 0.05 --timeout 1800 $dbs > "$W/fan" || die "fan-out delivery failed"
tr '\t' '\n' < "$W/fan" | tail -n +2 | sort -g > "$W/each"
tN=$(tail -n 1 "$W/each")
first=$(head -n 1 "$W/each")
log "all $N: $tN s"

base=$(f "$N * $t1" 3)
row "Fan-out: $SIZE MiB to $N subscribers, all \`available\`" "$(f "$tN" 2) s" \
    "$N × single ($(f "$t1" 2) s) = $(f "$base" 2) s" "$(f "$tN / $base" 2)×" "≤ 1.20×" \
    "$(passif "$tN / $base <= 1.2")"

note "### Fan-out"
note ""
note "One publisher and $N subscriber nodes, all running throughout; $SIZE MiB of random bytes."
note "Single subscriber (median of $REPS; runs: $(awk '{ printf "%.2f ", $2 }' "$W/single")s), publish command $(f "$(awk '{ print $1 }' "$W/single" | head -n 1)" 2) s."
note "Fan-out: first subscriber available after $(f "$first" 2) s, median $(f "$(median "$W/each")" 2) s,"
note "last $(f "$tN" 2) s (the publish command took $(f "$(cut -f 1 "$W/fan")" 2) s of that)."
note "Peak resident memory (VmHWM) at the end: publisher node $(hwm "$(pid_of pub)") MiB; subscriber nodes"
note "$(for s in $subs; do hwm "$(pid_of "$s")"; echo; done | sort -g | sed -n '1p;$p' | paste -sd '-' -) MiB."
note ""
if [ -n "$BENCH_PLOTS" ]; then
    awk '{ print NR, $1 }' "$W/each" > "$BENCH_PLOTS/fanout.dat"
    echo "$t1" > "$BENCH_PLOTS/fanout-single"
fi
