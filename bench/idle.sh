#!/bin/sh
# Idle cost: the CPU time (user + system, all threads, from /proc/PID/stat)
# of a running node with 2 peers, both running, an active subscription each
# way and nothing to send, over 60 s (BENCH_QUICK=1: 5 s), after 2 s to
# settle; reported per minute. Also its wakeups (context switches of all
# threads). The baseline is the mean of the two peers, idle just the same.
# Usage: bench/idle.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"

if quick; then SECS=5; else SECS=60; fi
TCK=$(getconf CLK_TCK)

mk_node x 0DF csu
mk_node y 04V ccg
mk_node z 05D ccg
pin x y; pin x z; pin y x; pin z x
start_node x; start_node y; start_node z
"$CDX" subscribe --home "$W/y" --from 0DF --topic bench/idle >/dev/null
"$CDX" subscribe --home "$W/x" --from 04V --topic bench/idle >/dev/null
wait_active bench/idle y x
sleep 2

# ticks PID: utime + stime in clock ticks (fields 14 and 15, after "(comm)").
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# switches PID: voluntary + involuntary context switches of all its threads.
switches() { cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ { n += $2 } END { print n }'; }

X=$(pid_of x); Y=$(pid_of y); Z=$(pid_of z)
x0=$(ticks "$X"); y0=$(ticks "$Y"); z0=$(ticks "$Z"); c0=$(switches "$X")
t0=$(now)
sleep "$SECS"
x1=$(ticks "$X"); y1=$(ticks "$Y"); z1=$(ticks "$Z"); c1=$(switches "$X")
t1=$(now)
for p in "$X" "$Y" "$Z"; do kill -0 "$p" 2>/dev/null || die "a node exited while idle"; done

el=$(f "$t1 - $t0" 3)
cpu_x=$(f "($x1 - $x0) / $TCK * 60 / $el" 3)
cpu_peers=$(f "(($y1 - $y0) + ($z1 - $z0)) / 2 / $TCK * 60 / $el" 3)
wake=$(f "($c1 - $c0) * 60 / $el" 0)
threads=$(find /proc/"$X"/task -mindepth 1 -maxdepth 1 | wc -l)
res=$(f "60 / $el / $TCK" 3)

row "Idle: node with 2 peers, CPU over $SECS s" "$cpu_x s/min" "peers: $cpu_peers s/min" \
    "$(awk "BEGIN { if ($cpu_peers > 0) printf \"%.2f×\", $cpu_x / $cpu_peers; else print \"—\" }")" \
    "< 0.1 s/min" "$(passif "$cpu_x < 0.1")"

note "### Idle"
note ""
note "Over $(f "$el" 1) s the idle node used $((x1 - x0)) clock ticks (1/$TCK s each; the resolution"
note "here is $res s/min), its $threads threads woke $(f "($c1 - $c0)" 0) times ($wake per minute, context"
note "switches from /proc/PID/task/*/status). Its two peers used $((y1 - y0)) and $((z1 - z0)) ticks."
note ""
