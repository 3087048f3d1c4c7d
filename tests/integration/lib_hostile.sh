# What the tests with a hostile peer share (sourced after lib.sh): the
# peer itself (hostile.py: pyzmq + msgpack + PyNaCl, written from
# protocol/SPEC.md, its messages read from protocol/messages.def), run as
# EVIL against the node called victim.
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
