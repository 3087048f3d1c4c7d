# A peer with valid agreements tries to grow the node's store without bound
# (SPEC 16 and 17), from a real socket (tests/integration/hostile.py):
#  - 2,000 AGREEMENT proposals, each a new reference: at most 32 are taken
#    (awaiting this node's signature), the rest refused with
#    ERROR(INTERNAL, "agreement.limit: ...");
#  - 300 cycles of OFFER, ACCEPT and an out-of-order CHUNK: at most 16
#    transfers stay unfinished, the other OFFERs are refused with
#    ERROR(INTERNAL); once they have had no activity for 15 minutes (the
#    test ages them in the store) the next OFFER finds them abandoned:
#    failed, their files removed, each audited; a dataset abandoned is
#    accepted again when offered again;
#  - 200 cycles of SUBSCRIBE and UNSUBSCRIBE, each an allowed decision.
# The audit log grows by a bounded number of entries, and nothing goes
# unrecorded: entries recorded one by one plus the counts in the summaries
# equal what the peer did. A legitimate peer is served throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"
figure() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$2"; }

make_node victim 04V ccg
"$CDX" init --home "$T/evil" --org EVL --role csu --name "Hostile EVL" \
    --endpoint tcp://127.0.0.1:9 >/dev/null || fail "init evil"
"$CDX" card --home "$T/evil" > "$T/evil.card" || fail "card evil"
pin victim evil; pin evil victim; agree evil victim "*"; agree victim evil "*"
"$CDX" subscribe --home "$T/victim" --from EVL --topic evl/t >/dev/null
make_node good 0DF csu
pin victim good; pin good victim; agree good victim "*"
start victim; start good
"$CDX" subscribe --home "$T/victim" --from 0DF --topic good/t >/dev/null
wait_until 20 sub_active victim 0DF good/t || fail "the legitimate subscription was not confirmed"
db="$T/victim/store.db"
audit_rows() { q victim 'SELECT count(*) FROM audit'; }
a0=$(audit_rows)

hostile agreement-flood --count 2000 --limit 32 > "$T/agree.out" ||
    { cat "$T/agree.out"; fail "AGREEMENT proposals not bounded"; }
cat "$T/agree.out"
pending=$(q victim "SELECT count(*) FROM agreements WHERE provider = 'EVL' AND sig_recipient = zeroblob (64)")
say "agreements from EVL awaiting this node's signature: $pending (after 2,000 proposals)"
[ "$pending" -le 32 ] || fail "$pending proposals from one peer stored"

hostile offer-churn --count 300 --limit 16 --state "$T/first" > "$T/churn.out" ||
    { cat "$T/churn.out"; fail "unfinished transfers not bounded"; }
cat "$T/churn.out"
receiving=$(q victim "SELECT count(*) FROM datasets WHERE publisher = 'EVL' AND state = 'receiving'")
say "datasets from EVL receiving: $receiving (after 300 abandoned transfers)"
[ "$receiving" -le 16 ] || fail "$receiving unfinished transfers from one peer stored"

# TEST SETUP ONLY: ages EVL's unfinished transfers as 16 minutes without
# activity would (the node abandons them after 15).
q victim "UPDATE datasets SET updated = updated - 960 WHERE publisher = 'EVL' AND state = 'receiving'"
hostile offer-churn --count 1 --limit 1 > "$T/again.out" || { cat "$T/again.out"; fail "offer after aging"; }
cat "$T/again.out"
[ "$(figure offers_accepted "$T/again.out")" = 1 ] || fail "an OFFER after the transfers aged is still refused"
failed=$(q victim "SELECT count(*) FROM datasets WHERE publisher = 'EVL' AND state = 'failed'")
abandoned=$(q victim "SELECT count(*) FROM audit WHERE action = 'abandon' AND rule = 'transfer.abandoned'")
[ "$failed" -eq "$receiving" ] || fail "$failed of $receiving aged transfers failed"
[ "$abandoned" -eq "$receiving" ] || fail "$abandoned abandonments audited for $receiving aged transfers"
for id in $(q victim "SELECT id FROM datasets WHERE publisher = 'EVL' AND state = 'failed'"); do
    [ ! -e "$T/victim/data/$id.sealed" ] || fail "abandoned transfer $id left its file"
done
files=$(find "$T/victim/data" -name '*.sealed' | wc -l)
[ "$files" -le 1 ] || fail "$files partial files left in data/"
say "aged transfers abandoned: $abandoned, failed with their files removed; files left in data/: $files"
# An abandoned dataset offered again is fetched again from chunk 0: a
# publisher that comes back still delivers it.
hostile offer-again --state "$T/first" || fail "an abandoned dataset offered again was not delivered"
first=$(cut -d' ' -f1 "$T/first")
ds_available victim "$first" || fail "the abandoned dataset offered again is '$(ds_state victim "$first")'"

hostile subscribe-churn --count 200 --victim-topic vic/t > "$T/sub.out" || { cat "$T/sub.out"; fail "subscribe churn"; }
cat "$T/sub.out"

head -c 300000 /dev/urandom > "$T/good.csv"
id=$("$CDX" publish --home "$T/good" --topic good/t --class pseudonymised --purpose commissioning "$T/good.csv")
wait_until 30 ds_available victim "$id" || fail "the legitimate peer's dataset did not arrive"
running victim || fail "the node died"
a1=$(audit_rows)
say "audit entries written: $((a1 - a0)) (for 2,000 proposals, 301 transfers, 400 subscription changes)"
q victim "SELECT action, decision, rule, count(*) FROM audit WHERE seq > $a0 GROUP BY 1, 2, 3" | sed "s/^/$TEST_NAME:   /"
[ $((a1 - a0)) -lt 400 ] || fail "$((a1 - a0)) audit entries: not bounded"

# Stopping writes the summaries of the minute under way; then every
# decision is accounted for, one by one or counted in a summary.
stop victim
store_ok victim || fail "store damaged"
summed() {   # summed KIND: what the summaries about EVL count of KIND
    q victim "SELECT detail FROM audit WHERE rule = 'audit.rate-limit' AND peer = 'EVL'" |
        python3 -c '
import re, sys
k = sys.argv[1]
print(sum(int(n) for line in sys.stdin for n, kind in re.findall(r"(\d+) ([a-z() ]+?)(?:,|$)", line.split(": ", 1)[-1].strip()) if kind == k))' "$1"
}
one() { q victim "SELECT count(*) FROM audit WHERE peer = 'EVL' AND actor LIKE 'peer:%' AND $1"; }
subs=$(( $(one "action = 'subscribe' AND decision = 'allow'") + $(summed 'subscription(s)') ))
ends=$(( $(one "action = 'unsubscribe' AND decision = 'allow'") + $(summed 'end(s) of subscription') ))
accepts=$(( $(one "action = 'accept' AND decision = 'allow'") + $(summed 'offer(s) accepted') ))
refusals=$(( $(one "rule IN ('agreement.limit', 'transfer.limit')") + $(summed 'refusal(s)') ))
refused=$(( $(figure agreements_refused "$T/agree.out") + $(figure offers_refused "$T/churn.out") ))
taken=$(( $(figure offers_accepted "$T/churn.out") + 1 ))   # and the one after the aging
say "accounted for: $subs subscriptions, $ends ends, $accepts accepted offers, $refusals refusals (of $refused)"
[ "$subs" -eq 200 ] && [ "$ends" -eq 200 ] || fail "subscription changes unaccounted for: $subs and $ends of 200"
[ "$accepts" -eq "$taken" ] || fail "accepted offers unaccounted for: $accepts of $taken"
[ "$refusals" -eq "$refused" ] || fail "refusals unaccounted for: $refusals of $refused"
say ok
