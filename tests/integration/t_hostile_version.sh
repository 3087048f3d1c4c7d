# A hostile peer sends headers of other protocol versions and unknown
# message ids (protocol/SPEC.md sections 5.2 and 15): version 2 (the SPEC's
# example 18.11), 0, 255, 2^64-1, with garbage after it, in a long encoding,
# with a payload frame -> ERROR(VERSION) whose reason ends "supported
# versions: 1"; ids 0, 13 ... 2^64-1 -> ERROR(UNKNOWN). Valid headers in
# non-shortest msgpack encodings are accepted (decoders MUST accept any).
. "$(dirname "$0")/lib.sh"
H="$(dirname "$0")/hostile.py"
# The hostile peer needs a python3 with pyzmq, msgpack and PyNaCl (Debian's).
for PY in /usr/bin/python3 python3 ""; do
    [ -n "$PY" ] || fail "no python3 with zmq, msgpack and nacl (tools/install-deps.sh installs them)"
    "$PY" -c 'import zmq, msgpack, nacl' 2>/dev/null && break
done
# hostile SCENARIO [OPTIONS]: a hostile.py scenario, as EVIL against the victim.
hostile() { s=$1; shift; "$PY" "$H" "$s" --evil "$T/evil" --victim "$T/victim.card" "$@"; }
# identity NAME ORG: a hostile identity the victim adds: keys and card, never run.
identity() {
    "$CDX" init --home "$T/$1" --org "$2" --role csu --name "Hostile $2" \
        --endpoint tcp://127.0.0.1:9 >/dev/null || fail "init $1"
    "$CDX" card --home "$T/$1" > "$T/$1.card" || fail "card $1"
    pin victim "$1"
    pin "$1" victim; agree "$1" victim "*"; agree victim "$1" "*"
}

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
