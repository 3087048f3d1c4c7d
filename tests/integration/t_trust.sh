# The trust network with real nodes: an authority certifies a CSU and
# CCGs; only certified (or hand-pinned) nodes are admitted. Refused and
# recorded, each with its rule: an uncertified node, an expired
# certificate, a revoked key (sessions closed, deliveries held), an old
# directory replayed, a forged directory, a card carrying keys other than
# the certified ones.
. "$(dirname "$0")/lib.sh"

A="$CDX authority --home $T/auth"
$A init --name "NHS England (test)" >/dev/null || fail "authority init"
make_node csu 0DF csu
make_node ccg 04V ccg
make_node old 05X ccg          # its certificate ends a few seconds from now
make_node rev 10Q ccg          # will be revoked
make_node rogue 99X ccg        # never certified
utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date +%s)
$A certify "$T/csu.card" --dspt standards-met --dspt-year 2025/26 -o "$T/csu.cert" || fail "certify csu"
$A certify "$T/ccg.card" --dspt standards-exceeded --dspt-year 2025/26 --days 30 -o "$T/ccg.cert" || fail "certify ccg"
$A certify "$T/rev.card" --dspt standards-met --dspt-year 2025/26 -o "$T/rev.cert" || fail "certify rev"
$A certify "$T/old.card" --dspt standards-met --dspt-year 2025/26 \
    --not-before "$(utc $((now - 60)))" --not-after "$(utc $((now + 4)))" -o "$T/old.cert" || fail "certify old"
$A directory -o "$T/dir1" 2>/dev/null || fail "directory 1"
for n in csu ccg old rev rogue; do
    "$CDX" trust --home "$T/$n" --authority "$T/auth/authority.pub" >/dev/null || fail "trust $n"
    "$CDX" directory import --home "$T/$n" "$T/dir1" >/dev/null || fail "import dir1 at $n"
done
"$CDX" peers --home "$T/csu" | grep -q "04V.*certified.*standards-exceeded 2025/26" || fail "peers does not show trust and DSPT"
"$CDX" peers --json --home "$T/csu" | python3 -c '
import json, sys
p = {x["org"]: x for x in json.load(sys.stdin)}
assert p["04V"]["trust"] == "certified" and p["04V"]["dspt"] == "standards-exceeded", p
assert p["04V"]["not_after"] and p["04V"]["revoked"] is None and p["04V"]["status"] == "ok", p
assert "99X" not in p and p["05X"]["not_after"], p' || fail "peers --json lacks certified fields"

# Old directory replayed, forged directory, another authority's directory,
# an expired directory.
must_refuse "a replayed directory" "is not newer than the one held" "$CDX" directory import --home "$T/csu" "$T/dir1"
has_rule csu directory refuse trust.directory-old || fail "replay not recorded"
$A directory -o "$T/dir2" 2>/dev/null || fail "directory 2"
sed 's/^serial: 2$/serial: 9/' "$T/dir2" > "$T/forged"
cmp -s "$T/dir2" "$T/forged" && fail "test did not alter the directory"
must_refuse "a forged directory" "directory serial 9 .*refused: .*signature" "$CDX" directory import --home "$T/csu" "$T/forged"
has_rule csu directory refuse trust.directory-forged || fail "forgery not recorded"
"$CDX" authority --home "$T/evil" init --name "Not the authority" >/dev/null
"$CDX" authority --home "$T/evil" certify "$T/rogue.card" --dspt standards-met --dspt-year 2025/26 >/dev/null
"$CDX" authority --home "$T/evil" directory -o "$T/evil.dir" 2>/dev/null
must_refuse "another authority's directory" "refused: the directory was issued by another authority" "$CDX" directory import --home "$T/csu" "$T/evil.dir"
must_refuse "another authority's certificate" "issued by another authority" "$CDX" peer add --home "$T/csu" "$T/evil/certs/0000000001.cert"
"$CDX" peers --home "$T/csu" | grep -q 99X && fail "the rogue became a peer"
# A directory past its expiry and the grace period is refused for new
# admissions; the peers already certified stay.
$A directory --expires 2020-01-01T00:00:00Z -o "$T/stale" 2>/dev/null || fail "stale directory"
must_refuse "an expired directory" "beyond the grace period" "$CDX" directory import --home "$T/csu" "$T/stale"
has_rule csu directory refuse trust.directory-expired || fail "expired directory not recorded"
"$CDX" peers --home "$T/csu" | grep -q "04V.*certified" || fail "an expired directory removed a peer"

# A card claiming a certified organisation with other keys (an impostor
# of the CCG) is refused, even as a hand pin; so is its certification.
"$CDX" init --home "$T/imp" --org 04V --role ccg --name "Impostor" --endpoint tcp://127.0.0.1:1 >/dev/null && "$CDX" card --home "$T/imp" > "$T/imp.card"
must_refuse "an impostor's card" "other than those the authority certified for 04V" "$CDX" peer add --home "$T/csu" "$T/imp.card"
has_rule csu peer-add refuse trust.wrong-key || fail "wrong key not recorded"
# The authority will not certify a key it certified for another
# organisation: the CCG's keys in a card for 04W, signed with its key (a
# card merely edited is refused for its signature, before that rule).
sed 's/^org: 04V$/org: 04W/' "$T/ccg.card" > "$T/twin.card"
must_refuse "an edited card certified" "signature does not match its signing key" \
    $A certify "$T/twin.card" --dspt standards-met --dspt-year 2025/26
python3 -c '
import base64, sys, nacl.signing
sk = open(sys.argv[1], "rb").read()[48:80]       # key file: 48-byte header, then the seed
text = open(sys.argv[2], "rb").read()
body = text[:text.index(b"signature: ")]
sig = nacl.signing.SigningKey(sk).sign(body).signature
sys.stdout.buffer.write(body + b"signature: " + base64.b64encode(sig) + b"\n")' \
    "$T/ccg/keys/sign.key" "$T/twin.card" > "$T/twin2.card" || fail "re-sign the twin card"
must_refuse "a certified key for another organisation" "trust.wrong-key: .*certified for 04V" \
    $A certify "$T/twin2.card" --dspt standards-met --dspt-year 2025/26

# Wait for the old node's certificate to end; presented again as a file,
# it is refused.
while [ "$(date +%s)" -le $((now + 4)) ]; do sleep 0.2; done
must_refuse "an expired certificate" "certificate for 05X has expired" "$CDX" peer add --home "$T/csu" "$T/old.cert"
has_rule csu peer-add refuse trust.expired || fail "expired certificate not recorded"

# Data sharing agreements with the two CCGs that will receive data.
agree csu ccg "sus/*"
agree csu rev "sus/*"

start csu; start ccg; start rev; start rogue; start old
for n in ccg rev rogue old; do
    "$CDX" subscribe --home "$T/$n" --from 0DF --topic sus/apc >/dev/null || fail "subscribe $n"
done
wait_until 20 sub_active ccg 0DF sus/apc || fail "certified ccg not admitted"
wait_until 20 sub_active rev 0DF sus/apc || fail "certified rev not admitted"
wait_until 20 has_rule csu connect refuse trust.uncertified || fail "uncertified node not refused"
wait_until 20 has_rule csu connect refuse trust.expired || fail "expired certificate not refused by ZAP"
has_rule csu connect allow trust.certified || fail "certified admission not recorded"

head -c 300000 /dev/urandom > "$T/v1.csv"
id1=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/v1.csv")
wait_until 30 ds_available ccg "$id1" || fail "ccg did not receive v1"
wait_until 30 ds_available rev "$id1" || fail "rev did not receive v1"

# Revocation: the CSU imports a directory revoking 10Q while running.
$A revoke --org 10Q --reason "test: key compromised" >/dev/null || fail "revoke"
$A directory -o "$T/dir3" 2>/dev/null || fail "directory 3"
"$CDX" directory import --home "$T/csu" "$T/dir3" >/dev/null || fail "import dir3 at csu"
wait_until 10 has_rule csu disconnect refuse trust.revoked || fail "revoked peer's session not closed"
"$CDX" peers --home "$T/csu" | grep -q "10Q.*REVOKED" || fail "peers does not show the revocation"
id2=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/v1.csv")
wait_until 30 ds_available ccg "$id2" || fail "ccg did not receive v2"
wait_until 10 has_rule csu hold refuse trust.revoked || fail "held delivery not recorded"
[ "$(dl_state csu "$id2" 10Q)" = queued ] || fail "delivery to the revoked peer is not held (queued)"
[ "$(ds_state rev "$id2")" = none ] || fail "revoked peer received v2"
# Its next connection is refused at the door.
stop rev; start rev
wait_until 20 has_rule csu connect refuse trust.revoked || fail "revoked key not refused by ZAP"
sub_active rogue 0DF sus/apc && fail "the rogue's subscription was accepted"
sub_active old 0DF sus/apc && fail "the expired node's subscription was accepted"
running csu || fail "csu died"
store_ok csu || fail "csu store damaged"
say ok
