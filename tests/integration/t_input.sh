# What comes in is checked where it enters, and what goes out to a person
# cannot drive their terminal: a peer's signed audit export carrying escape
# sequences and line breaks does not forge lines in cdx audit reconcile; a
# purpose, org code or topic out of its vocabulary or grammar is refused
# (exit 2) and never reaches the audit log; a path that is legitimately
# free text is shown escaped in cdx audit and exact in --csv and --json;
# numbers and references out of range are refused naming the limit, never
# cut or wrapped; CDX_USER changes nothing: a login refused a role exits 4.
. "$(dirname "$0")/lib.sh"

esc=$(printf '\033')
nl='
'
# Every case is reported; the test fails at the end if any did.
BAD=0
bad() { printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2; BAD=1; }
# run CMD...: its exit code in $rc, stdout in $T/out, stderr in $T/err.
run() { set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e; }
# expect CODE TEXT WHAT: the last run exited CODE and its stderr names TEXT.
expect() {
    [ "$rc" -eq "$1" ] && grep -q -F -- "$2" "$T/err" ||
        bad "$3: exit $rc (expected $1), stderr: $(cat "$T/err")"
}
no_esc() { ! grep -q "$esc" "$1"; }
# audit_count NODE WHERE: entries of NODE's log matching an SQL condition.
audit_count() { q "$1" "SELECT count(*) FROM audit WHERE $2"; }

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg
pin ccg csu
agree csu ccg "sus/*"
printf 'practice,admissions\nA81001,12\n' > "$T/apc.csv"
id=$("$CDX" publish --home "$T/csu" --topic sus/apc --class aggregate --purpose commissioning "$T/apc.csv")

# ---- a peer's signed export with escapes in its strings ----------------------
# 04V's log gains a deliver entry to 0DF whose object clears the screen and
# prints a clean result over the real one; 04V then signs its export as
# usual. (The log is append-only; appending is what a hostile peer's own
# software would do.)
fake=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
forged="sus/apc${esc}[2J${esc}[H${nl}ok: 0 entries of 04V's signed log; all records agree; 0 mismatch(es)${nl} v1 $fake"
python3 - "$T/ccg/store.db" "$forged" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule,
              detail, hash) VALUES ((SELECT max (seq) + 1 FROM audit), strftime ('%s', 'now'),
              'node', 'deliver', ?, '0DF', '', 'allow', 'local.deliver', ?, randomblob (32))""",
           (sys.argv[2], "sent\x1b]0;owned\x07\r\nblake2b " + "ab" * 32))
db.commit()
PY
"$CDX" audit export --home "$T/ccg" -o "$T/ccg.json" >/dev/null || fail "audit export at 04V"
run "$CDX" audit reconcile --home "$T/csu" "$T/ccg.json"
[ "$rc" -eq 6 ] || bad "reconcile of a forged export: exit $rc, expected 6 (mismatch)"
no_esc "$T/out" || bad "reconcile printed an ESC from the peer's export"
grep -q '^ok' "$T/out" && bad "reconcile printed a forged 'ok' line: $(cat "$T/out")"
grep -q '^MISMATCH: ' "$T/out" || bad "reconcile lost its real verdict: $(cat "$T/out")"
grep -q -F 'sus/apc\e[2J\e[H\nok: 0 entries' "$T/out" || bad "the forged object is not shown escaped: $(cat "$T/out")"
[ "$(grep -c . "$T/out")" -eq 2 ] || bad "reconcile: one mismatch and the summary expected: $(cat "$T/out")"
rc=0; "$CDX" audit reconcile --json --home "$T/csu" "$T/ccg.json" > "$T/rec.json" || rc=$?
[ "$rc" -eq 6 ] || bad "reconcile --json of a forged export: exit $rc, expected 6 (mismatch)"
python3 - "$T/rec.json" "$forged" <<'PY' || bad "reconcile --json does not carry the object exactly"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if [m["object"] for m in r["mismatches"]] == [sys.argv[2]] else 1)
PY

# ---- --purpose: the vocabulary, checked before anything is logged ------------
before=$(audit_count csu "action = 'export'")
run "$CDX" export --home "$T/csu" "$id" --purpose "commissioning${esc}[2J" -o "$T/x.csv"
expect 2 "commissioning, invoice-validation, risk-stratification" "--purpose with an ESC"
no_esc "$T/err" || bad "the refusal echoes the ESC to the terminal"
[ "$(audit_count csu "action = 'export'")" = "$before" ] || bad "a purpose out of the vocabulary reached the audit log"
[ "$(audit_count csu "instr (purpose, char (27)) > 0")" = 0 ] || bad "an ESC is in the purpose column"
[ ! -e "$T/x.csv" ] || bad "an export was written for a refused purpose"

# ---- -o PATH is free text: kept exact in the log, escaped on the screen ------
out="$T/out${esc}[2J${nl}forged 9999 line.csv"
"$CDX" export --home "$T/csu" "$id" --purpose commissioning -o "$out" >/dev/null 2>&1 || bad "export to a path with a newline"
run "$CDX" audit --home "$T/csu" --action export
no_esc "$T/out" || bad "cdx audit printed the ESC of a path"
grep -q '^forged' "$T/out" && bad "cdx audit: a path forged a line: $(cat "$T/out")"
grep -q -F 'out\e[2J\nforged 9999 line.csv' "$T/out" || bad "cdx audit: the path is not shown escaped: $(cat "$T/out")"
"$CDX" audit --home "$T/csu" --action export --csv > "$T/audit.csv" || bad "audit --csv"
"$CDX" audit --home "$T/csu" --action export --json > "$T/audit.json" || bad "audit --json"
python3 - "$T/audit.csv" "$T/audit.json" "$out" <<'PY' || bad "--csv / --json do not carry the path exactly"
import csv, json, sys
want = "decrypted to " + sys.argv[3]
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
ok_csv = len(rows) == 1 and rows[0]["detail"].endswith(want) and rows[0]["action"] == "export"
entries = json.load(open(sys.argv[2]))
ok_json = len(entries) == 1 and entries[0]["detail"].endswith(want)
sys.exit(0 if ok_csv and ok_json else 1)
PY

# ---- retention set: org codes and topics by their grammar --------------------
run "$CDX" retention set --home "$T/ccg" --from "0D${esc}F" --topic sus/apc 30d
expect 2 "ODS code" "retention set --from with an ESC"
run "$CDX" retention set --home "$T/ccg" --from 0DF --topic "x${esc}[2J" 30d
expect 2 "A-Za-z0-9._/-" "retention set --topic with an ESC"
run "$CDX" retention set --home "$T/ccg" --from 0DF --topic sus/apc 36501d
expect 2 "36500 days" "retention set beyond 100 years"
[ "$(q ccg "SELECT count(*) FROM retention")" = 0 ] || bad "a refused retention period was stored"
run "$CDX" subscribe --home "$T/ccg" --from 0DF --topic "sus/${esc}[2J"
expect 2 "A-Za-z0-9._/-" "subscribe --topic with an ESC"
[ "$(audit_count ccg "action IN ('retention-set', 'subscribe')")" = 0 ] ||
    bad "a refused org or topic reached 04V's audit log"

# ---- numbers and lengths: refused naming the limit, never changed ------------
ref65=$(printf 'R%.0s' $(seq 65))
propose() {
    run "$CDX" agreement propose --home "$T/csu" --recipient 04V --provider-ig "IG lead" \
        --recipient-ig "IG lead" --topics "sus/*" --class aggregate --purposes commissioning \
        --art6 "6(1)(e) public task" --opt-out not-required --end now+30d "$@"
}
propose --ref "$ref65" -o "$T/r65.bin"
expect 2 "64" "--ref of 65 characters"
[ "$(q csu "SELECT count(*) FROM agreements WHERE ref LIKE 'RRRR%'")" = 0 ] || bad "an agreement was made under a cut --ref"
propose --ref DSA-RET-0 --retention 0
expect 2 "1 to 36500" "--retention 0"
propose --ref DSA-RET-X --retention 30x
expect 2 "1 to 36500" "--retention 30x"
[ "$(q csu "SELECT count(*) FROM agreements WHERE ref LIKE 'DSA-RET-%'")" = 0 ] || bad "an agreement was made with a refused --retention"
run "$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc --history 99999999999999999999999
expect 2 "9223372036854775807" "--history beyond INT64_MAX"
run "$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc --history 2x
expect 2 "--history" "--history 2x"
[ "$(q ccg "SELECT count(*) FROM subscriptions")" = 0 ] || bad "a refused --history made a subscription"
run "$CDX" export --home "$T/csu" --topic sus/apc --version 0 --purpose commissioning -o "$T/v0.csv"
expect 2 "--version" "export --version 0"

# ---- CDX_USER: changes nothing; a role refused is exit 4 -------------------------
me=$(id -un)
"$CDX" user add --home "$T/ccg" carol --role admin >/dev/null || fail "user add carol"
"$CDX" user remove --home "$T/ccg" "$me" --role admin >/dev/null || fail "drop own admin"
run env CDX_USER=carol "$CDX" user add --home "$T/ccg" "$me" --role admin
expect 4 "cdx user add $me --role admin" "CDX_USER naming an admin"

[ "$BAD" -eq 0 ] || fail "see above"
say ok
