# Who delivers (SPEC.md 11.5): a CSU of two nodes, 0DF/a and 0DF/b, and a
# CCG of one node (04V). A dataset published at 0DF/a is copied to 0DF/b,
# which holds its delivery to 04V but leaves it to 0DF/a while 0DF/a is
# reachable. 0DF/a is killed before it delivers: after the takeover time
# (--takeover 2) 0DF/b, the deputy, delivers it, records the takeover
# (failover, sibling.failover) and holds 04V's receipt; when 0DF/a is
# back it learns of the delivery (DELIVERED) and of the takeover
# (FAILOVER). 04V holds the dataset once.
. "$(dirname "$0")/lib.sh"

make_labelled a 0DF a csu
make_labelled b 0DF b csu
make_node ccg 04V ccg
certify_all a b ccg
agree a ccg "sus/*"
start_t a; start_t b; start ccg
up() { [ "$(q "$1" "SELECT connected FROM peers WHERE address='$2'")" = 1 ]; }
wait_until 20 up a 0DF/b || fail "0DF/a is not connected to 0DF/b"
wait_until 20 up b 0DF/a || fail "0DF/b is not connected to 0DF/a"
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null || fail "subscribe"
wait_until 20 subscription_active ccg 0DF sus/apc || fail "the subscription is not confirmed"
sub_at() { [ "$(q "$1" "SELECT state FROM subscriptions WHERE subscriber='04V' AND topic='sus/apc'")" = active ]; }
wait_until 20 sub_at a || fail "0DF/a does not hold the subscription"
wait_until 20 sub_at b || fail "0DF/b does not hold the subscription"
ref=$(cat "$T/last_ref")
in_force() { [ "$(agreement_state b "$ref")" = in-force ]; }
wait_until 20 in_force || fail "0DF/b does not hold agreement $ref made at 0DF/a: $(agreement_state b "$ref")"

# 1. Both up: 0DF/a delivers, 0DF/b learns of it (DELIVERED).
head -c $((3 * 1048576 + 5)) /dev/urandom > "$T/x1"
id1=$("$CDX" publish --home "$T/a" --topic sus/apc --class pseudonymised --purpose commissioning "$T/x1") ||
    fail "publish 1"
wait_until 30 is_available ccg "$id1" || fail "04V did not receive $id1"
wait_until 20 is_delivered a "$id1" 04V || fail "no receipt at 0DF/a"
wait_until 20 is_delivered b "$id1" 04V || fail "0DF/b was not told of the receipt (DELIVERED)"
has_rule b receipt allow sibling.delivered || fail "0DF/b did not audit the receipt passed on"
[ "$(q b "SELECT count(*) FROM audit WHERE action='offer' AND peer='04V'")" = 0 ] ||
    fail "0DF/b offered what 0DF/a delivers"

# 2. 0DF/a stopped (SIGSTOP: it holds its deliveries, reachable no more)
# right after the publish: 0DF/b takes over after 2 s.
stop ccg
head -c $((3 * 1048576 + 7)) /dev/urandom > "$T/x2"
id2=$("$CDX" publish --home "$T/a" --topic sus/apc --class pseudonymised --purpose commissioning "$T/x2") ||
    fail "publish 2"
[ "$(ds_state b "$id2")" = published ] || fail "0DF/b does not hold the copy when publish returned"
stop a KILL
start ccg
wait_until 40 is_available ccg "$id2" || fail "04V did not receive $id2 from the deputy 0DF/b"
wait_until 20 is_delivered b "$id2" 04V || fail "no receipt at 0DF/b"
has_rule b failover allow sibling.failover || fail "0DF/b did not record the takeover"
q b "SELECT detail FROM audit WHERE action='failover'" | grep -Eq '^[0-9]+ ms: took over [0-9]+ deliveries from 0DF/a$' ||
    fail "the takeover entry: $(q b "SELECT detail FROM audit WHERE action='failover'")"
[ "$(q ccg "SELECT count(*) FROM audit WHERE action='receive' AND decision='allow' AND object LIKE '%$id2' AND actor LIKE 'peer:0DF/b:%'")" = 1 ] ||
    fail "04V did not receive $id2 from 0DF/b once"

# 3. 0DF/a back: told of the delivery and of the takeover.
start_t a
wait_until 30 is_delivered a "$id2" 04V || fail "0DF/a did not learn that $id2 was delivered"
wait_until 20 has_rule a failover allow sibling.failover || fail "0DF/a was not told of the takeover (FAILOVER)"
[ "$(q ccg "SELECT count(*) FROM datasets WHERE id IN ('$id1', '$id2')")" = 2 ] || fail "04V holds duplicates"
"$CDX" export --purpose commissioning --home "$T/ccg" "$id2" -o "$T/got2" >/dev/null || fail "export"
cmp -s "$T/x2" "$T/got2" || fail "the copy received from the deputy differs"
say "ok"
