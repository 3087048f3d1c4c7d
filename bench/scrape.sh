#!/bin/sh
# The cost of a metrics scrape (cdx run --metrics): GET /metrics on a node
# whose store holds 10,000 deliveries made and 30,000 audit entries
# (BENCH_QUICK=1: 1,000 and 3,000), timed by one client process: the
# first scrape (which counts the whole audit log once) and the median and
# p99 of 50 after it (each counts only the entries since the one before,
# and reads the deliveries made for the histogram). The baseline is the
# same scrapes of a node with an empty history, in the same run.
# The history is written straight into the store while the node is
# stopped: datasets and delivered deliveries copied from one real
# publish, and audit entries with a valid hash chain (BLAKE2b-256 over
# store_audit_encode's bytes), so the node's checks at start pass.
# Usage: bench/scrape.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"

if quick; then N=1000; else N=10000; fi
SAMPLES=50

mk_node big 0DF csu
mk_node empty 05D csu
printf 'a,b\n1,2\n' > "$W/small.csv"
"$CDX" publish --home "$W/big" --topic bench/scrape --class aggregate --purpose commissioning "$W/small.csv" \
    >/dev/null || die "publish"

$PY - "$W/big/store.db" "$N" <<'PY' || die "cannot fill the store"
import hashlib, sqlite3, struct, sys, time
db, n = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
now = int(time.time())
cols = [r[1] for r in db.execute("PRAGMA table_info(datasets)")]
sel = ", ".join({"id": "?", "version": "?", "created": "?", "updated": "?"}.get(c, c) for c in cols)
tmpl = db.execute("SELECT id FROM datasets").fetchone()[0]
seq, prev = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
def append(at, actor, action, obj, peer, purpose, decision, rule, detail):
    global seq, prev
    seq += 1
    b = bytes(prev) + struct.pack(">qq", seq, at)
    for f in (actor, action, obj, peer, purpose, decision, rule, detail):
        fb = f.encode()
        b += struct.pack(">I", len(fb)) + fb
    prev = hashlib.blake2b(b, digest_size=32).digest()
    db.execute("INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule, detail, hash)"
               " VALUES (?,?,?,?,?,?,?,?,?,?,?)", (seq, at, actor, action, obj, peer, purpose, decision, rule,
                                                  detail, prev))
with db:
    for i in range(n):
        at = now - 3 * (n - i)
        dsid = "%032x" % (i + 1)
        db.execute("INSERT INTO datasets (%s) SELECT %s FROM datasets WHERE id = ?" % (", ".join(cols), sel),
                   (dsid, i + 2, at, at, tmpl))
        db.execute("INSERT INTO deliveries (dataset, subscriber, state, next_chunk, attempts, error, receipt,"
                   " receipt_sig, started, created, updated) VALUES (?, ?, 'delivered', 1, 1, '', randomblob(300),"
                   " randomblob(64), ?, ?, ?)", (dsid, "04V" if i % 2 else "05X", at, at, at + i % 700))
        obj = "bench/scrape v%d %s" % (i + 2, dsid)
        peer = "04V" if i % 2 else "05X"
        append(at, "user:bench (publisher)", "publish", obj, "", "commissioning", "allow", "role.publisher",
               "published 8 bytes")
        append(at, "node", "offer", obj, peer, "commissioning", "allow", "policy.allowed",
               "offered 8 bytes (aggregate, purpose commissioning) to subscriber %s" % peer)
        append(at + 1, "peer:%s:0000000000000000" % peer, "deliver", obj, peer, "", "allow", "receipt.verified",
               "8 bytes delivered, blake2b %s; receipt signed by %s" % ("0" * 64, peer))
PY
"$CDX" audit verify --home "$W/big" >/dev/null || die "the audit chain written is not valid"

pb=$(free_port); pe=$(free_port)
"$CDX" run --home "$W/big" --metrics "127.0.0.1:$pb" 2>>"$W/big.log" & echo $! > "$W/big.pid"; PIDS="$PIDS $!"
"$CDX" run --home "$W/empty" --metrics "127.0.0.1:$pe" 2>>"$W/empty.log" & echo $! > "$W/empty.pid"; PIDS="$PIDS $!"

# scrape_times URL FILE: the first scrape's ms, then SAMPLES more, one a line, in $W/NAME.ms.
scrape_times() {
    $PY - "$1" "$SAMPLES" "$2" <<'PY' || die "scrape of $1 failed"
import sys, time, urllib.request
url, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for _ in range(200):
    try:
        urllib.request.urlopen(url.replace("/metrics", "/none"), timeout=5)
    except urllib.error.HTTPError:
        break                      # the daemon answers: it is up (404)
    except OSError:
        time.sleep(0.05)
def once():
    t = time.perf_counter()
    body = urllib.request.urlopen(url, timeout=60).read()
    return (time.perf_counter() - t) * 1000, body
first, body = once()
assert b"cdx_up 1" in body
rest = [once()[0] for _ in range(n)]
with open(out, "w") as f:
    f.write("%.3f\n" % first)
    f.writelines("%.3f\n" % v for v in rest)
print(len(body))
PY
}
bytes_big=$(scrape_times "http://127.0.0.1:$pb/metrics" "$W/big.ms")
bytes_empty=$(scrape_times "http://127.0.0.1:$pe/metrics" "$W/empty.ms")
curl -s "http://127.0.0.1:$pb/metrics" > "$W/big.txt" 2>/dev/null ||
    $PY -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
        "http://127.0.0.1:$pb/metrics" > "$W/big.txt"
grep -q "cdx_deliveries_total{peer=\"04V\",outcome=\"delivered\"} $((N / 2))" "$W/big.txt" ||
    die "the scrape does not count the $N deliveries: $(grep deliveries_total "$W/big.txt")"
# cdx status --json of the same nodes, a process each time (it reads every dataset row to find
# those arriving). Exit 7 (something needs attention) is still a status.
for _ in $(seq 1 10); do
    for h in big empty; do
        t0=$(now); rc=0; "$CDX" status --home "$W/$h" --json >/dev/null || rc=$?; t1=$(now)
        [ "$rc" -eq 0 ] || [ "$rc" -eq 7 ] || die "cdx status on $h exited $rc"
        echo "$(f "($t1 - $t0) * 1000" 3)" >> "$W/status-$h.ms"
    done
done
first_big=$(head -n 1 "$W/big.ms"); first_empty=$(head -n 1 "$W/empty.ms")
tail -n +2 "$W/big.ms" > "$W/big.rest"; tail -n +2 "$W/empty.ms" > "$W/empty.rest"
med_big=$(median "$W/big.rest"); med_empty=$(median "$W/empty.rest")
p99_big=$(pctl 99 "$W/big.rest"); p99_empty=$(pctl 99 "$W/empty.rest")

row "Metrics scrape, $N deliveries and $((3 * N)) audit entries (median of $SAMPLES)" "$(f "$med_big" 1) ms" \
    "empty node: $(f "$med_empty" 1) ms" "$(f "$med_big / $med_empty" 2)×" "< 50 ms" "$(passif "$med_big < 50")"
row "Metrics scrape, the first (counts the whole audit log)" "$(f "$first_big" 1) ms" \
    "empty node: $(f "$first_empty" 1) ms" "$(f "$first_big / $first_empty" 1)×" "< 1000 ms" \
    "$(passif "$first_big < 1000")"

st_big=$(median "$W/status-big.ms"); st_empty=$(median "$W/status-empty.ms")
row "cdx status --json, the same node (median of 10)" "$(f "$st_big" 1) ms" "empty node: $(f "$st_empty" 1) ms" \
    "$(f "$st_big / $st_empty" 2)×" "— (info)" "info"

note "### Metrics scrape"
note ""
note "GET /metrics from one Python client (urllib, a new connection each time) against a node whose store"
note "holds $N delivered deliveries and $((3 * N)) audit entries written before it started, and"
note "against a node with an empty history. Later scrapes: median $(f "$med_big" 1) ms, p99 $(f "$p99_big" 1) ms"
note "(empty node: $(f "$med_empty" 1) ms, p99 $(f "$p99_empty" 1) ms); the first scrape, which counts the"
note "whole audit log once, $(f "$first_big" 1) ms. Responses: $bytes_big and $bytes_empty bytes."
note "The loop serves nothing else while a scrape runs (it is served in the loop's thread)."
note ""
