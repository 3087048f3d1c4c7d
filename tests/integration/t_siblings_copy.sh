# Copies of what is published (SPEC.md 11.5, "Publishing"): a CSU of two
# nodes, 0DF/a and 0DF/b, and a CCG of one node (04V). A publish at 0DF/a
# with 0DF/b running returns once 0DF/b holds a copy: its store has the
# dataset as the organisation's own (published, origin 0DF/a), its bytes
# identical when exported there by an analyst; 0DF/a holds 0DF/b's
# signed receipt, and cdx deliveries marks the copy. With 0DF/b stopped,
# cdx publish --copy-timeout 3 exits 7 naming 0DF/b, and the copy arrives
# once 0DF/b starts. A node without siblings publishes as before, without
# waiting. A copy offered by a node of another organisation (a hostile
# peer holding a manifest validly signed by 0DF/a) is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"

make_labelled a 0DF a csu
make_labelled b 0DF b csu
make_node ccg 04V ccg
certify_all a b ccg
now() { date +%s%N | cut -b1-13; }   # milliseconds

start a; start b
sib_up() { [ "$(q a "SELECT connected FROM peers WHERE address='0DF/b'")" = 1 ] &&
           [ "$(q b "SELECT connected FROM peers WHERE address='0DF/a'")" = 1 ]; }
wait_until 20 sib_up || fail "0DF/a and 0DF/b are not connected to each other"

# 1. b running: publish returns once b holds the copy.
head -c $((2 * 1048576 + 333)) /dev/urandom > "$T/extract.csv"
id=$("$CDX" publish --home "$T/a" --topic sus/apc --class pseudonymised --purpose commissioning \
    "$T/extract.csv" 2>"$T/pub.err") || fail "publish at 0DF/a with 0DF/b up failed: $(cat "$T/pub.err")"
[ ${#id} -eq 32 ] || fail "publish printed '$id'"
[ "$(q b "SELECT state || ' ' || origin || ' ' || publisher FROM datasets WHERE id='$id'")" = "published 0DF/a 0DF" ] ||
    fail "0DF/b does not hold the copy as the organisation's own: $(q b "SELECT state, origin FROM datasets WHERE id='$id'")"
[ "$(dl_state a "$id" 0DF/b)" = delivered ] || fail "0DF/a has no receipt from 0DF/b when publish returned"
[ "$(q a "SELECT length(receipt) > 0 FROM deliveries WHERE dataset='$id' AND subscriber='0DF/b'")" = 1 ] ||
    fail "the copy's receipt is not stored"
"$CDX" export --purpose commissioning --home "$T/b" "$id" -o "$T/got" >/dev/null || fail "export at 0DF/b"
cmp -s "$T/extract.csv" "$T/got" || fail "the copy exported at 0DF/b differs"
has_rule a offer allow sibling.copy || fail "0DF/a did not audit the copy's offer under sibling.copy"
[ "$(q a "SELECT count(*) FROM audit WHERE action='deliver' AND decision='allow' AND peer='0DF/b'")" -gt 0 ] ||
    fail "0DF/a did not audit the copy's receipt naming 0DF/b"
has_rule b accept allow sibling.copy || fail "0DF/b did not audit the copy's acceptance under sibling.copy"
[ "$(q b "SELECT count(*) FROM deliveries")" = 0 ] || fail "0DF/b queued deliveries of a copy"
"$CDX" deliveries --home "$T/a" | grep -q "^$id .* 0DF/b .*delivered.*(copy to a sibling)" ||
    fail "cdx deliveries does not mark the copy: $("$CDX" deliveries --home "$T/a")"
"$CDX" deliveries --json --home "$T/a" | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin) if x["dataset"] == sys.argv[1]]
assert len(d) == 1 and d[0]["copy"] is True and d[0]["subscriber"] == "0DF/b" and d[0]["receipt"], d' "$id" ||
    fail "cdx deliveries --json does not show the copy"
# --json says what was waited for; more copies than siblings is refused.
"$CDX" publish --json --home "$T/a" --topic sus/apc --class pseudonymised --purpose commissioning "$T/extract.csv" |
    python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["copies_wanted"] == 1 and j["copies_held"] == 1 and j["copies_missing"] == [], j' ||
    fail "cdx publish --json does not report the copy held"
must_refuse "more copies than siblings" "more than the 1 sibling" \
    "$CDX" publish --copies 2 --home "$T/a" --topic sus/apc --class pseudonymised --purpose commissioning "$T/extract.csv"

# 2. b stopped: the publish waits 3 s, names 0DF/b, exits 7; b catches up.
stop b
echo "second" > "$T/extract2.csv"
t0=$(now)
rc=0
id2=$("$CDX" publish --copy-timeout 3 --home "$T/a" --topic sus/apc --class pseudonymised --purpose commissioning \
    "$T/extract2.csv" 2>"$T/pub2.err") || rc=$?
took=$(( $(now) - t0 ))
[ "$rc" -eq 7 ] || fail "publish with 0DF/b down exited $rc, not 7: $(cat "$T/pub2.err")"
grep -q "0DF/b lacks it" "$T/pub2.err" || fail "publish does not name 0DF/b: $(cat "$T/pub2.err")"
[ "$took" -ge 3000 ] || fail "publish gave up after $took ms, before its --copy-timeout of 3 s"
[ "$took" -lt 15000 ] || fail "publish took $took ms with --copy-timeout 3"
grep -q "waiting for copies at siblings: 0 of 1 held (not yet: 0DF/b)" "$T/pub2.err" ||
    fail "publish showed no progress while it waited: $(cat "$T/pub2.err")"
[ ${#id2} -eq 32 ] || fail "publish with 0DF/b down printed '$id2'"
[ "$(q a "SELECT state FROM datasets WHERE id='$id2'")" = published ] || fail "the dataset is not published at 0DF/a"
[ "$(dl_state a "$id2" 0DF/b)" = queued ] || fail "the copy for 0DF/b is not queued: $(dl_state a "$id2" 0DF/b)"
start b
copied() { [ "$(q b "SELECT state FROM datasets WHERE id='$id2'")" = published ] && [ "$(dl_state a "$id2" 0DF/b)" = delivered ]; }
wait_until 30 copied || fail "0DF/b did not get the copy once it started"
"$CDX" export --purpose commissioning --home "$T/b" "$id2" -o "$T/got2" >/dev/null || fail "export 2 at 0DF/b"
cmp -s "$T/extract2.csv" "$T/got2" || fail "the second copy differs"

# 3. A node without siblings publishes as before, without waiting.
start ccg
t0=$(now)
out=$("$CDX" publish --json --home "$T/ccg" --topic ccg/activity --class aggregate --purpose commissioning \
    "$T/extract2.csv") || fail "publish at a node without siblings failed"
took=$(( $(now) - t0 ))
echo "$out" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["copies_wanted"] == 0 and j["copies_missing"] == [], j' || fail "a node without siblings waited for copies: $out"
[ "$took" -lt 1000 ] || fail "publish at a node without siblings took $took ms"
[ "$(q ccg "SELECT count(*) FROM deliveries")" = 0 ] || fail "a node without siblings queued a copy"
must_refuse "copies at a node without siblings" "more than the 0 sibling" \
    "$CDX" publish --copies 1 --home "$T/ccg" --topic ccg/activity --class aggregate --purpose commissioning "$T/extract2.csv"

# 4. A copy offered by a node of another organisation: refused.
"$CDX" init --home "$T/evil" --org EVL --role csu --name "Hostile EVL" --endpoint tcp://127.0.0.1:9 >/dev/null ||
    fail "init evil"
"$CDX" card --home "$T/evil" > "$T/evil.card" || fail "card evil"
pin b evil; pin evil b; agree b evil "*"    # so that it is answered as any peer is
"$PY" "$H" copy-from-other --evil "$T/evil" --victim "$T/b.card" --other "$T/a" > "$T/hostile.out" 2>&1 ||
    fail "the copy from another organisation was not refused: $(cat "$T/hostile.out")"
bad=$(sed -n 's/^hostile: dataset //p' "$T/hostile.out")
[ ${#bad} -eq 32 ] || fail "the hostile peer did not say its dataset: $(cat "$T/hostile.out")"
[ "$(q b "SELECT count(*) FROM datasets WHERE id='$bad'")" = 0 ] || fail "0DF/b stored a copy from another organisation"
[ "$(q b "SELECT count(*) FROM audit WHERE action='receive' AND decision='refuse' AND rule='offer.publisher'
    AND peer='EVL'")" -gt 0 ] || fail "0DF/b did not audit the refusal (offer.publisher)"
running b || fail "0DF/b died"

stop a; stop b; stop ccg
store_ok a; store_ok b
say ok
