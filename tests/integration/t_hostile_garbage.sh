# A hostile peer whose key the node has added (tests/integration/hostile.py:
# pyzmq + msgpack + PyNaCl, written from protocol/SPEC.md) sends garbage to
# its ROUTER: random bytes, empty and non-array frames, every prefix of an
# OFFER, a wrong type and an out-of-bounds value in every field of every
# message, bad versions and ids types, trailing bytes, containers claiming
# more than the frame holds, deep nesting, oversized headers, wrong frame
# counts (a CHUNK without payload, a SUBSCRIBE with one, too many frames).
# Each is answered ERROR(MALFORMED) with the zero dataset, but a malformed
# ERROR, which is dropped unanswered (a node never answers an ERROR with an
# ERROR); the node stays up; its store is unchanged but for audit entries
# of the refusals and the peer's presence.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"

make_node victim 04V ccg
identity evil EVL
"$CDX" subscribe --home "$T/victim" --from EVL --topic evl/t >/dev/null
start victim

db="$T/victim/store.db"
# Every table but the audit log (and its AUTOINCREMENT counter) and what
# the node observes of a peer's presence (connected, last seen: a message
# that decodes shows the peer was there).
dump_store() {
    for t in $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type = 'table'
                              AND name NOT IN ('audit', 'audit_checkpoints', 'sqlite_sequence') ORDER BY name"); do
        cols=$(sqlite3 "$db" "SELECT group_concat('\"' || name || '\"', ', ') FROM pragma_table_info('$t')
                              WHERE name NOT IN ('connected', 'last_seen')")
        echo "-- $t"
        sqlite3 -header -quote "$db" "SELECT $cols FROM \"$t\" ORDER BY 1"
    done
}
decode_refusals() { sqlite3 "$db" "SELECT count(*) FROM audit WHERE decision = 'refuse' AND rule = 'protocol.decode'"; }

dump_store > "$T/before.sql"
a0=$(decode_refusals)
hostile garbage > "$T/garbage.out" || { cat "$T/garbage.out"; fail "garbage not answered as the SPEC says"; }
cat "$T/garbage.out"
sent=$(sed -n 's/^refused=//p' "$T/garbage.out")
running victim || fail "the node died"
dump_store > "$T/after.sql"
diff -u "$T/before.sql" "$T/after.sql" >&2 || fail "garbage changed the store (beyond the audit log)"
a1=$(decode_refusals)
[ "$a1" -gt "$a0" ] || fail "no refusal recorded in the audit log"
# One entry per refusal, or fewer: the node rate-limits them (SPEC 17).
[ $((a1 - a0)) -le "$sent" ] || fail "$((a1 - a0)) audit entries for $sent refusals"
say "$sent malformed messages refused; $((a1 - a0)) audit entries (protocol.decode)"
[ -z "$(ls -A "$T/victim/data" 2>/dev/null)" ] || fail "garbage left files in the data directory"
store_ok victim || fail "store damaged"
say ok
