# Helpers for the fault-injection tests (t_killloop, t_hostile_link,
# t_fulldisk, t_catchup and tests/soak/). Source after lib.sh:
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/lib_faults.sh"

# rand_ms LO HI: a random whole number of milliseconds in [LO, HI].
rand_ms() {
    r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    echo $(( $1 + r % ($2 - $1 + 1) ))
}

# ms_to_s MS: "0.123" for sleep(1).
ms_to_s() { printf '%d.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )); }

now_ms() { python3 -c 'import time; print(int(time.monotonic() * 1000))'; }

# make_node_at NAME ORG ROLE ENDPOINT: like make_node, with a given endpoint
# (the one written in the card, which is where peers connect).
make_node_at() {
    "$CDX" init --home "$T/$1" --org "$2" --role "$3" --name "Test $3 $2" \
        --endpoint "$4" >/dev/null || fail "init $1"
    grant "$1"
    "$CDX" card --home "$T/$1" > "$T/$1.card" || fail "card $1"
}

# start_bind NAME ENDPOINT: cdx run listening on ENDPOINT instead of the
# endpoint of its card (a node behind a proxy or NAT).
start_bind() {
    "$CDX" run --home "$T/$1" --bind "$2" 2>>"$T/$1.log" &
    echo $! > "$T/$1.pid"
}

# publish NODE TOPIC FILE: prints the dataset id.
publish() {
    "$CDX" publish --home "$T/$1" --topic "$2" --class pseudonymised --purpose commissioning "$3" ||
        fail "publish $3 at $1"
}

# count_datasets NODE [STATE]: datasets NODE holds (in STATE, if given;
# a publisher's own are "available").
count_datasets() {
    "$CDX" datasets --json --home "$T/$1" | python3 -c '
import json, sys
want = sys.argv[1] if len(sys.argv) > 1 else None
print(sum(1 for d in json.load(sys.stdin) if want is None or d["state"] == want))' ${2:+"$2"}
}

# chunks_held NODE ID: durable chunks of a dataset at NODE (0 if unknown).
chunks_held() {
    "$CDX" datasets --json --home "$T/$1" | python3 -c '
import json, sys
print(next((d["chunks_held"] for d in json.load(sys.stdin) if d["id"] == sys.argv[1]), 0))' "$2"
}

# all_available NODE ID...: every one of the datasets is available at NODE.
all_available() {
    n=$1; shift
    "$CDX" datasets --json --home "$T/$n" | python3 -c '
import json, sys
have = {d["id"]: d["state"] for d in json.load(sys.stdin)}
sys.exit(0 if all(have.get(i) == "available" for i in sys.argv[1:]) else 1)' "$@"
}

# all_delivered NODE SUBSCRIBER ID...: each delivered, with a receipt.
all_delivered() {
    n=$1; s=$2; shift 2
    "$CDX" deliveries --json --home "$T/$n" | python3 -c '
import json, sys
sub, ids = sys.argv[1], sys.argv[2:]
have = {d["dataset"]: d for d in json.load(sys.stdin) if d["subscriber"] == sub}
sys.exit(0 if all(i in have and have[i]["state"] == "delivered" and have[i]["receipt"] for i in ids)
         else 1)' "$s" "$@"
}

# audit_count NODE ACTION DECISION RULE [OBJECT-SUBSTRING]: how many entries.
audit_count() {
    "$CDX" audit --json --home "$T/$1" | python3 -c '
import json, sys
a, d, r = sys.argv[1:4]
o = sys.argv[4] if len(sys.argv) > 4 else ""
print(sum(1 for e in json.load(sys.stdin)
          if e["action"] == a and e["decision"] == d and e["rule"] == r and o in e["object"]))' "$2" "$3" "$4" ${5:+"$5"}
}

# audit_count_peer NODE ACTION DECISION RULE OBJECT-SUBSTRING PEER
audit_count_peer() {
    "$CDX" audit --json --home "$T/$1" | python3 -c '
import json, sys
a, d, r, o, p = sys.argv[1:6]
print(sum(1 for e in json.load(sys.stdin)
          if e["action"] == a and e["decision"] == d and e["rule"] == r and o in e["object"]
          and e["peer"] == p))' "$2" "$3" "$4" "$5" "$6"
}

# exactly_once PUBLISHER SUBSCRIBER ID...: the subscriber holds each dataset
# once and nothing else, its audit records one verified receive of each, and
# the publisher one verified receipt of each from that subscriber. (One
# audit listing per node, read once: python3 can be slow to start.)
exactly_once() {
    pub=$1; subn=$2; shift 2
    n=$(count_datasets "$subn")
    [ "$n" = $# ] || fail "$subn holds $n datasets, expected exactly $#"
    suborg=$(sqlite3 "$T/$subn/store.db" 'SELECT org FROM self;')
    "$CDX" audit --json --home "$T/$subn" > "$T/once.$subn.json" || fail "audit of $subn"
    "$CDX" audit --json --home "$T/$pub" > "$T/once.$pub.json" || fail "audit of $pub"
    why=$(python3 - "$T/once.$subn.json" "$T/once.$pub.json" "$subn" "$pub" "$suborg" "$@" <<'EOF_PY'
import json, sys
sub, pub = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
subn, pubn, org = sys.argv[3:6]
for i in sys.argv[6:]:
    c = sum(1 for e in sub if e["action"] == "receive" and e["decision"] == "allow"
            and e["rule"] == "signature.verified" and i in e["object"])
    if c != 1:
        print("%s audit records %d verified receives of %s, expected 1" % (subn, c, i))
        break
    c = sum(1 for e in pub if e["action"] == "deliver" and e["decision"] == "allow"
            and e["rule"] == "receipt.verified" and i in e["object"] and e["peer"] == org)
    if c != 1:
        print("%s audit records %d verified receipts of %s from %s, expected 1" % (pubn, c, i, org))
        break
EOF_PY
) || fail "exactly_once: python3 failed"
    rm -f "$T/once.$subn.json" "$T/once.$pub.json"
    [ -z "$why" ] || fail "$why"
}

# store_clean NODE: the SQLite store passes integrity and foreign-key
# checks, and the data directory holds exactly one ID.sealed file per
# dataset row, of the size the row implies (content + 16 bytes a chunk);
# no temporary (*.tmp, *.part) or orphaned file is left behind.
store_clean() {
    ic=$(sqlite3 "$T/$1/store.db" 'PRAGMA integrity_check;') || { echo "sqlite3 failed on $1" >&2; return 1; }
    [ "$ic" = ok ] || { echo "$1: integrity_check: $ic" >&2; return 1; }
    fk=$(sqlite3 "$T/$1/store.db" 'PRAGMA foreign_key_check;')
    [ -z "$fk" ] || { echo "$1: foreign_key_check: $fk" >&2; return 1; }
    sqlite3 -separator ' ' "$T/$1/store.db" 'SELECT id, state, bytes, chunks FROM datasets;' |
        python3 -c '
import os, sys
home = sys.argv[1]
rows = {}
for line in sys.stdin:
    i, state, size, chunks = line.split()
    rows[i] = (state, int(size), int(chunks))
bad = []
data = os.path.join(home, "data")
files = sorted(os.listdir(data)) if os.path.isdir(data) else []
for f in files:
    if not f.endswith(".sealed"):
        bad.append("stray file data/%s" % f)
    elif f[:-len(".sealed")] not in rows:
        bad.append("orphaned data/%s (no dataset row)" % f)
for i, (state, size, chunks) in rows.items():
    p = os.path.join(data, i + ".sealed")
    if state in ("published", "available"):
        if not os.path.exists(p):
            bad.append("dataset %s (%s) has no data file" % (i, state))
        elif os.path.getsize(p) != size + 16 * chunks:
            bad.append("data/%s.sealed is %d bytes, expected %d" % (i, os.path.getsize(p), size + 16 * chunks))
for b in bad:
    sys.stderr.write("%s: %s\n" % (os.path.basename(home), b))
sys.exit(1 if bad else 0)' "$T/$1"
}

# no_pending NODE: no delivery left queued or sending at NODE.
no_pending() {
    [ "$(sqlite3 "$T/$1/store.db" "SELECT count(*) FROM deliveries WHERE state IN ('queued','sending');")" = 0 ]
}

# log_count NODE REGEX: matching lines in NODE's log.
log_count() { grep -c -E "$2" "$T/$1.log" 2>/dev/null || true; }

# export_same NODE ID FILE: export ID at NODE and compare with FILE.
export_same() {
    rm -f "$T/export.out"
    "$CDX" export --purpose commissioning --home "$T/$1" "$2" -o "$T/export.out" >/dev/null || fail "export of $2 at $1"
    cmp -s "$3" "$T/export.out" || fail "exported $2 at $1 differs from $3"
    rm -f "$T/export.out"
}

# wait_port PORT SECONDS: until something listens on 127.0.0.1:PORT.
wait_port() {
    python3 - "$1" "$2" <<'EOF'
import socket, sys, time
end = time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# ---- faultproxy.py (a misbehaving link between two nodes) ----------------

FAULTPROXY="$(dirname "$0")/faultproxy.py"

# proxy_start NAME LISTEN-PORT TARGET-PORT [OPTIONS...]: faultproxy in the
# background; its events in $T/NAME.log, its counters in $T/NAME.json, its
# control file $T/NAME.ctl. Stopped (SIGTERM, exit 0) with the nodes.
proxy_start() {
    name=$1; lport=$2; tport=$3; shift 3
    : > "$T/$name.ctl"
    # shellcheck disable=SC2094  # both append: its own lines and a crash
    python3 "$FAULTPROXY" --listen "$lport" --target "127.0.0.1:$tport" --control "$T/$name.ctl" \
        --status "$T/$name.json" --log "$T/$name.log" --ready "$T/$name.ready" "$@" 2>>"$T/$name.log" &
    echo $! > "$T/$name.pid"
    wait_until 20 test -f "$T/$name.ready" || fail "faultproxy $name did not start"
}

# proxy_set NAME KEY=VALUE...: change the link now (see faultproxy.py).
proxy_set() {
    name=$1; shift
    printf '%s\n' "$@" > "$T/$name.ctl.new"
    mv "$T/$name.ctl.new" "$T/$name.ctl"
}

# proxy_stat NAME KEY: one counter from the proxy's status.
proxy_stat() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/$1.json" "$2"
}

# proxy_at_least NAME KEY N
proxy_at_least() { [ "$(proxy_stat "$1" "$2")" -ge "$3" ]; }
