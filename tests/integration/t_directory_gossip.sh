# Directory distribution through the network (SPEC.md 11.3): a directory
# imported at one node reaches its running peers, which verify it with the
# authority's key; a new node that trusts the authority and knows one
# peer by hand gets the directory from it; a revocation it carries takes
# effect at the node that learnt it by gossip.
. "$(dirname "$0")/lib.sh"

A="$CDX authority --home $T/auth"
$A init --name "NHS England (test)" >/dev/null || fail "authority init"
make_node csu 0DF csu
make_node ccg 04V ccg
make_node new 10Q ccg
for n in csu ccg new; do
    $A certify "$T/$n.card" --dspt standards-met --dspt-year 2025/26 -o "$T/$n.cert" || fail "certify $n"
done
$A directory -o "$T/dir1" 2>/dev/null || fail "directory 1"
for n in csu ccg new; do
    "$CDX" trust --home "$T/$n" --authority "$T/auth/authority.pub" >/dev/null || fail "trust $n"
done
for n in csu ccg; do
    "$CDX" directory import --home "$T/$n" "$T/dir1" >/dev/null || fail "import at $n"
done
pin new csu                   # the new node holds no directory yet, only the CSU's card
serial_is() { "$CDX" directory --json --home "$T/$1" | grep -q "\"serial\":$2,"; }

start csu; start ccg; start new
wait_until 20 serial_is new 1 || fail "the new node did not get the directory from its peer"
has_rule new directory allow trust.directory || fail "gossiped directory not recorded"
"$CDX" peers --home "$T/new" | grep -q "04V.*certified" || fail "the new node did not learn the CCG from the directory"

# The authority revokes the CCG; only the CSU is given the new directory.
$A revoke --org 04V >/dev/null || fail "revoke"
$A directory -o "$T/dir2" 2>/dev/null || fail "directory 2"
"$CDX" directory import --home "$T/csu" "$T/dir2" >/dev/null || fail "import dir2 at csu"
wait_until 20 serial_is new 2 || fail "directory 2 did not reach the new node"
wait_until 10 has_rule new revoke refuse trust.revoked || fail "revocation by gossip not applied"
"$CDX" peers --home "$T/new" | grep -q "04V.*REVOKED" || fail "peers does not show the revocation"
say ok
