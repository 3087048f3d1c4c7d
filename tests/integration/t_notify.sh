# cdx run under a service manager, as systemd runs it: with NOTIFY_SOCKET
# (a datagram socket this test listens on) and WATCHDOG_USEC set, the node
# says READY=1 once a peer can connect, STATUS= lines (and a new one when a
# peer connects), WATCHDOG=1 at half the interval from its loop, and
# STOPPING=1 on SIGTERM. With JOURNAL_STREAM naming its stderr, log lines
# carry the journal's "<N>" priorities instead of a time; --log-level
# drops the lines below it; a JOURNAL_STREAM that is not stderr changes
# nothing.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
port=$(sed -n 's|^endpoint: tcp://127.0.0.1:||p' "$T/csu.card")
[ -n "$port" ] || fail "no port on the card"

python3 "$(dirname "$0")/notify_listen.py" "$T/notify.sock" "$T/notify.txt" "$port" &
echo $! > "$T/listener.pid"
wait_until 10 grep -q listening "$T/notify.txt" || fail "the listener did not start"

# run_notified LOG [cdx run options]: csu under the "manager", stderr to
# LOG, JOURNAL_STREAM set to LOG's device and inode (as systemd sets it for
# the stream it connects to stderr).
run_notified() {
    r_log=$1; shift
    : > "$r_log"
    NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=1000000 JOURNAL_STREAM=$(stat -c '%d:%i' "$r_log") \
        "$CDX" run --home "$T/csu" "$@" 2>>"$r_log" &
    echo $! > "$T/csu.pid"
}

run_notified "$T/csu.log"
wait_until 20 grep -q "READY=1" "$T/notify.txt" || fail "no READY=1"
wait_until 5 grep -q "ready-connect" "$T/notify.txt" || fail "the listener did not try to connect"
grep -q "ready-connect ok" "$T/notify.txt" || fail "READY=1 came before a peer could connect: $(cat "$T/notify.txt")"
grep "READY=1" "$T/notify.txt" | grep -q "STATUS=listening on tcp://127.0.0.1:$port: 0 of 1 peers connected" ||
    fail "READY=1 without the first status: $(grep READY "$T/notify.txt")"

# The watchdog: every 0.5 s (WATCHDOG_USEC 1 s): about 8 in the 4 s after
# the first, by the listener's clock; bounds wide enough for a loaded
# machine but not for a missing or runaway timer.
sleep 5
beats=$(awk '$2 == "WATCHDOG=1" { if (!t0) t0 = $1; else if ($1 <= t0 + 4) n++ } END { print n + 0 }' "$T/notify.txt")
[ "$beats" -ge 5 ] && [ "$beats" -le 11 ] || fail "$beats WATCHDOG=1 in 4 s, not about 8: $(grep WATCHDOG "$T/notify.txt" | head -n 20)"
say "$beats WATCHDOG=1 in the 4 s after the first, with WATCHDOG_USEC=1000000"

# A peer connects: a new STATUS= line says so (at most 5 s after the last).
start ccg
wait_until 20 grep -q "STATUS=1 of 1 peers connected, 0 deliveries queued" "$T/notify.txt" ||
    fail "no STATUS= line for the peer connected: $(grep STATUS "$T/notify.txt")"

# The journal's format: "<6>cdx[0DF] info: listening on ...", no time.
grep -q "^<6>cdx\[0DF\] info: listening on tcp://127.0.0.1:$port" "$T/csu.log" ||
    fail "no <6> line for listening: $(head -n 3 "$T/csu.log")"
grep -q "^20[0-9][0-9]-" "$T/csu.log" && fail "a journal line carries a time: $(grep '^20' "$T/csu.log" | head -n 1)"
grep -q "^<7>" "$T/csu.log" && fail "a debug line at --log-level info"

stop csu
grep -q "STOPPING=1 | STATUS=stopped on signal 15" "$T/notify.txt" || fail "no STOPPING=1: $(tail -n 3 "$T/notify.txt")"
grep -q "^<6>cdx\[0DF\] info: stopped on signal 15" "$T/csu.log" || fail "no <6> line for the stop"
info_lines=$(wc -l < "$T/csu.log")

# --log-level error: none of the info lines; debug: the notify module's
# debug lines as well, each with its priority.
run_notified "$T/error.log" --log-level error
wait_until 20 sh -c "grep -c READY=1 '$T/notify.txt' | grep -qx 2" || fail "no READY=1 at --log-level error"
stop csu
error_lines=$(wc -l < "$T/error.log")
[ "$error_lines" -lt "$info_lines" ] || fail "--log-level error wrote $error_lines lines, info $info_lines"
grep -q "^<[4-7]>" "$T/error.log" && fail "--log-level error wrote: $(grep '^<[4-7]>' "$T/error.log" | head -n 1)"

run_notified "$T/debug.log" --log-level debug
wait_until 20 sh -c "grep -c READY=1 '$T/notify.txt' | grep -qx 3" || fail "no READY=1 at --log-level debug"
wait_until 10 grep -q "^<7>cdx\[0DF\] debug: told the service manager: ready, watchdog on" "$T/debug.log" ||
    fail "no <7> debug line: $(cat "$T/debug.log")"
stop csu
must_refuse "--log-level loud" "--log-level: error, warning, info or debug" "$CDX" run --home "$T/csu" --log-level loud

# JOURNAL_STREAM naming another file than stderr: lines for a terminal or
# a file, with the time, as without it.
: > "$T/plain.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/notify.txt") "$CDX" run --home "$T/csu" 2>>"$T/plain.log" &
echo $! > "$T/csu.pid"
wait_until 20 grep -q "listening on" "$T/plain.log" || fail "no listening line"
stop csu
grep -q "^20[0-9-]*T[0-9:]*Z cdx\[0DF\] info: listening on" "$T/plain.log" ||
    fail "JOURNAL_STREAM not naming stderr changed the format: $(head -n 1 "$T/plain.log")"
grep -q "^<" "$T/plain.log" && fail "a <N> prefix without the journal"

kill "$(cat "$T/listener.pid")"; rm -f "$T/listener.pid"
say ok
