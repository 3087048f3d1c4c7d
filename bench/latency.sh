#!/bin/sh
# Latency: a 10 KB dataset from the start of `cdx publish` until the
# subscriber's store says `available`, N times in sequence (200; BENCH_QUICK=1:
# 20); median and 99th percentile (nearest rank). The subscriber's store is
# read every 2 ms by one long-lived process (bench/poll.py), so the poll costs
# no process start. Each sample starts as soon as the previous one is
# available. The baseline is the `cdx publish` command alone, in the same
# samples: the part of the latency that is local work at the publisher.
# Usage: bench/latency.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"

if quick; then N=20; else N=200; fi
head -c 10000 /dev/urandom > "$W/10k"

mk_node pub 0DF csu
mk_node sub 04V ccg
pin pub sub
pin sub pub
start_node pub
start_node sub
"$CDX" subscribe --home "$W/sub" --from 0DF --topic bench/latency >/dev/null
wait_active bench/latency sub

$POLL publish --cdx "$CDX" --home "$W/pub" --topic bench/latency --file "$W/10k" \
    --n "$N" --interval 0.002 --timeout 60 "$W/sub/store.db" > "$W/samples" || die "sampling failed"
awk '{ print $2 * 1000 }' "$W/samples" > "$W/total.ms"
awk '{ print $1 * 1000 }' "$W/samples" > "$W/publish.ms"
med=$(median "$W/total.ms"); p99=$(pctl 99 "$W/total.ms")
bmed=$(median "$W/publish.ms"); bp99=$(pctl 99 "$W/publish.ms")
max=$(sort -g "$W/total.ms" | tail -n 1); min=$(sort -g "$W/total.ms" | head -n 1)

row "Latency: 10 KB publish to available, median of $N" "$(f "$med" 1) ms" "\`cdx publish\` alone: $(f "$bmed" 1) ms" \
    "$(f "$med / $bmed" 2)×" "< 20 ms" "$(passif "$med < 20")"
row "Latency: 10 KB publish to available, p99 of $N" "$(f "$p99" 1) ms" "\`cdx publish\` alone: $(f "$bp99" 1) ms" \
    "$(f "$p99 / $bp99" 2)×" "< 100 ms" "$(passif "$p99 < 100")"

note "### Latency"
note ""
note "$N sequential publishes of a 10,000-byte file; each timed from the start of \`cdx publish\`"
note "until the subscriber's store.db says \`available\` (read every 2 ms). min $(f "$min" 1) ms,"
note "median $(f "$med" 1) ms, p90 $(f "$(pctl 90 "$W/total.ms")" 1) ms, p99 $(f "$p99" 1) ms, max $(f "$max" 1) ms."
note "The \`cdx publish\` command alone (process start, seal, sign, commit, kick): median $(f "$bmed" 1) ms,"
note "p99 $(f "$bp99" 1) ms."
note ""
if [ -n "$BENCH_PLOTS" ]; then
    sort -g "$W/total.ms" | awk -v n="$N" '{ print $1, NR / n }' > "$BENCH_PLOTS/latency-total.dat"
    sort -g "$W/publish.ms" | awk -v n="$N" '{ print $1, NR / n }' > "$BENCH_PLOTS/latency-publish.dat"
fi
