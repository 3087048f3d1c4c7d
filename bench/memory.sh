#!/bin/sh
# Peak resident memory (VmHWM from /proc) of a publisher and a subscriber
# node while a dataset goes from `cdx publish` to `available`, for each size;
# fresh nodes for each size. Usage: bench/memory.sh BUILD_DIR [SIZE_MIB...]
# Sizes default to 64 1024 4096 (BENCH_QUICK=1: 16 64). The baseline is the
# same node's VmHWM once running and subscribed, just before the publish;
# "flat" compares the two largest sizes.
. "$(dirname "$0")/lib.sh"
shift
if [ $# -eq 0 ]; then
    if quick; then set -- 16 64; else set -- 64 1024 4096; fi
fi
LIMIT=64          # MiB per node, at every size
FLAT=1.10         # largest size's peak at most this times the next one's

human() { if [ "$1" -ge 1024 ]; then echo "$(($1 / 1024)) GiB"; else echo "$1 MiB"; fi; }

: > "$W/detail"
for SIZE in "$@"; do
    H="$W/m$SIZE"; mkdir -p "$H"
    mk_node "m$SIZE/a" 0DF csu
    mk_node "m$SIZE/b" 04V ccg
    pin "m$SIZE/a" "m$SIZE/b"
    pin "m$SIZE/b" "m$SIZE/a"
    start_node "m$SIZE/a"; P1=$(pid_of "m$SIZE/a")
    start_node "m$SIZE/b"; P2=$(pid_of "m$SIZE/b")
    "$CDX" subscribe --home "$H/b" --from 0DF --topic bench >/dev/null
    until "$CDX" subscriptions --json --home "$H/b" | grep -q '"active"'; do sleep 0.1; done
    base1=$(hwm "$P1"); base2=$(hwm "$P2")

    DATA=$(data_file "$SIZE")
    start=$(now)
    /usr/bin/time -f "%M" -o "$H/publish.kb" "$CDX" publish --home "$H/a" --topic bench \
        --class aggregate --purpose commissioning "$DATA" > "$H/id" || die "cdx publish failed"
    id=$(cat "$H/id")
    until "$CDX" datasets --json --home "$H/b" | grep -q "\"id\":\"$id\"[^}]*\"state\":\"available\""; do
        if ! kill -0 "$P1" 2>/dev/null || ! kill -0 "$P2" 2>/dev/null; then
            die "a node died during the $SIZE MiB transfer"
        fi
        sleep 0.2
    done
    end=$(now)
    peak1=$(hwm "$P1"); peak2=$(hwm "$P2")
    pubcmd=$(f "$(cat "$H/publish.kb") / 1024" 1)
    echo "$SIZE $peak1 $peak2" >> "$W/detail"
    printf '| %s | %s MiB | %s MiB | %s MiB | %s MiB | %s MiB | %s s |\n' "$(human "$SIZE")" \
        "$base1" "$peak1" "$base2" "$peak2" "$pubcmd" "$(f "$end - $start" 1)" >> "$W/table"

    for who in publisher subscriber; do
        if [ $who = publisher ]; then b=$base1; p=$peak1; else b=$base2; p=$peak2; fi
        row "Memory: $who node, $(human "$SIZE")" "$p MiB peak" "$b MiB before the publish" \
            "$(f "$p / $b" 2)×" "< $LIMIT MiB" "$(passif "$p < $LIMIT")"
    done
    # This size's nodes are done: stop them and free the disk.
    stop_node "m$SIZE/a"; stop_node "m$SIZE/b"
    rm -rf "$H"
done

if [ $# -ge 2 ]; then
    r=$(sort -n "$W/detail" | tail -n 2 | awk '{ print $1, $2, $3 }' | tr '\n' ' ')
    # shellcheck disable=SC2086
    set -- $r
    small=$1; s1=$2; s2=$3; big=$4; b1=$5; b2=$6
    row "Memory flat: publisher, $(human "$big") vs $(human "$small")" "$b1 MiB" "$s1 MiB" \
        "$(f "$b1 / $s1" 2)×" "≤ $FLAT×" "$(passif "$b1 / $s1 <= $FLAT")"
    row "Memory flat: subscriber, $(human "$big") vs $(human "$small")" "$b2 MiB" "$s2 MiB" \
        "$(f "$b2 / $s2" 2)×" "≤ $FLAT×" "$(passif "$b2 / $s2 <= $FLAT")"
fi

note "### Memory"
note ""
note "VmHWM of each \`cdx run\` process, read from /proc just before the publish (\"before\") and"
note "once the subscriber lists the dataset \`available\` (\"peak\"); fresh nodes for each size."
note "\`cdx publish\` is the command's own peak (GNU time %M), not a node. \"Flat\" allows $FLAT×."
note ""
note "| size | publisher before | publisher peak | subscriber before | subscriber peak | \`cdx publish\` | publish to available |"
note "|---|---|---|---|---|---|---|"
cat "$W/table" >> "$BENCH_NOTES"
note ""
