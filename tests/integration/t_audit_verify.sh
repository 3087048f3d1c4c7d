# The audit log is tamper-evident: editing, deleting, inserting or
# reordering any one row with the sqlite3 shell (triggers dropped, as an
# operator with disk access would) makes `cdx audit verify` exit 4 and name
# the row; rewriting the chain behind a signed checkpoint is caught too.
# Also: appends from several processes at once stay one chain, and the
# review filters and the CSV export.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || fail "the sqlite3 shell is needed"

make_node a 0DF csu
make_node b 04V ccg
pin a b
pin b a

# About twenty entries of different kinds, allowed and refused.
i=0
while [ $i -lt 6 ]; do
    printf 'row,%s\n' "$i" > "$T/data$i.csv"
    "$CDX" publish --home "$T/a" --topic "sus/apc/$((i % 2))" --class aggregate \
        --purpose commissioning "$T/data$i.csv" >/dev/null || fail "publish $i"
    i=$((i + 1))
done
"$CDX" subscribe --home "$T/a" --from 04V --topic ecds >/dev/null || fail subscribe
sed 's/^name: .*/name: Forged Name/' "$T/b.card" > "$T/forged.card"
head -c 100 /dev/urandom > "$T/junk.card"
must_refuse "an altered card" "signature" "$CDX" peer add --home "$T/a" "$T/forged.card"
must_refuse "a junk card" "not a valid cdx card" "$CDX" peer add --home "$T/a" "$T/junk.card"
"$CDX" export --purpose commissioning --home "$T/a" --topic sus/apc/0 -o "$T/out0.csv" >/dev/null || fail export
"$CDX" export --purpose commissioning --home "$T/a" --topic sus/apc/1 -o "$T/out1.csv" >/dev/null || fail export

# The running node appends too, and checkpoints at start and stop; several
# CLI processes append at the same moment.
start a
wait_until 20 audit_has a start allow local.run || fail "node a did not start"
pids=""
for j in 1 2 3 4 5 6; do
    printf 'parallel,%s\n' "$j" > "$T/par$j.csv"
    "$CDX" publish --home "$T/a" --topic sus/par --class aggregate --purpose commissioning \
        "$T/par$j.csv" >/dev/null 2>>"$T/par.err" &
    pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a parallel publish failed: $(cat "$T/par.err")"; done
stop a

count=$("$CDX" audit --json --home "$T/a" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$count" -ge 20 ] || fail "expected at least 20 entries, got $count"
"$CDX" audit --json --home "$T/a" | python3 -c '
import json, sys
seqs = [e["seq"] for e in json.load(sys.stdin)]
sys.exit(0 if seqs == list(range(1, len(seqs) + 1)) else 1)' || fail "seq numbers are not 1..N"

out=$("$CDX" audit verify --home "$T/a") || fail "verify of an untouched log failed: $out"
echo "$out" | grep -q "^ok: $count entries, chain intact, last signed checkpoint at seq $count " ||
    fail "unexpected verify output: $out"
start_seq=$("$CDX" audit --json --action start --home "$T/a" | python3 -c '
import json, sys; print(json.load(sys.stdin)[0]["seq"])')
[ "$(sqlite3 "$T/a/store.db" "SELECT group_concat(seq) FROM audit_checkpoints")" = "$start_seq,$count" ] ||
    fail "expected checkpoints at start ($start_seq) and stop ($count)"

# ---- tampering, each on a fresh copy of the stopped node's home ----------

fresh() { rm -rf "$T/x"; cp -a "$T/a" "$T/x"; }
sql() { sqlite3 "$T/x/store.db" "$1" || fail "sqlite3: $1"; }

# expect_fail WHAT SEQ PROBLEM: verify exits 4 naming SEQ and PROBLEM.
expect_fail() {
    set +e
    got=$("$CDX" audit verify --home "$T/x" 2>&1)
    rc=$?
    json=$("$CDX" audit verify --json --home "$T/x" 2>&1)
    set -e
    [ "$rc" -eq 4 ] || fail "$1: verify exited $rc, not 4: $got"
    echo "$got" | grep -q "^FAILED at seq $2 ($3)" || fail "$1: expected seq $2 ($3), got: $got"
    echo "$json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
sys.exit(0 if not r["ok"] and r["seq"] == int(sys.argv[1]) and r["problem"] == sys.argv[2] else 1)' "$2" "$3" ||
        fail "$1: --json does not say seq $2 ($3): $json"
    say "$1: $got"
}

mid=$((start_seq / 2))

fresh
sql "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'nothing happened' WHERE seq = $mid;"
expect_fail "edited detail" "$mid" hash

fresh
sql "DROP TRIGGER audit_no_update; UPDATE audit SET decision = 'allow' WHERE seq =
     (SELECT min(seq) FROM audit WHERE decision = 'refuse');"
refused=$(sqlite3 "$T/a/store.db" "SELECT min(seq) FROM audit WHERE decision = 'refuse'")
expect_fail "refusal turned into allow" "$refused" hash

fresh
sql "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = $mid;"
expect_fail "deleted middle row" "$mid" gap

fresh
sql "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = $count;"
expect_fail "deleted last (checkpointed) row" "$count" truncated

fresh
sql "DROP TRIGGER audit_no_delete; DROP TRIGGER audit_no_update;
     DELETE FROM audit WHERE seq = $mid;
     UPDATE audit SET seq = seq + 1000 WHERE seq > $mid;
     UPDATE audit SET seq = seq - 1001 WHERE seq > 1000;"
expect_fail "deleted row, later ones renumbered" "$mid" gap

# Two neighbours swapped whole (hashes moved with them), and two rows'
# contents swapped (hashes left in place).
swap() {
    sql "DROP TRIGGER audit_no_update;
         CREATE TABLE t AS SELECT * FROM audit WHERE seq IN ($1, $2);
         UPDATE audit SET (at, actor, action, object, peer, purpose, decision, rule, detail$3) =
           (SELECT at, actor, action, object, peer, purpose, decision, rule, detail$3 FROM t
            WHERE t.seq = $1 + $2 - audit.seq) WHERE seq IN ($1, $2);
         DROP TABLE t;"
}
fresh
swap "$mid" "$((mid + 1))" ", hash"
expect_fail "neighbours swapped" "$mid" reordered
fresh
swap 2 "$((mid + 2))" ""
expect_fail "contents swapped" 2 reordered
fresh
swap 2 "$((mid + 2))" ", hash"
expect_fail "rows swapped" 2 reordered

fresh
sql "DROP TRIGGER audit_no_update;
     UPDATE audit SET seq = seq + 1000 WHERE seq >= $mid;
     UPDATE audit SET seq = seq - 999 WHERE seq > 1000;
     INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule, detail, hash)
       SELECT $mid, at, 'user:mallory', 'export', object, peer, purpose, 'allow', 'local.export',
              'exported nothing', hash FROM audit WHERE seq = $((mid - 1));"
expect_fail "forged row inserted" "$mid" hash

fresh
sql "INSERT INTO audit_checkpoints (seq, hash, sig, at)
       SELECT 2, hash, randomblob (64), at FROM audit WHERE seq = 2;"
expect_fail "forged checkpoint" 2 checkpoint-signature

# Rewriting with every later hash recomputed (the format is public) leaves
# a consistent chain: the signed checkpoint at the start of cdx run is
# what no longer matches.
fresh
sql "DROP TRIGGER audit_no_update;"
python3 - "$T/x/store.db" "$mid" <<'EOF' || fail "rechaining failed"
import hashlib, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
edit = int(sys.argv[2])
db.execute("UPDATE audit SET detail = 'rewritten' WHERE seq = ?", (edit,))
prev = bytes(32)
cols = "seq, at, actor, action, object, peer, purpose, decision, rule, detail"
for row in db.execute("SELECT " + cols + " FROM audit ORDER BY seq").fetchall():
    seq, at, texts = row[0], row[1], row[2:]
    buf = prev + struct.pack(">qq", seq, at)
    for t in texts:
        b = t.encode()
        buf += struct.pack(">I", len(b)) + b
    h = hashlib.blake2b(buf, digest_size=32).digest()
    db.execute("UPDATE audit SET hash = ? WHERE seq = ?", (h, seq))
    prev = h
db.commit()
EOF
expect_fail "rewritten and rechained" "$start_seq" checkpoint-mismatch

# Entries after the last checkpoint are chained but reported as not yet
# covered; a signed checkpoint then covers them.
"$CDX" publish --home "$T/a" --topic sus/late --class aggregate --purpose commissioning \
    "$T/data0.csv" >/dev/null || fail "late publish"
out=$("$CDX" audit verify --home "$T/a") || fail "verify after a late publish: $out"
echo "$out" | grep -q "entries $((count + 1)) to $((count + 1)) are not yet covered by a signed checkpoint" ||
    fail "uncovered entries not reported: $out"
out=$("$CDX" audit verify --checkpoint --home "$T/a") || fail "verify --checkpoint: $out"
echo "$out" | grep -q "last signed checkpoint at seq $((count + 1)) " || fail "no checkpoint signed: $out"
count=$((count + 1))

# ---- review: filters and export ------------------------------------------

"$CDX" audit --decision refuse --json --home "$T/a" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
sys.exit(0 if len(rows) >= 2 and all(r["decision"] == "refuse" for r in rows) else 1)' ||
    fail "--decision refuse shows other entries"
[ "$("$CDX" audit --action publish --json --home "$T/a" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 13 ] ||
    fail "--action publish should show the 13 publishes"
"$CDX" audit --org 04V --json --home "$T/a" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
sys.exit(0 if rows and all(r["peer"] == "04V" or r["actor"].startswith("peer:04V:") for r in rows) else 1)' ||
    fail "--org 04V"
"$CDX" audit --dataset sus/apc/1 --action export --json --home "$T/a" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
sys.exit(0 if len(rows) == 1 and rows[0]["purpose"] == "commissioning" else 1)' ||
    fail "--dataset with --action export should show one export, with its purpose"
user=$(id -un)
[ "$("$CDX" audit --user "$user" --json --home "$T/a" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -ge 15 ] ||
    fail "--user $user"
[ "$("$CDX" audit --until 2000-01-01 --json --home "$T/a")" = "[]" ] || fail "--until 2000-01-01 is not empty"
today=$(date -u +%Y-%m-%d)
[ "$("$CDX" audit --since "$today" --until "$today" --json --home "$T/a" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -ge 1 ] ||
    fail "--since/--until today is empty"
set +e
"$CDX" audit --since yesterday --home "$T/a" >/dev/null 2>&1; [ $? -eq 2 ] || fail "a bad date should exit 2"
"$CDX" audit --decision maybe --home "$T/a" >/dev/null 2>&1; [ $? -eq 2 ] || fail "a bad decision should exit 2"
set -e

"$CDX" audit --csv --home "$T/a" > "$T/audit.csv" || fail "--csv"
"$CDX" audit --json --home "$T/a" > "$T/audit.json"
python3 - "$T/audit.csv" "$T/audit.json" <<'EOF' || fail "the CSV export does not match the log"
import csv, json, sys
with open(sys.argv[1], newline="") as f:
    rows = list(csv.reader(f, strict=True))
want = ["seq", "at", "actor", "action", "object", "peer", "purpose", "decision", "rule", "detail", "hash"]
assert rows[0] == want, rows[0]
entries = json.load(open(sys.argv[2]))
assert len(rows) - 1 == len(entries), (len(rows), len(entries))
for row, e in zip(rows[1:], entries):
    # An empty CSV field is JSON's null (docs/JSON.md: absent values are null).
    assert dict(zip(want, row)) == {k: "" if e[k] is None else str(e[k]) for k in want}, (row, e)
assert any("," in r[9] for r in rows[1:])   # some details needed quoting
EOF
"$CDX" audit --csv --decision refuse --home "$T/a" | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin))
sys.exit(0 if rows and all(r["decision"] == "refuse" for r in rows) else 1)' || fail "--csv --decision refuse"
store_ok a || fail "store integrity"
say ok
