# Retention at the publisher: the sealed copies of what a node published
# are destroyed under the IG officer's rule (once every delivery of a
# version has ended and a newer version exists; or a period after
# publication, undelivered copies expiring), audited as erase, shown by
# cdx datasets; a version still held is delivered to a late subscriber.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
make_node late 05X ccg
for s in ccg late; do pin csu $s; pin $s csu; agree csu $s "sus/*"; done
is_erased() { [ "$(ds_state "$1" "$2")" = erased ]; }

# The rule for published content is the IG officer's, and --delivered is
# for this node's own content only.
people pat
"$CDX" user add --home "$T/csu" "$pat" --role publisher >/dev/null || fail "user add"
start csu
set +e
out=$(as "$pat" retention set --home "$T/csu" --published --topic sus/apc --delivered 2>&1); rc=$?
set -e
[ "$rc" -eq 4 ] && echo "$out" | grep -q ig-officer || fail "a publisher set a retention rule (exit $rc: $out)"
stop csu
set +e
out=$("$CDX" retention set --home "$T/csu" --from 04V --topic sus/apc --delivered 2>&1); rc=$?
set -e
[ "$rc" -eq 2 ] && echo "$out" | grep -q -- "--published" || fail "--delivered for received data (exit $rc: $out)"
"$CDX" retention set --home "$T/csu" --published --topic sus/apc --delivered >/dev/null || fail "retention set --delivered"
"$CDX" retention set --home "$T/csu" --published --topic sus/old 4s >/dev/null || fail "retention set period"
"$CDX" retention list --json --home "$T/csu" | python3 -c '
import json, sys
r = {x["topic"]: x for x in json.load(sys.stdin)}
sys.exit(0 if r["sus/apc"]["published"] and r["sus/apc"]["delivered"] and r["sus/old"]["seconds"] == 4
         and not r["sus/old"]["delivered"] else 1)' || fail "retention list does not show the rules"

"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null
"$CDX" subscribe --home "$T/late" --from 0DF --topic sus/old >/dev/null
start csu; start ccg; start late
wait_until 20 sub_active ccg 0DF sus/apc || fail "subscription not active"
wait_until 20 sub_active late 0DF sus/old || fail "subscription not active"

head -c 300000 /dev/urandom | od -An -tx1 > "$T/apc.csv"
v1=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/apc.csv")
wait_until 20 is_delivered csu "$v1" 04V || fail "v1 not delivered"
# Delivered, but no newer version: kept (a new subscriber gets the latest).
sleep 1
[ -e "$T/csu/data/$v1.sealed" ] || fail "the only version was removed"
v2=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/apc.csv")
wait_until 20 is_delivered csu "$v2" 04V || fail "v2 not delivered"
wait_until 20 is_erased csu "$v1" || fail "v1 kept after v2 was delivered ($(ds_state csu "$v1"))"
[ ! -e "$T/csu/data/$v1.sealed" ] || fail "v1's sealed copy still there"
[ -e "$T/csu/data/$v2.sealed" ] || fail "v2 removed though it is the newest"
[ "$(q csu "SELECT hex (wrapped) = hex (zeroblob (80)) FROM datasets WHERE id = '$v1'")" = 1 ] ||
    fail "v1's content key still held"
has_rule csu erase allow retention.delivered || fail "the erasure of v1 is not audited"
[ "$(q csu "SELECT count(*) FROM audit WHERE action='erase' AND object LIKE '%$v1'")" = 1 ] ||
    fail "no erase entry names v1"
"$CDX" datasets --json --home "$T/csu" | python3 -c '
import json, sys
d = {x["id"]: x for x in json.load(sys.stdin)}
a, b = d[sys.argv[1]], d[sys.argv[2]]
ok = (a["state"] == "erased" and a["origin"] == "published" and a["erased"] and len(a["blake2b"]) == 64
      and b["state"] == "available" and b["retention"] and "newer version" in b["retention"] and b["erased"] is None)
sys.exit(0 if ok else 1)' "$v1" "$v2" || fail "cdx datasets does not show the erasure and the rule"
"$CDX" datasets --home "$T/csu" | grep "$v1" | grep -q erased || fail "cdx datasets (text) does not say erased"

# A late subscriber asking for history gets what is still held: v2, not v1.
"$CDX" subscribe --home "$T/late" --from 0DF --topic sus/apc --history 1 >/dev/null
wait_until 20 is_delivered csu "$v2" 05X || fail "v2 not delivered to the late subscriber"
wait_until 10 ds_available late "$v2" || fail "v2 not available at the late subscriber"
[ "$(ds_state late "$v1")" = none ] && [ -z "$(dl_state csu "$v1" 05X)" ] || fail "an erased version was offered"
# The receipt ended the last delivery of v2, but it is still the newest: kept.
[ -e "$T/csu/data/$v2.sealed" ] || fail "the newest version was removed"

# A period: undelivered copies expire (audited) and the copy goes.
stop late
old=$("$CDX" publish --home "$T/csu" --topic sus/old --class aggregate --purpose commissioning "$T/apc.csv")
wait_until 20 is_erased csu "$old" || fail "sus/old kept past its period"
[ "$(dl_state csu "$old" 05X)" = expired ] || fail "the undelivered copy did not expire ($(dl_state csu "$old" 05X))"
has_rule csu expire refuse retention.expired || fail "the expiry is not audited"
has_rule csu erase allow retention.expired || fail "the erasure by period is not audited"
[ ! -e "$T/csu/data/$old.sealed" ] || fail "sus/old's sealed copy still there"

stop ccg
stop csu
"$CDX" audit verify --home "$T/csu" >/dev/null || fail "audit chain broken"
store_ok csu || fail "store integrity"

# --from this node is not the way to a rule for what it publishes (exit 2),
# and a row of that kind written by an older cdx (where it did nothing)
# is dropped by the upgrade, not turned into a rule that destroys.
rc=0; "$CDX" retention set --home "$T/late" --from 05X --topic sus/x 1d >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "is this node: for the content it publishes, use --published" "$T/err" ||
    fail "retention set --from SELF: exit $rc: $(cat "$T/err")"
sqlite3 "$T/late/store.db" "INSERT INTO retention (publisher, topic, seconds, set_by, updated) VALUES ('05X', 'sus/x', 1, 'old', 0);
    INSERT INTO retention (publisher, topic, seconds, set_by, updated) VALUES ('0DF', 'sus/y', 86400, 'old', 0);
    ALTER TABLE self DROP COLUMN node;
    CREATE TABLE peers_4 (org TEXT PRIMARY KEY NOT NULL CHECK (org <> ''), role TEXT NOT NULL,
      name TEXT NOT NULL, endpoint TEXT NOT NULL, sign_pk BLOB NOT NULL, box_pk BLOB NOT NULL,
      curve_pk BLOB NOT NULL UNIQUE, card TEXT NOT NULL, trust TEXT NOT NULL, added INTEGER NOT NULL,
      dspt TEXT NOT NULL DEFAULT '', dspt_year TEXT NOT NULL DEFAULT '', not_after INTEGER NOT NULL DEFAULT 0,
      revoked INTEGER NOT NULL DEFAULT 0, connected INTEGER NOT NULL DEFAULT 0, last_seen INTEGER NOT NULL DEFAULT 0);
    INSERT INTO peers_4 SELECT org, role, name, endpoint, sign_pk, box_pk, curve_pk, card, trust, added, dspt,
      dspt_year, not_after, revoked, connected, last_seen FROM peers;
    DROP TABLE peers; ALTER TABLE peers_4 RENAME TO peers;
    ALTER TABLE retention DROP COLUMN delivered;
    ALTER TABLE deliveries DROP COLUMN status; ALTER TABLE deliveries DROP COLUMN session_bytes;
    ALTER TABLE deliveries DROP COLUMN session_ms; ALTER TABLE deliveries DROP COLUMN progress_at;
    ALTER TABLE peers DROP COLUMN connected; ALTER TABLE peers DROP COLUMN last_seen;
    ALTER TABLE subscriptions DROP COLUMN resend;
    ALTER TABLE datasets DROP COLUMN origin;
    ALTER TABLE subscriptions DROP COLUMN origin; ALTER TABLE retention DROP COLUMN origin;
    PRAGMA user_version = 2;" || fail "cannot make a schema-2 store"
"$CDX" retention list --home "$T/late" --json > "$T/rules.json" || fail "the schema-2 store does not open"
[ "$(q late "PRAGMA user_version")" -ge 3 ] || fail "the store was not upgraded"
python3 -c '
import json, sys
rules = {(r["publisher"], r["topic"]) for r in json.load(open(sys.argv[1]))}
assert ("05X", "sus/x") not in rules, rules
assert ("0DF", "sus/y") in rules, rules' "$T/rules.json" || fail "the upgrade kept the wrong rules: $(cat "$T/rules.json")"
say ok
