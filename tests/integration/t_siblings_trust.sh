# An organisation with two nodes (SPEC.md 9.2, 11.5): the authority
# certifies a CSU's nodes 0DF/a and 0DF/b (cdx init --node) and a CCG of
# one node; the directory (format 2) lists all three; every node imports
# it. The CCG's ZAP admits both CSU nodes, named by address in its audit
# log; each CSU node lists the other as its sibling; a subscription of
# the CCG and a publish at 0DF/a deliver as before, from an address-named
# sender. Revoking 0DF/b alone leaves 0DF/a certified and delivering and
# 0DF/b refused (trust.revoked); a card pinned by hand for one's own
# organisation is refused (trust.sibling-pinned), and a pin of an
# organisation the authority certifies is removed, and refused again.
. "$(dirname "$0")/lib.sh"

# make_labelled NAME ORG LABEL ROLE: make_node with a node label.
make_labelled csua 0DF a csu
make_labelled csub 0DF b csu
make_node ccg 04V ccg
head -n 3 "$T/csub.card" | tr '\n' ' ' | grep -q '^cdx-card: 2 org: 0DF node: b $' ||
    fail "a labelled node's card is not format 2: $(head -n 3 "$T/csub.card")"
head -n 2 "$T/ccg.card" | tr '\n' ' ' | grep -q '^cdx-card: 1 org: 04V $' || fail "an unlabelled node's card is not format 1"
"$CDX" status --home "$T/csub" | grep -q '^node  *0DF/b ' || fail "cdx status does not show the node's address"
[ "$("$CDX" status --json --home "$T/csub" | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')" = 0DF/b ] ||
    fail "cdx status --json lacks the address"
must_refuse "a bad node label" "a node label" "$CDX" init --home "$T/bad" --org 0DF --node B --role csu --name X \
    --endpoint tcp://127.0.0.1:1

# A node of 0DF pinned by hand at the CCG before the authority certifies
# 0DF's nodes: the certificates do not stand beside it (it would be
# admitted and sign for 0DF); it is removed when the directory comes.
make_node csux 0DF csu
pin ccg csux

certify_all csua csub ccg
has_rule ccg peer-remove allow trust.pin-superseded || fail "the hand pin of 0DF was not removed by the directory"
[ "$(q ccg "SELECT count(*) FROM peers WHERE org='0DF' AND trust='pinned'")" = 0 ] ||
    fail "a hand pin of 0DF stands beside its certified nodes: $(q ccg "SELECT address, trust FROM peers")"
must_refuse "a hand pin of a certified organisation" "the authority certifies the nodes of 0DF" \
    "$CDX" peer add --home "$T/ccg" "$T/csux.card"
python3 - "$T/dir1" <<'EOF' || fail "the directory does not list the three nodes"
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[0] == "cdx-directory: 2", lines[0]
nodes = set()
for l in lines:
    if l.startswith("cert: "):
        c = dict(x.split(": ", 1) for x in base64.b64decode(l[6:]).decode().splitlines())
        nodes.add(c["org"] + ("/" + c["node"] if "node" in c else ""))
assert nodes == {"0DF/a", "0DF/b", "04V"}, nodes
EOF
# The authority replaces a node's certificate when the same node comes
# again, adds a sibling for a new label, and refuses a key certified for
# another node, naming it.
grep -q 'certify 0DF/b serial' "$T/auth/authority.log" || fail "the authority's log does not name 0DF/b"
$A list --json | python3 -c '
import json, sys
c = {x["address"]: x["state"] for x in json.load(sys.stdin)}
assert c == {"0DF/a": "current", "0DF/b": "current", "04V": "current"}, c' || fail "cdx authority list: $($A list)"
sed 's/^node: b$/node: c/' "$T/csub.card" > "$T/csuc.card"
python3 -c '
import base64, sys, nacl.signing
sk = open(sys.argv[1], "rb").read()[48:80]
text = open(sys.argv[2], "rb").read()
body = text[:text.index(b"signature: ")]
sig = nacl.signing.SigningKey(sk).sign(body).signature
sys.stdout.buffer.write(body + b"signature: " + base64.b64encode(sig) + b"\n")' \
    "$T/csub/keys/sign.key" "$T/csuc.card" > "$T/csuc2.card" || fail "re-sign the card as node c"
must_refuse "a key certified for another node" "trust.wrong-key: .*certified for 0DF/b" \
    $A certify "$T/csuc2.card" --dspt standards-met --dspt-year 2025/26

# Every node knows the others: the CCG both CSU nodes, each CSU node its
# sibling (marked so) and the CCG.
"$CDX" peers --json --home "$T/ccg" | python3 -c '
import json, sys
p = {x["address"]: x for x in json.load(sys.stdin)}
assert set(p) == {"0DF/a", "0DF/b"}, p
assert all(x["org"] == "0DF" and x["trust"] == "certified" and not x["sibling"] for x in p.values()), p
assert p["0DF/b"]["node"] == "b", p' || fail "the CCG does not list both CSU nodes"
for n in a b; do
    o=$([ $n = a ] && echo b || echo a)
    "$CDX" peers --json --home "$T/csu$n" | python3 -c '
import json, sys
p = {x["address"]: x for x in json.load(sys.stdin)}
assert set(p) == {"0DF/" + sys.argv[1], "04V"}, p
assert p["0DF/" + sys.argv[1]]["sibling"] and not p["04V"]["sibling"], p' "$o" || fail "csu$n does not list its sibling"
    "$CDX" peers --home "$T/csu$n" | grep -q "^0DF/$o .*sibling$" || fail "csu$n: cdx peers does not mark the sibling"
done

# A card pinned by hand for one's own organisation: refused, audited.
must_refuse "a sibling pinned by hand" "never pinned by hand" "$CDX" peer add --home "$T/csua" "$T/csub.card"
has_rule csua peer-add refuse trust.sibling-pinned || fail "the sibling pin is not audited"

agree csua ccg "sus/*"
start csua; start csub; start ccg
# Both CSU nodes connect to the CCG, each admitted under its address.
admitted() { [ "$(q ccg "SELECT count(*) FROM audit WHERE action='connect' AND decision='allow'
    AND rule='trust.certified' AND peer='$1'")" -gt 0 ]; }
wait_until 20 admitted 0DF/a || fail "the CCG's audit log does not name 0DF/a admitted"
wait_until 20 admitted 0DF/b || fail "the CCG's audit log does not name 0DF/b admitted"
sib_admitted() { [ "$(q "$1" "SELECT count(*) FROM audit WHERE action='connect' AND decision='allow'
    AND peer='$2' AND detail LIKE 'sibling %'")" -gt 0 ]; }
wait_until 20 sib_admitted csua 0DF/b || fail "0DF/a did not admit its sibling"
wait_until 20 sib_admitted csub 0DF/a || fail "0DF/b did not admit its sibling"
both_up() { [ "$(q ccg "SELECT count(*) FROM peers WHERE org='0DF' AND connected=1")" = 2 ]; }
wait_until 20 both_up || fail "the CCG is not connected to both CSU nodes"

# The existing flow: subscribe, publish at 0DF/a, delivered with a receipt.
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null || fail "subscribe"
wait_until 20 subscription_active ccg 0DF sus/apc || fail "the subscription is not confirmed"
must_refuse "a subscription to one's own organisation" "own organisation" \
    "$CDX" subscribe --home "$T/csua" --from 0DF --topic sus/apc
head -c $((1048576 + 777)) /dev/urandom > "$T/extract.csv"
id=$("$CDX" publish --home "$T/csua" --topic sus/apc --class pseudonymised --purpose commissioning "$T/extract.csv")
[ ${#id} -eq 32 ] || fail "publish printed '$id'"
wait_until 30 is_available ccg "$id" || fail "the CCG did not receive $id from 0DF/a"
wait_until 20 is_delivered csua "$id" 04V || fail "no receipt from 04V at 0DF/a"
"$CDX" export --purpose commissioning --home "$T/ccg" "$id" -o "$T/got" >/dev/null || fail "export"
cmp -s "$T/extract.csv" "$T/got" || fail "the exported copy differs"
[ "$(q ccg "SELECT count(*) FROM audit WHERE action='receive' AND decision='allow' AND actor LIKE 'peer:0DF/a:%'")" -gt 0 ] ||
    fail "the CCG's audit log does not name the sender by its address"
[ "$(q ccg "SELECT count(*) FROM datasets WHERE publisher='0DF'")" = 1 ] || fail "the dataset's publisher is not the org"

# Revoke node b only: a stays certified and delivering; b is refused.
$A revoke --node 0DF/b --reason "machine retired" >/dev/null || fail "revoke --node 0DF/b"
$A directory -o "$T/dir2" 2>/dev/null || fail "directory 2"
grep -q '^revoked: 0DF/b ' "$T/dir2" || fail "the revocation does not name the node's address"
$A list | grep -q '^0DF/b .* revoked ' || fail "cdx authority list does not show 0DF/b revoked: $($A list)"
$A list | grep -q '^0DF/a .* current ' || fail "cdx authority list does not show 0DF/a current"
# Imported at the CCG first; the running nodes pass it on (SPEC.md
# 11.3), so a node may hold it already when its own import comes.
for n in ccg csua csub; do
    "$CDX" directory import --home "$T/$n" "$T/dir2" >/dev/null 2>"$T/import.err" ||
        grep -q "is not newer than the one held" "$T/import.err" || fail "import dir2 at $n: $(cat "$T/import.err")"
done
"$CDX" peers --json --home "$T/ccg" | python3 -c '
import json, sys
p = {x["address"]: x for x in json.load(sys.stdin)}
assert p["0DF/b"]["status"] == "revoked" and p["0DF/a"]["status"] == "ok", p' || fail "revoking 0DF/b barred more than b"
has_rule ccg revoke refuse trust.revoked || fail "the revocation is not audited at the CCG"
[ "$(q ccg "SELECT peer FROM audit WHERE action='revoke' AND rule='trust.revoked'")" = 0DF/b ] ||
    fail "the revocation does not name 0DF/b alone"
# b, restarted, is refused at the CCG's ZAP; a still delivers.
stop csub; start csub
b_refused() { [ "$(q ccg "SELECT count(*) FROM audit WHERE action='connect' AND decision='refuse'
    AND rule='trust.revoked' AND peer='0DF/b'")" -gt 0 ]; }
wait_until 20 b_refused || fail "the CCG did not refuse 0DF/b (trust.revoked)"
head -c 5000 /dev/urandom > "$T/extract2.csv"
id2=$("$CDX" publish --home "$T/csua" --topic sus/apc --class pseudonymised --purpose commissioning "$T/extract2.csv")
wait_until 30 is_available ccg "$id2" || fail "0DF/a no longer delivers after its sibling was revoked"
wait_until 20 is_delivered csua "$id2" 04V || fail "no receipt for the second dataset"
stop csua; stop csub; stop ccg
say "ok"
