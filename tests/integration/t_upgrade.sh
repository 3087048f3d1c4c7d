# Upgrade: a home made by release 0.1.0 (schema 3, tests/data/home-0.1.0,
# made by its make.sh) opened with this code: the store is migrated to
# this schema, and everything the old cdx listed is still there: datasets
# (exports byte-identical to the files published), peers, agreements,
# subscriptions, deliveries, users and roles, the audit log (its chain and
# its three signed checkpoints verify). Then a second copy is migrated by
# a command that only reads (cdx audit verify) and a publish works on it.
. "$(dirname "$0")/lib.sh"

F="$(dirname "$0")/../data/home-0.1.0"
[ "$(id -un)" = root ] || skip "the fixture's admin is root (tests/data/home-0.1.0/README.md)"
copy() {
    cp -r "$F/home" "$T/$1"
    find "$T/$1" -type d -exec chmod 700 {} + && find "$T/$1" -type f -exec chmod 600 {} +
}
copy old
[ "$(q old 'PRAGMA user_version')" = "$(cat "$F/expected/schema")" ] || fail "the fixture is not schema 3"

# Every key the old cdx listed has the same value now (new keys may be added).
same() {  # same WHAT EXPECTED.json: the listing now against the old one
    "$CDX" $1 --home "$T/old" --json > "$T/now.json" || fail "cdx $1 on the old home"
    python3 - "$2" "$T/now.json" "$1" <<'PY' || fail "cdx $1 differs after the upgrade"
import json, sys
old, new, what = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
if len(old) != len(new):
    sys.exit("%s: %d rows before, %d after" % (what, len(old), len(new)))
for o, n in zip(old, new):
    for k, v in o.items():
        if n.get(k) != v:
            sys.exit("%s: %s was %r, now %r" % (what, k, v, n.get(k)))
PY
}
same datasets "$F/expected/datasets.json"
[ "$(q old 'PRAGMA user_version')" -gt 3 ] || fail "the store was not migrated"
same peers "$F/expected/peers.json"
same subscriptions "$F/expected/subscriptions.json"
same deliveries "$F/expected/deliveries.json"
same "user list" "$F/expected/users.json"
same "agreement list" "$F/expected/agreements.json"
same audit "$F/expected/audit.json"
"$CDX" audit verify --home "$T/old" --json > "$T/verify.json" || fail "audit verify: $(cat "$T/verify.json")"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["ok"] and r["checkpoints"] == 3 and r["entries"] == 21 else 1)' "$T/verify.json" ||
    fail "audit verify: $(cat "$T/verify.json")"

# Every dataset exports as the file it was made from.
python3 -c '
import json, sys
for d in json.load(open(sys.argv[1])):
    print(d["id"], d["topic"].replace("/", "_") + "_v%d.csv" % d["version"])' "$F/expected/datasets.json" |
while read -r id file; do
    "$CDX" export --home "$T/old" "$id" --purpose commissioning -o "$T/$file" >/dev/null || fail "export $id"
    cmp -s "$F/files/$file" "$T/$file" || fail "$file exports differently after the upgrade"
done
[ "$(ls "$T"/*.csv | wc -l)" -eq 3 ] || fail "not every dataset was exported"

# The migrated store takes new work: a publish, and the log still verifies.
printf 'a,b\n1,2\n' > "$T/new.csv"
"$CDX" publish --home "$T/old" --topic sus/apc --class aggregate --purpose commissioning "$T/new.csv" |
    grep -q . || fail "publish on the migrated store"
"$CDX" datasets --home "$T/old" --json | python3 -c '
import json, sys
sys.exit(0 if [d["version"] for d in json.load(sys.stdin) if d["topic"] == "sus/apc"] == [1, 2, 3] else 1)' ||
    fail "the new version is not version 3"
"$CDX" audit verify --home "$T/old" >/dev/null || fail "audit verify after new work"
store_ok old || fail "store damaged"
say ok
