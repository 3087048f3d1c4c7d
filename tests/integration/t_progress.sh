# Progress where people look: a slow transfer (its receiver stopped and
# let run in turn) shows bytes, rate and ETA in cdx deliveries --json and
# cdx wait at the publisher; a subscriber that is not running shows as
# offline, a version behind another as waiting for earlier versions, a
# policy refusal as "refused: RULE"; cdx peers says who is connected and
# when each was last seen; the node logs how a long transfer goes at
# least every 10 s; cdx wait --topic returns the next version.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
make_node off 05X ccg
for s in ccg off; do pin csu $s; pin $s csu; agree csu $s "sus/*"; done
ref_ccg=DSA-0DF-04V-1
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/big >/dev/null
"$CDX" subscribe --home "$T/off" --from 0DF --topic sus/big >/dev/null
start csu; start ccg; start off
wait_until 20 sub_active ccg 0DF sus/big || fail "subscription not active"
wait_until 20 sub_active off 0DF sus/big || fail "subscription not active"
stop off

# peers: both were connected; 05X is not any more, and was last seen.
peers_ok() {
    "$CDX" peers --json --home "$T/csu" | python3 -c '
import json, sys
p = {x["org"]: x for x in json.load(sys.stdin)}
sys.exit(0 if p["04V"]["connected"] is True and p["04V"]["last_seen"]
         and p["05X"]["connected"] is False and p["05X"]["last_seen"] else 1)'
}
wait_until 20 peers_ok || fail "cdx peers: $("$CDX" peers --json --home "$T/csu")"
"$CDX" peers --home "$T/csu" | grep 04V | grep -q connected || fail "cdx peers (text) does not say connected"
"$CDX" peers --home "$T/csu" | grep 05X | grep -q "seen 20" || fail "cdx peers (text) has no last seen for 05X"

# The receiver runs about 10 ms in every 1.5 s: a transfer of 48 MiB takes a while.
head -c $((48 << 20)) /dev/urandom > "$T/big.bin"
ccg_pid=$(cat "$T/ccg.pid")
( while kill -STOP "$ccg_pid" 2>/dev/null; do sleep 1.5; kill -CONT "$ccg_pid" 2>/dev/null; sleep 0.01; done ) &
throttle=$!
release() { kill "$throttle" 2>/dev/null || true; wait "$throttle" 2>/dev/null || true; kill -CONT "$ccg_pid" 2>/dev/null || true; }
v1=$("$CDX" publish --home "$T/csu" --topic sus/big --class aggregate --purpose commissioning "$T/big.bin")
printf 'a,b\n1,2\n' > "$T/small.csv"
v2=$("$CDX" publish --home "$T/csu" --topic sus/big --class aggregate --purpose commissioning "$T/small.csv")

# deliveries --json: the transfer under way with its numbers; the one
# behind it, and the offline subscriber, with why they wait.
view() {
    "$CDX" deliveries --json --home "$T/csu" | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if d["dataset"] == sys.argv[1] and d["subscriber"] == sys.argv[2]:
        print(json.dumps(d)); break' "$1" "$2"
}
moving() {
    view "$v1" 04V | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["state"] == "sending" and 0 < d["bytes_done"] < d["bytes"] and d["session_bytes"] > 0
         and d["rate"] > 0 and isinstance(d["eta"], int) and d["eta"] >= 0 else 1)'
}
status_is() { [ "$(view "$1" "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = "$3" ]; }
wait_until 30 moving || { release; fail "no bytes, rate and ETA in cdx deliveries: $(view "$v1" 04V)"; }
wait_until 10 status_is "$v2" 04V "waiting for earlier versions" || { release; fail "v2: $(view "$v2" 04V)"; }
wait_until 10 status_is "$v1" 05X offline || { release; fail "05X: $(view "$v1" 05X)"; }
"$CDX" deliveries --home "$T/csu" | grep -A1 "$v1  sus/big v1  *05X" | grep -q offline ||
    { release; fail "cdx deliveries (text) does not say offline"; }

# cdx wait at the publisher, on a pipe: a line per subscriber's state.
set +e; "$CDX" wait --home "$T/csu" "$v1" --timeout 2 2>"$T/wait.err"; rc=$?; set -e
[ "$rc" -eq 5 ] || { release; fail "cdx wait did not time out (exit $rc)"; }
grep -q "04V sending [0-9.]*/48.0 MiB, [0-9.]* MiB/s, ETA [0-9]* s" "$T/wait.err" &&
    grep -q "05X offline" "$T/wait.err" || { release; fail "cdx wait: $(cat "$T/wait.err")"; }

# The log says how it goes, at least every 10 s, until released.
logged() { [ "$(grep -c "sending sus/big v1 ($v1) to 04V: " "$T/csu.log")" -ge 3 ]; }
wait_until 40 logged || { release; fail "fewer than 3 progress lines in 40 s"; }
release
grep "sending sus/big v1 ($v1) to 04V: " "$T/csu.log" | head -3 | python3 -c '
import sys, datetime
t = [datetime.datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%SZ") for l in sys.stdin]
gaps = [(b - a).total_seconds() for a, b in zip(t, t[1:])]
sys.exit(0 if gaps and max(gaps) <= 10 else 1)' || fail "progress lines more than 10 s apart: $(grep "to 04V: " "$T/csu.log")"
grep -q "to 04V: [0-9.]* of 48.0 MiB ([0-9]*%), [0-9.]* MiB/s this attempt" "$T/csu.log" || fail "progress line without numbers"
grep -q "receiving sus/big v1 ($v1) from 0DF: " "$T/ccg.log" || fail "no progress line at the subscriber"
wait_until 30 is_delivered csu "$v2" 04V || fail "v2 not delivered"

# cdx wait --topic: returns when the next version is available, with its id.
"$CDX" wait --home "$T/ccg" --topic sus/big --from 0DF --timeout 30 > "$T/next.id" 2>"$T/next.err" &
waiter=$!
sleep 1
kill -0 "$waiter" 2>/dev/null || fail "cdx wait --topic returned before a new version: $(cat "$T/next.err")"
v3=$("$CDX" publish --home "$T/csu" --topic sus/big --class aggregate --purpose commissioning "$T/small.csv")
wait "$waiter" || fail "cdx wait --topic failed: $(cat "$T/next.err")"
[ "$(cat "$T/next.id")" = "$v3" ] || fail "cdx wait --topic printed $(cat "$T/next.id"), not $v3"
ds_available ccg "$v3" || fail "v3 not available when cdx wait --topic returned"

# A delivery the policy refuses says so, with the rule.
"$CDX" agreement revoke --home "$T/csu" "$ref_ccg" --reason "test" >/dev/null || fail "revoke"
v4=$("$CDX" publish --home "$T/csu" --topic sus/big --class aggregate --purpose commissioning "$T/small.csv")
refused() { view "$v4" 04V | grep -q '"status": "refused: policy\.[a-z-]*"'; }
wait_until 20 refused || fail "no refusal rule shown: $(view "$v4" 04V)"

stop ccg
stop csu
# With no node running, nobody knows who is connected.
"$CDX" peers --json --home "$T/csu" | grep -q '"connected":null' || fail "connected shown while no node runs"
store_ok csu || fail "store integrity"
say ok
