# cdx audit for people: a header row; a dataset shown by its id, topic
# and version; columns that stay put whatever an action's length; lines
# fitted to $COLUMNS, and --wide for every cell whole; --agreement REF;
# "no entries" when the filters match nothing; an export's path recorded
# absolute.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
agree csu ccg "sus/*"
ref=$(cat "$T/last_ref")
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc/monthly >/dev/null
wait_until 20 subscription_active ccg 0DF sus/apc/monthly || fail "subscription not confirmed"
head -c 5000 /dev/urandom > "$T/extract.csv"
id=$("$CDX" publish --home "$T/csu" --topic sus/apc/monthly --class pseudonymised --purpose commissioning "$T/extract.csv")
wait_until 30 is_available ccg "$id" || fail "ccg did not receive $id"
wait_until 20 is_delivered csu "$id" 04V || fail "no receipt from 04V"
# An export to a path given relative to where the command runs.
mkdir "$T/work"
(cd "$T/work" && "$CDX" export --home "$T/ccg" "$id" --purpose commissioning -o received.csv >/dev/null) ||
    fail "export"

# check_table FILE COLUMNS: a header row, then rows whose columns start
# where the header's names do, no line wider than COLUMNS (0: any width).
check_table() {
    python3 - "$1" "$2" <<'EOF' || fail "$(basename "$1"): the table is not as it should be (above)"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
cols = int(sys.argv[2])
head = lines[0]
names = ["SEQ", "TIME (UTC)", "DECISION", "ACTION", "ACTOR", "PEER", "OBJECT", "RULE", "DETAIL"]
if not head.split()[:2] == ["SEQ", "TIME"]:
    sys.exit("no header row: " + head)
bad = [l for l in lines if cols and len(l) > cols]
if bad:
    sys.exit("%d line(s) wider than %d, e.g. %r" % (len(bad), cols, bad[0]))
# Each column starts at its header's name in every row: nothing shifts.
starts = [head.find(n) for n in names if n in head]
for l in lines[1:]:
    for s in starts[1:]:
        if s >= len(l):
            continue
        if l[s - 1] != " " or l[s] == " ":
            sys.exit("a column does not start under its name at %d: %r" % (s, l))
EOF
}

COLUMNS=100 "$CDX" audit --home "$T/csu" > "$T/csu-100.txt" || fail "cdx audit"
check_table "$T/csu-100.txt" 100
COLUMNS=72 "$CDX" audit --home "$T/ccg" > "$T/ccg-72.txt" || fail "cdx audit"
check_table "$T/ccg-72.txt" 72
grep -q "agreement-sign" "$T/csu-100.txt" || fail "the long action names are not in the table"
# The dataset column: the id (8 digits when fitted), the topic, the version.
short=$(printf %.8s "$id")
COLUMNS=160 "$CDX" audit --home "$T/csu" --action publish > "$T/publish.txt"
grep -q "$short sus/apc/monthly v1" "$T/publish.txt" || { cat "$T/publish.txt"; fail "no dataset column (id, topic, version)"; }
COLUMNS=60 "$CDX" audit --home "$T/ccg" --wide > "$T/ccg-wide.txt" || fail "cdx audit --wide"
check_table "$T/ccg-wide.txt" 0
grep -q "$id sus/apc/monthly v1" "$T/ccg-wide.txt" || fail "--wide does not show the dataset id in full"
grep -q "decrypted to $T/work/received.csv" "$T/ccg-wide.txt" ||
    { cat "$T/ccg-wide.txt"; fail "--wide does not show every cell whole, or the export path is not absolute"; }
"$CDX" audit --home "$T/ccg" --json --action export | grep -q "decrypted to $T/work/received.csv" ||
    fail "the export's path is not recorded absolute"

# --agreement REF: the agreement's own entries and the decisions under it.
"$CDX" audit --home "$T/csu" --agreement "$ref" --wide > "$T/agreement.txt" || fail "cdx audit --agreement"
check_table "$T/agreement.txt" 0
grep -q " agreement-sign " "$T/agreement.txt" || fail "--agreement lacks the agreement's signature"
grep -q "under agreement $ref" "$T/agreement.txt" || fail "--agreement lacks the delivery under it"
grep -q " init " "$T/agreement.txt" && fail "--agreement lists an entry not about the agreement"
out=$("$CDX" audit --home "$T/csu" --agreement DSA-NONE-1)
[ "$out" = "no entries" ] || fail "an agreement with no entries printed '$out', not 'no entries'"
out=$("$CDX" audit --home "$T/csu" --action no-such-action)
[ "$out" = "no entries" ] || fail "a filter matching nothing printed '$out', not 'no entries'"
rc=0; "$CDX" audit --home "$T/csu" --agreement "not a ref" 2>"$T/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "agreement reference" "$T/err" || fail "a bad --agreement exited $rc: $(cat "$T/err")"
say "ok"
