# A hostile peer (its key added, the victim subscribed to its topic evl/t)
# sends OFFERs that fail each check of protocol/SPEC.md section 11.2, in
# the SPEC's order: manifests that do not decode (MALFORMED, 29 ways), a
# manifest naming another dataset (MALFORMED), another org as publisher
# (DENIED, before the signature is looked at), bad signatures (SIGNATURE,
# before the subscription is), unsubscribed and ended subscriptions
# (DENIED), a content key not sealed to the victim (DENIED). Each is
# answered with the right code and the OFFER's dataset; nothing is stored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"

make_node victim 04V ccg
identity evil EVL
identity other OTH
"$CDX" subscribe --home "$T/victim" --from EVL --topic evl/t >/dev/null
"$CDX" subscribe --home "$T/victim" --from EVL --topic evl/ended >/dev/null
"$CDX" unsubscribe --home "$T/victim" --from EVL --topic evl/ended >/dev/null
start victim

hostile offer-refusals --other "$T/other" --ended evl/ended || fail "an OFFER was not refused as the SPEC says"
running victim || fail "the node died"
[ "$(sqlite3 "$T/victim/store.db" 'SELECT count(*) FROM datasets')" -eq 0 ] || fail "a refused OFFER was stored"
[ -z "$(ls -A "$T/victim/data" 2>/dev/null)" ] || fail "a refused OFFER left a data file"
audit_has victim receive refuse offer.manifest || fail "no audit entry for a malformed manifest"
audit_has victim receive refuse offer.signature || fail "no audit entry for a bad signature"
store_ok victim || fail "store damaged"
say ok
