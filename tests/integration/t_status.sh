# cdx status and the metrics endpoint: during a slow transfer (its
# receiver stopped and let run in turn), GET /metrics on the publisher
# shows the transfer in progress (bytes, size, rate) and the queue, and
# passes promtool check metrics; cdx status --json shows the same bytes,
# rate, ETA and queue. cdx status exits 0 for a healthy node and 7, with
# one line on stderr, for a node not running, a certificate ending within
# --days, a directory expiring within 48 hours. The counters, counted
# from the audit log, never go down, a restart included. A bad --metrics
# is a bad command line (exit 2); a port in use fails cdx run with the
# reason. A login holding no role is refused status (exit 4, audited).
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null 2>&1 || skip "promtool (Debian's prometheus package) is not installed"

make_node csu 0DF csu
make_node ccg 04V ccg
certify_all csu ccg
agree csu ccg "sus/*" --end now+20d
ref=$(cat "$T/last_ref")
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/big >/dev/null

# Not running: exit 7 and one line that says so.
rc=0; "$CDX" status --home "$T/csu" >"$T/st.out" 2>"$T/st.err" || rc=$?
[ "$rc" -eq 7 ] || fail "status of a node not running exited $rc, not 7"
[ "$(wc -l < "$T/st.err")" -eq 1 ] && grep -q "^cdx: attention: node not running" "$T/st.err" ||
    fail "status of a node not running: $(cat "$T/st.err")"

# A bad --metrics is a bad command line; nothing is started.
for bad in localhost:9464 127.0.0.1 127.0.0.1:0 127.0.0.1:65536 "[::1:9464" 10.0.0.300:80; do
    rc=0; "$CDX" run --home "$T/csu" --metrics "$bad" 2>"$T/bad.err" || rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "--metrics" "$T/bad.err" || fail "--metrics $bad: exit $rc: $(cat "$T/bad.err")"
done

# Two real logins for the role checks at the end: alice (analyst), carol
# (no role); both may connect to the CSU node's control socket.
people alice carol
chgrp "$PEOPLE_GROUP" "$T/csu" && chmod 710 "$T/csu" || fail "open csu to $PEOPLE_GROUP"
port=$(free_port)
M="http://127.0.0.1:$port/metrics"
"$CDX" run --home "$T/csu" --socket-group "$PEOPLE_GROUP" --metrics "127.0.0.1:$port" 2>>"$T/csu.log" &
echo $! > "$T/csu.pid"
start ccg
wait_until 20 sub_active ccg 0DF sus/big || fail "subscription not active"

scrape() { python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$M"; }
# metric NAME [LABELS]: the value of the sample NAME{...LABELS...} of the last scrape ($T/m.txt), or "none".
metric() {
    python3 - "$T/m.txt" "$1" "${2:-}" <<'EOF'
import re, sys
text, name, want = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
for line in text.splitlines():
    m = re.match(r'^([a-z_]+)(\{(.*)\})? (\S+)$', line)
    if m and m.group(1) == name and all(w in (m.group(3) or "") for w in want.split(",") if w):
        print(m.group(4)); break
else:
    print("none")
EOF
}
promtool_ok() {
    [ -s "$1" ] || fail "empty scrape"
    promtool check metrics < "$1" > "$T/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$T/promtool.out")"
    [ ! -s "$T/promtool.out" ] || fail "promtool check metrics says: $(cat "$T/promtool.out")"
}
wait_until 10 scrape >/dev/null || fail "no metrics on $M"
scrape > "$T/m0.txt"
promtool_ok "$T/m0.txt"
cp "$T/m0.txt" "$T/m.txt"
[ "$(metric cdx_up)" = 1 ] || fail "cdx_up is $(metric cdx_up)"
[ "$(metric cdx_build_info 'org="0DF"')" = 1 ] || fail "no cdx_build_info"
python3 -c 'import sys; sys.exit(0 if 300*86400 < float(sys.argv[1]) <= 366*86400 else 1)' \
    "$(metric cdx_certificate_expiry_seconds)" || fail "certificate expiry: $(metric cdx_certificate_expiry_seconds)"
[ "$(metric cdx_directory_serial)" = 1 ] || fail "directory serial: $(metric cdx_directory_serial)"
python3 -c 'import sys; sys.exit(0 if 19*86400 < float(sys.argv[1]) <= 20*86400 else 1)' \
    "$(metric cdx_agreement_expiry_seconds "ref=\"$ref\",peer=\"04V\"")" || fail "agreement expiry missing"
[ "$(metric cdx_peer_connected 'peer="04V"')" = 1 ] || fail "04V not shown connected"
[ "$(metric cdx_disk_free_bytes)" != none ] || fail "no disk free"
[ "$(metric cdx_audit_checkpoint_age_seconds)" != none ] || fail "no checkpoint age"
curl_code() { python3 -c '
import sys, urllib.request, urllib.error
try: urllib.request.urlopen(urllib.request.Request(sys.argv[1], method=sys.argv[2]), timeout=10); print(200)
except urllib.error.HTTPError as e: print(e.code)' "$@"; }
[ "$(curl_code "http://127.0.0.1:$port/other" GET)" = 404 ] || fail "GET /other is not 404"
[ "$(curl_code "$M" POST)" = 405 ] || fail "POST /metrics is not 405"

# Healthy: exit 0, nothing on stderr.
"$CDX" status --home "$T/csu" >"$T/st.out" 2>"$T/st.err" || fail "healthy status exited $?: $(cat "$T/st.err")"
[ ! -s "$T/st.err" ] || fail "healthy status wrote on stderr: $(cat "$T/st.err")"
grep -q "^running      since " "$T/st.out" || fail "status does not say since when it runs: $(cat "$T/st.out")"

# A port in use fails cdx run, saying why; the node running is unharmed.
make_node other 05X ccg
rc=0; timeout 20 "$CDX" run --home "$T/other" --metrics "127.0.0.1:$port" 2>"$T/busy.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot serve metrics on 127.0.0.1:$port: Address already in use" "$T/busy.err" ||
    fail "a metrics port in use: exit $rc: $(cat "$T/busy.err")"

# The receiver runs about 20 ms in every 2.5 s: a transfer of 48 MiB takes a
# while (10 s or more: each time it runs it drains what its socket buffers
# hold), and it still answers within the sender's 15 s on a loaded machine
# (else the attempt restarts, and its rate is 0 until its first chunk).
head -c $((48 << 20)) /dev/urandom > "$T/big.bin"
ccg_pid=$(cat "$T/ccg.pid")
( while kill -STOP "$ccg_pid" 2>/dev/null; do sleep 2.5; kill -CONT "$ccg_pid" 2>/dev/null; sleep 0.02; done ) &
throttle=$!
release() { kill "$throttle" 2>/dev/null || true; wait "$throttle" 2>/dev/null || true; kill -CONT "$ccg_pid" 2>/dev/null || true; }
v1=$("$CDX" publish --home "$T/csu" --topic sus/big --class aggregate --purpose commissioning "$T/big.bin")
printf 'a,b\n1,2\n' > "$T/small.csv"
v2=$("$CDX" publish --home "$T/csu" --topic sus/big --class aggregate --purpose commissioning "$T/small.csv")

# /metrics during the transfer: its bytes, size and rate, and the queue behind it.
in_progress() {
    scrape > "$T/m.txt" || return 1
    python3 - "$T/m.txt" "$v1" <<'EOF'
import re, sys
text, v1 = open(sys.argv[1]).read(), sys.argv[2]
def get(name, *want):
    for line in text.splitlines():
        m = re.match(r'^([a-z_]+)(\{(.*)\})? (\S+)$', line)
        if m and m.group(1) == name and all(w in (m.group(3) or "") for w in want):
            return float(m.group(4))
    return None
lab = ('direction="send"', 'peer="04V"', 'dataset="%s"' % v1, 'topic="sus/big"')
done, size, rate = get("cdx_transfer_done_bytes", *lab), get("cdx_transfer_size_bytes", *lab), \
    get("cdx_transfer_rate_bytes_per_second", *lab)
eta = get("cdx_transfer_eta_seconds", *lab)
ok = (get("cdx_transfers_in_progress", 'direction="send"') == 1 and size == 48 << 20
      and done is not None and 0 < done < size and rate is not None and rate > 0
      and eta is not None and abs(eta - (size - done) / rate) <= 0.01 * eta + 1e-6
      and get("cdx_queue_deliveries", 'peer="04V"', 'state="sending"') == 1
      and get("cdx_queue_deliveries", 'peer="04V"', 'state="queued"') == 1
      and get("cdx_queue_oldest_age_seconds", 'peer="04V"') is not None
      and get("cdx_deliveries_total", 'peer="04V"', 'outcome="offered"') >= 1)
sys.exit(0 if ok else 1)
EOF
}
wait_until 60 in_progress || { release; fail "no transfer in progress in /metrics: $(grep -E 'transfer|queue' "$T/m.txt")"; }
promtool_ok "$T/m.txt"
cp "$T/m.txt" "$T/m-during.txt"

# cdx status --json during the same transfer: bytes, rate, ETA and the queue.
status_moving() {
    "$CDX" status --home "$T/csu" --json > "$T/st.json" 2>"$T/st.err" || return 1
    python3 - "$T/st.json" "$v1" "$ref" <<'EOF'
import json, sys
s, v1, ref = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
t = [x for x in s["transfers"] if x["dataset"] == v1 and x["direction"] == "send"]
p = {x["org"]: x for x in s["peers"]}
ok = (len(t) == 1 and t[0]["peer"] == "04V" and t[0]["bytes"] == 48 << 20 and 0 < t[0]["bytes_done"] < t[0]["bytes"]
      and isinstance(t[0]["rate"], int) and t[0]["rate"] > 0 and isinstance(t[0]["eta"], int) and t[0]["eta"] >= 0
      and p["04V"]["sending"] == 1 and p["04V"]["queued"] == 1 and p["04V"]["connected"] is True
      and p["04V"]["dspt"] == "standards-met" and p["04V"]["last_seen"]
      and s["queued"] == 1 and s["sending"] == 1 and isinstance(s["oldest_undelivered_age"], int)
      and s["running"] is True and s["since"] and s["certificate_expires"] and s["directory_serial"] == 1
      and [a["ref"] for a in s["agreements_ending"]] == [ref] and s["ok"] is True and s["attention"] == []
      and s["disk_free"] > 0 and s["version"])
sys.exit(0 if ok else 1)
EOF
}
wait_until 20 status_moving || { release; fail "cdx status --json during the transfer: $(cat "$T/st.json" "$T/st.err")"; }
"$CDX" status --home "$T/csu" > "$T/st.out" || { release; fail "status during the transfer exited $?"; }
grep -q "send    to    sus/big v1 ($v1)  [0-9.]*/48.0 MiB, [0-9.]* MiB/s, ETA [0-9]* s" "$T/st.out" ||
    { release; fail "status (text) shows no transfer: $(cat "$T/st.out")"; }

# A certificate ending within --days: exit 7, one line naming it.
rc=0; "$CDX" status --home "$T/csu" --days 400 >/dev/null 2>"$T/st.err" || rc=$?
[ "$rc" -eq 7 ] && [ "$(wc -l < "$T/st.err")" -eq 1 ] &&
    grep -q "^cdx: attention: this node's certificate expires in [0-9]* d: have the authority certify" "$T/st.err" ||
    { release; fail "certificate within --days 400: exit $rc: $(cat "$T/st.err")"; }
release
wait_until 60 is_delivered csu "$v1" 04V || fail "v1 not delivered"
wait_until 30 is_delivered csu "$v2" 04V || fail "v2 not delivered"

# After: the deliveries counted, with their bytes and durations; counters do not go down.
scrape > "$T/m.txt"
promtool_ok "$T/m.txt"
cp "$T/m.txt" "$T/m-after.txt"
[ "$(metric cdx_deliveries_total 'peer="04V",outcome="delivered"')" = 2 ] ||
    fail "delivered: $(metric cdx_deliveries_total 'peer="04V",outcome="delivered"')"
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) == (48 << 20) + 8 else 1)' \
    "$(metric cdx_delivered_bytes_total 'peer="04V"')" || fail "bytes delivered: $(metric cdx_delivered_bytes_total)"
[ "$(metric cdx_transfer_duration_seconds_count 'peer="04V"')" = 2 ] || fail "durations: $(grep duration "$T/m.txt")"
[ "$(metric cdx_transfer_duration_seconds_bucket 'peer="04V",le="+Inf"')" = 2 ] || fail "no +Inf bucket"
[ "$(metric cdx_transfers_in_progress 'direction="send"')" = 0 ] || fail "a transfer still in progress"
# Every counter of every scrape is at least what the scrape before said.
monotonic() {
    python3 - "$@" <<'EOF'
import re, sys
def counters(path):
    out, types = {}, {}
    for line in open(path):
        m = re.match(r'^# TYPE (\S+) (\S+)', line)
        if m: types[m.group(1)] = m.group(2); continue
        m = re.match(r'^([a-z_]+)(\{.*\})? (\S+)$', line)
        if m:
            base = re.sub(r'_(bucket|sum|count)$', '', m.group(1))
            if types.get(m.group(1)) == "counter" or types.get(base) == "histogram":
                out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out
prev, bad = None, []
for path in sys.argv[1:]:
    c = counters(path)
    if prev:
        bad += ["%s: %s -> %s" % (k, v, c.get(k)) for k, v in prev.items() if c.get(k) is None or c[k] < v]
    prev = c
print("\n".join(bad)); sys.exit(1 if bad else 0)
EOF
}
monotonic "$T/m0.txt" "$T/m-during.txt" "$T/m-after.txt" || fail "a counter went down (above)"

# A restart counts the same log again: nothing goes down.
stop csu
rc=0; "$CDX" status --home "$T/csu" 2>"$T/st.err" >/dev/null || rc=$?
[ "$rc" -eq 7 ] && grep -q "^cdx: attention: node not running (stopped [0-9]* min ago)" "$T/st.err" ||
    fail "stopped: exit $rc: $(cat "$T/st.err")"
"$CDX" run --home "$T/csu" --socket-group "$PEOPLE_GROUP" --metrics "127.0.0.1:$port" 2>>"$T/csu.log" &
echo $! > "$T/csu.pid"
wait_until 10 scrape >/dev/null || fail "no metrics after a restart"
scrape > "$T/m-restart.txt"
promtool_ok "$T/m-restart.txt"
monotonic "$T/m-after.txt" "$T/m-restart.txt" || fail "a counter went down at the restart (above)"

# A directory expiring within 48 hours: exit 7, naming it.
$A directory --days 1 -o "$T/dir2" 2>/dev/null || fail "directory 2"
"$CDX" directory import --home "$T/csu" "$T/dir2" >/dev/null || fail "import dir2"
rc=0; "$CDX" status --home "$T/csu" --json >"$T/st.json" 2>"$T/st.err" || rc=$?
[ "$rc" -eq 7 ] && grep -q "^cdx: attention: the directory expires in [0-9]* h: import a newer one" "$T/st.err" ||
    fail "directory within 48 h: exit $rc: $(cat "$T/st.err")"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["ok"] is False and [a["kind"] for a in s["attention"]] == ["directory"] and s["directory_serial"] == 2 else 1)' \
    "$T/st.json" || fail "status --json: $(cat "$T/st.json")"

# Any role may read status; a login holding none is refused, audited.
"$CDX" user add --home "$T/csu" "$alice" --role analyst >/dev/null || fail "user add $alice"
rc=0; as "$alice" status --home "$T/csu" >/dev/null 2>"$T/st.err" || rc=$?
[ "$rc" -eq 7 ] || fail "status as an analyst: exit $rc: $(cat "$T/st.err")"
rc=0; as "$carol" status --home "$T/csu" >"$T/st.out" 2>"$T/st.err" || rc=$?
[ "$rc" -eq 4 ] && [ ! -s "$T/st.out" ] && grep -q "cdx user add $carol" "$T/st.err" ||
    fail "status as a login with no role: exit $rc: $(cat "$T/st.err")"
[ "$(q csu "SELECT count(*) FROM audit WHERE action='status-read' AND decision='refuse' AND rule='role.missing'
    AND actor LIKE 'user:$carol %'")" -eq 1 ] || fail "the refusal of status is not audited"

stop ccg
stop csu
store_ok csu || fail "store integrity"
say ok
