# A hostile peer sends headers of other protocol versions and unknown
# message ids (protocol/SPEC.md sections 5.2 and 15): version 3 (the SPEC's
# example 18.11), 0, 255, 2^64-1, with garbage after it, in a long encoding,
# with a payload frame -> ERROR(VERSION) whose reason ends "supported
# versions: 1, 2"; ids 0, 14 ... 2^64-1, and RESEND (13) in a version 1
# header -> ERROR(UNKNOWN). Valid headers in
# non-shortest msgpack encodings are accepted (decoders MUST accept any).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"

make_node victim 04V ccg
identity evil EVL
start victim

hostile version || fail "VERSION / UNKNOWN not answered as the SPEC says"
[ "$(sqlite3 "$T/victim/store.db" "SELECT count(*) FROM subscriptions WHERE subscriber = 'EVL'
     AND topic IN ('enc/long-forms', 'enc/b') AND state = 'active'")" -eq 2 ] ||
    fail "the SUBSCRIBEs in long encodings were not recorded"

# Even with extra frames, the VERSION reason lists the supported versions
# (SPEC section 15).
hostile version-extra-frames \
    || fail "ERROR(VERSION) for a 4-frame message does not name the supported versions"

running victim || fail "the node died"
store_ok victim || fail "store damaged"
say ok
