# A failover drill (SPEC.md 11.5, cdx drill failover): a CSU of two nodes,
# 0DF/a and 0DF/b (cdx run --takeover 2), and a CCG (04V). A dataset is
# published at 0DF/a while 04V is stopped, so its delivery waits; then
# `cdx drill failover --seconds 5` at 0DF/a: it goes dark, 0DF/b takes
# over after 2 s and delivers when 04V starts, and when 0DF/a is back
# 0DF/b reports the takeover (FAILOVER): the command exits 0, its --json
# names 0DF/b, 0DF/a's audit log holds the drill (allow, sibling.drill)
# and cdx report resilience shows it. A drill with nothing pending passes
# too (a takeover of 0 deliveries). A request a command gave up on does
# not block the next. A drill during which 0DF/b stops
# fails: exit 7, a refuse entry. Refused: a login without the admin role
# (exit 4, audited), a node without siblings, no sibling connected, a
# drill under way, and a drill not longer than the takeover time.
. "$(dirname "$0")/lib.sh"

people opuser                      # a real login, a publisher at 0DF/a: not an admin
make_labelled a 0DF a csu
make_labelled b 0DF b csu
make_node ccg 04V ccg
certify_all a b ccg
agree a ccg "sus/*"
agree b ccg "sus/*"
"$CDX" user add --home "$T/a" "$opuser" --role publisher >/dev/null || fail "user add $opuser"
start_t() {   # start NAME with a 2 s takeover time, its socket open to the people's group
    seen=$(grep -c 'listening on' "$T/$1.log" 2>/dev/null) || seen=0
    chgrp "$PEOPLE_GROUP" "$T/$1" && chmod 710 "$T/$1" || fail "open $1 to $PEOPLE_GROUP"
    "$CDX" run --takeover 2 --home "$T/$1" --socket-group "$PEOPLE_GROUP" 2>>"$T/$1.log" &
    echo $! > "$T/$1.pid"
    for _ in $(seq 1 400); do
        [ "$(grep -c 'listening on' "$T/$1.log")" -gt "$seen" ] && break
        sleep 0.025
    done
}
start_t a; start_t b; start ccg
up() { [ "$(q "$1" "SELECT connected FROM peers WHERE address='$2'")" = 1 ]; }
wait_until 20 up a 0DF/b || fail "0DF/a is not connected to 0DF/b"
wait_until 20 up b 0DF/a || fail "0DF/b is not connected to 0DF/a"
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null || fail "subscribe"
wait_until 20 subscription_active ccg 0DF sus/apc || fail "the subscription is not confirmed"
sub_at() { [ "$(q "$1" "SELECT state FROM subscriptions WHERE subscriber='04V' AND topic='sus/apc'")" = active ]; }
wait_until 20 sub_at a || fail "0DF/a does not hold the subscription"
wait_until 20 sub_at b || fail "0DF/b does not hold the subscription"

exits() {  # exits CODE PATTERN CMD...: CMD exits CODE, saying PATTERN on stderr
    e_want=$1 e_pat=$2; shift 2
    e_rc=0; "$@" >"$T/exits.out" 2>"$T/exits.err" || e_rc=$?
    [ "$e_rc" -eq "$e_want" ] && grep -Eq -- "$e_pat" "$T/exits.err" ||
        fail "$*: exit $e_rc, not $e_want for /$e_pat/: $(cat "$T/exits.err")"
}
drills() { q a "SELECT count(*) FROM audit WHERE actor='node' AND action='drill' AND rule='sibling.drill'"; }

# 1. Refused before anything is done.
exits 4 'drill needs the admin role' as "$opuser" drill failover --home "$T/a" --seconds 5
[ "$(q a "SELECT count(*) FROM audit WHERE action='drill' AND decision='refuse' AND rule='role.missing' AND actor LIKE 'user:$opuser%'")" = 1 ] ||
    fail "the refusal of $opuser is not audited"
exits 1 '04V has no sibling: a drill needs another node of 04V certified' "$CDX" drill failover --home "$T/ccg"
exits 2 'seconds' "$CDX" drill failover --home "$T/a" --seconds 0
exits 1 'not longer than this node.s takeover time \(2000 ms\)' "$CDX" drill failover --home "$T/a" --seconds 2
printf 'cdx-drill/1 0123456789abcdef asked 5 0 %s\n\n' "$(date +%s%3N)" > "$T/a/drill.req"
exits 1 'a drill is under way at this node' "$CDX" drill failover --home "$T/a" --seconds 5
rm "$T/a/drill.req"
[ "$(drills)" = 0 ] || fail "a refused drill was recorded as a drill"
[ ! -e "$T/a/drill.req" ] || fail "a refused drill left its request"

# 2. A delivery waiting: 0DF/b takes over and delivers while 0DF/a is dark.
stop ccg
head -c $((1048576 + 5)) /dev/urandom > "$T/x1"
id1=$("$CDX" publish --home "$T/a" --topic sus/apc --class pseudonymised --purpose commissioning "$T/x1") ||
    fail "publish"
[ "$(ds_state b "$id1")" = published ] || fail "0DF/b does not hold the copy when publish returned"
[ "$(dl_state a "$id1" 04V)" = queued ] || fail "the delivery to 04V is not waiting"
# A request left by a command that gave up (its kick lost) is no lock.
printf 'cdx-drill/1 0123456789abcdef asked 5 0 %s\n\n' "$(( $(date +%s%3N) - 11000 ))" > "$T/a/drill.req"
rc=0; "$CDX" drill failover --home "$T/a" --seconds 5 --json >"$T/drill1.json" 2>"$T/drill1.err" &
dpid=$!
took_over() { [ "$(q b "SELECT count(*) FROM audit WHERE action='failover' AND rule='sibling.failover' AND peer='0DF/a'")" -gt 0 ]; }
wait_until 15 took_over || fail "0DF/b did not take over while 0DF/a was dark"
grep -q 'unreachable on purpose for 5 s' "$T/a.log" || fail "0DF/a did not say it went dark"
start ccg
wait_until 30 is_available ccg "$id1" || fail "04V did not receive $id1"
[ "$(q ccg "SELECT count(*) FROM audit WHERE action='receive' AND decision='allow' AND object LIKE '%$id1' AND actor LIKE 'peer:0DF/b:%'")" = 1 ] ||
    fail "04V did not receive $id1 from 0DF/b, the deputy"
wait "$dpid" || rc=$?
[ "$rc" = 0 ] || fail "the drill exited $rc: $(cat "$T/drill1.err")"
python3 - "$T/drill1.json" <<'EOF' || fail "cdx drill failover --json: $(cat "$T/drill1.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"passed", "took_ms", "by", "deliveries", "dark_s"}, d
assert d["passed"] is True and d["by"] == "0DF/b" and d["deliveries"] == 1 and d["dark_s"] == 5, d
assert 2000 <= d["took_ms"] < 5000, d
EOF
took1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["took_ms"])' "$T/drill1.json")
[ "$(drills)" = 1 ] || fail "0DF/a recorded $(drills) drills, not 1"
entry=$(q a "SELECT decision, peer, object, detail FROM audit WHERE actor='node' AND action='drill' AND rule='sibling.drill'")
[ "$entry" = "allow|0DF/b|0DF/a|$took1 ms: 0DF/b took over 1 deliveries" ] || fail "the drill's entry: $entry"
[ ! -e "$T/a/drill.req" ] || fail "the drill left its request"
"$CDX" audit verify --home "$T/a" >/dev/null || fail "0DF/a's audit chain does not verify"

# 3. Nothing pending: 0DF/b reports a takeover of 0 deliveries.
wait_until 20 up a 0DF/b || fail "0DF/a is not connected to 0DF/b again"
rc=0; "$CDX" drill failover --home "$T/a" --seconds 4 >"$T/drill2.out" 2>"$T/drill2.err" || rc=$?
[ "$rc" = 0 ] || fail "the drill with nothing pending exited $rc: $(cat "$T/drill2.err")"
grep -Eq '^failover drill passed: 0DF/b took over 0 deliveries in 2 000 ms$' "$T/drill2.out" ||
    fail "the drill's line: $(cat "$T/drill2.out")"

# 4. 0DF/b stops while 0DF/a is dark: nobody takes over, exit 7.
wait_until 20 up a 0DF/b || fail "0DF/a is not connected to 0DF/b again"
rc=0; "$CDX" drill failover --home "$T/a" --seconds 4 >"$T/drill3.out" 2>"$T/drill3.err" &
dpid=$!
dark() { grep -q ' dark ' "$T/a/drill.state" 2>/dev/null; }
wait_until 10 dark || fail "0DF/a did not go dark"
stop b
wait "$dpid" || rc=$?
[ "$rc" = 7 ] || fail "the drill without a sibling exited $rc, not 7: $(cat "$T/drill3.err")"
grep -Eq '^failover drill failed: no sibling took over within 3[4-6] s \(this node was dark for 4 [0-9]{3} ms\)$' "$T/drill3.out" ||
    fail "the failed drill's line: $(cat "$T/drill3.out")"
grep -q 'check that a sibling runs' "$T/drill3.err" || fail "no hint: $(cat "$T/drill3.err")"
q a "SELECT decision || ' ' || detail FROM audit WHERE actor='node' AND action='drill' ORDER BY seq DESC LIMIT 1" |
    grep -Eq '^refuse 4[0-9]{3} ms: no sibling took over within 3[4-6] s$' ||
    fail "the failed drill's entry: $(q a "SELECT detail FROM audit WHERE action='drill' ORDER BY seq DESC LIMIT 1")"

# 5. 0DF/b down: refused before going dark.
exits 1 'no sibling is connected \(0DF/b\)' "$CDX" drill failover --home "$T/a" --seconds 5

# 6. The report counts the three drills.
"$CDX" report resilience --home "$T/a" --json >"$T/report.json" || true
python3 - "$T/report.json" "$took1" <<'EOF' || fail "the report's drills: $(cat "$T/report.json")"
import json, sys
d = json.load(open(sys.argv[1]))["drills"]
assert d["count"] == 3 and d["passed"] == 2 and d["failed"] == 1, d
assert d["last_passed"] is False and 4000 <= d["last_ms"] < 5000, d
first = d["list"][0]
assert first["passed"] is True and first["ms"] == int(sys.argv[2]) and first["sibling"] == "0DF/b", first
assert d["list"][1]["ms"] == 2000 and d["list"][1]["passed"] is True, d["list"][1]
EOF
say "ok"
