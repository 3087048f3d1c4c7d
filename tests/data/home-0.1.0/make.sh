#!/bin/sh
# make.sh CDX DIR: remakes the fixture of tests/data/home-0.1.0 (README.md)
# with CDX, a cdx of release 0.1.0 (schema 3), into DIR (new): two nodes on
# loopback, 0DF and 04V, pinned to each other, with an agreement each way;
# each subscribes to the other's topic; 0DF publishes two versions, 04V
# one; both run until every version is delivered, then stop (each stop
# signs an audit checkpoint). DIR/home is 0DF's home (store.db, keys/,
# data/), DIR/files the plaintexts, DIR/expected what the old cdx lists.
set -eu
CDX=$1 OUT=$2
[ ! -e "$OUT" ] || { echo "make.sh: $OUT exists" >&2; exit 2; }
W=$(mktemp -d)
pa= pb=
trap 'kill $pa $pb 2>/dev/null || true; rm -rf "$W"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
me=$(id -un)
"$CDX" init --home "$W/a" --org 0DF --role csu --name "Fixture CSU" --endpoint "tcp://127.0.0.1:$(port)" >/dev/null
"$CDX" init --home "$W/b" --org 04V --role ccg --name "Fixture CCG" --endpoint "tcp://127.0.0.1:$(port)" >/dev/null
for h in a b; do
    "$CDX" user add --home "$W/$h" "$me" --role publisher,analyst,ig-officer >/dev/null
    "$CDX" card --home "$W/$h" > "$W/$h.card"
done
"$CDX" user add --home "$W/a" ana1 --role analyst >/dev/null
"$CDX" user add --home "$W/a" ig1 --role ig-officer,analyst >/dev/null
"$CDX" peer add --home "$W/a" "$W/b.card" >/dev/null
"$CDX" peer add --home "$W/b" "$W/a.card" >/dev/null
# agree PROVIDER-HOME RECIPIENT-HOME RECIPIENT-ORG REF TOPICS
agree() {
    "$CDX" agreement propose --home "$W/$1" --ref "$4" --recipient "$3" --provider-ig "IG lead" \
        --recipient-ig "IG lead" --topics "$5" --class aggregate --purposes commissioning \
        --art6 "6(1)(e) public task" --opt-out not-required --end now+3650d -o "$W/$4.p" >/dev/null
    "$CDX" agreement sign --home "$W/$2" "$W/$4.p" -o "$W/$4.s" >/dev/null
    "$CDX" agreement sign --home "$W/$1" "$W/$4.s" >/dev/null
}
agree a b 04V DSA-0DF-04V-FIX "sus/*"
agree b a 0DF DSA-04V-0DF-FIX "ccg/*"
"$CDX" subscribe --home "$W/b" --from 0DF --topic sus/apc --history 1 >/dev/null
"$CDX" subscribe --home "$W/a" --from 04V --topic ccg/activity --history 1 >/dev/null
"$CDX" run --home "$W/a" 2>"$W/a.log" & pa=$!
"$CDX" run --home "$W/b" 2>"$W/b.log" & pb=$!
mkdir -p "$OUT/files" "$OUT/expected"
seq 1 3000 | sed 's/.*/&,apc,v1/' > "$OUT/files/sus_apc_v1.csv"
seq 1 5000 | sed 's/.*/&,apc,v2/' > "$OUT/files/sus_apc_v2.csv"
seq 1 2000 | sed 's/.*/&,activity,v1/' > "$OUT/files/ccg_activity_v1.csv"
pub() { "$CDX" publish --home "$W/$1" --topic "$2" --class aggregate --purpose commissioning "$3"; }
a1=$(pub a sus/apc "$OUT/files/sus_apc_v1.csv")
a2=$(pub a sus/apc "$OUT/files/sus_apc_v2.csv")
b1=$(pub b ccg/activity "$OUT/files/ccg_activity_v1.csv")
"$CDX" wait --home "$W/a" "$a2" --timeout 60 2>/dev/null
"$CDX" wait --home "$W/a" "$a1" --timeout 60 2>/dev/null
"$CDX" wait --home "$W/a" "$b1" --timeout 60 2>/dev/null
"$CDX" audit verify --home "$W/a" --checkpoint >/dev/null
kill -TERM $pa $pb; wait $pa; wait $pb; pa= pb=
mkdir -p "$OUT/home"
cp -r "$W/a/store.db" "$W/a/keys" "$W/a/data" "$OUT/home/"
for what in datasets peers subscriptions deliveries; do
    "$CDX" "$what" --home "$W/a" --json > "$OUT/expected/$what.json"
done
"$CDX" user list --home "$W/a" --json > "$OUT/expected/users.json"
"$CDX" agreement list --home "$W/a" --json > "$OUT/expected/agreements.json"
"$CDX" audit --home "$W/a" --json > "$OUT/expected/audit.json"
"$CDX" audit verify --home "$W/a" --json > "$OUT/expected/audit-verify.json"
sqlite3 "$OUT/home/store.db" 'PRAGMA user_version' > "$OUT/expected/schema"
echo "made $OUT: $(ls "$OUT/home/data" | wc -l) sealed files, schema $(cat "$OUT/expected/schema")"
