# A hostile peer floods the node: 20,000 small garbage messages as fast as
# the transport takes them, then 200 CHUNKs with maximum-size payloads
# (PROTO_PAYLOAD_MAX) and no transfer, then frames over ZMQ_MAXMSGSIZE
# (PROTO_PAYLOAD_MAX + 256), which make the transport drop the connection.
# The node stays up, answers a valid SUBSCRIBE after each, its resident
# memory stays under 100 MiB, and its audit log does not grow by one entry
# per garbage message (SPEC 17). The figures are printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"

# Under AddressSanitizer freed blocks sit in a quarantine (256 MiB by
# default) before reuse, which a flood of 1 MiB frames fills; a small
# quarantine keeps the memory bound meaningful there too.
if [ "${CDX_SANITIZED:-0}" = 1 ]; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"; export ASAN_OPTIONS
fi

make_node victim 04V ccg
identity evil EVL
start victim
db="$T/victim/store.db"
audit_rows() { sqlite3 "$db" 'SELECT count(*) FROM audit'; }

wait_until 10 audit_has victim start allow local.run || fail "the node did not start"
a0=$(audit_rows)
hostile flood --pid "$(cat "$T/victim.pid")" --count 20000 --big 200 --rss-limit-mib 100 > "$T/flood.out" ||
    { cat "$T/flood.out"; fail "the node did not stand the flood"; }
cat "$T/flood.out"
a1=$(audit_rows)
say "audit entries written during the flood: $((a1 - a0)) (for 20,000 garbage messages)"
sqlite3 "$db" "SELECT rule, count(*) FROM audit WHERE seq > $a0 GROUP BY rule" | sed "s/^/$TEST_NAME:   /"
# A peer must not be able to grow the audit log without bound: refusals
# are recorded one by one up to a rate, then summarised (SPEC 17).
[ $((a1 - a0)) -lt 1000 ] || fail "$((a1 - a0)) audit entries for 20,000 garbage messages: unbounded"

hostile oversize || fail "oversize frames"
running victim || fail "the node died"
store_ok victim || fail "store damaged"
say "victim RSS at the end: $(sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$(cat "$T/victim.pid")/status")"
say ok
