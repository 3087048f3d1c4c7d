# A hostile peer sends valid messages at the wrong time (protocol/SPEC.md
# sections 3, 11.2, 12.2): SUBSCRIBED, ACCEPT, CREDIT, RECEIPT to the
# ROUTER -> ERROR(STATE); CHUNK with no transfer -> STATE or
# UNKNOWN_DATASET; a CHUNK index ahead of the next -> STATE, transfer
# dropped; a duplicate -> CREDIT(1); another peer's CHUNK for EVIL's
# transfer -> STATE, the transfer untouched. An ERROR sent to the ROUTER
# must not be answered with an ERROR.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"

make_node victim 04V ccg
identity evil EVL
identity other OTH
"$CDX" subscribe --home "$T/victim" --from EVL --topic evl/t >/dev/null
start victim

hostile wrong-state --other "$T/other" || fail "a message in the wrong state was not answered as the SPEC says"

# SPEC section 3: "A node MUST NOT answer an ERROR with an ERROR", not
# even a malformed one (section 5.2): that is dropped, and recorded.
decode_errors() {
    q victim "SELECT count(*) FROM audit WHERE decision = 'refuse' AND rule = 'protocol.decode'
              AND detail LIKE 'MALFORMED message: %ERROR%'"
}
e0=$(decode_errors)
hostile error-to-router \
    || fail "an ERROR sent to the ROUTER is answered"
[ "$(decode_errors)" -gt "$e0" ] || fail "a malformed ERROR was dropped without a record"

running victim || fail "the node died"
store_ok victim || fail "store damaged"
say ok
