# An organisation survives the loss of a node (issue "resilience", SPEC.md
# 11.5), on loopback with real processes: a CSU of two nodes (0DF/a,
# 0DF/b), three CCGs of one node (04V, 05D, 06H) and a CCG of two nodes
# (07K/a, 07K/b).
#
# 1. Twenty runs: a dataset (64 MiB; 8 MiB under the sanitizers, whose
#    build is several times slower) published at 0DF/a, which is killed
#    with SIGKILL after the publish returned: in odd runs at once, with
#    three CCG nodes down until then (before their deliveries); in even
#    runs at a random moment 0 to 1.5 s on, with 06H (which runs at 25%
#    of a core) receiving (during its delivery). Every CCG node ends
#    with the dataset available exactly once, its bytes identical, and
#    0DF/b, the survivor, holds a signed receipt for each of the four
#    organisations. 0DF/a is started again for the next run. 07K/b is
#    down throughout: 07K/a receives for the organisation.
# 2. 07K/b starts and catches up: all twenty, copied by 07K/a.
# 3. A subscriber node killed mid-transfer: 07K/a is killed with SIGKILL
#    while it receives; 0DF/a carries on with 07K/b, which receives, and
#    07K/a, started again, gets it from 07K/b (resuming what it held).
. "$(dirname "$0")/lib.sh"

MIB=64
[ "${CDX_SANITIZED:-0}" = 1 ] && MIB=8
RUNS=${CDX_FAILOVER_RUNS:-20}

make_labelled csua 0DF a csu
make_labelled csub 0DF b csu
make_node c1 04V ccg
make_node c2 05D ccg
make_node c3 06H ccg
make_labelled c4a 07K a ccg
make_labelled c4b 07K b ccg
certify_all csua csub c1 c2 c3 c4a c4b
for c in c1 c2 c3 c4a; do agree csua "$c" "sus/*"; done
CCGS="c1 c2 c3 c4a"
ORGS="04V 05D 06H 07K"

# 06H runs at 25% of a core: its delivery is under way when 0DF/a dies.
listening_more() { [ "$(grep -c 'listening on' "$T/$1.log" 2>/dev/null)" -gt "$2" ]; }
start_slow() {   # NAME PERCENT
    seen=$(grep -c 'listening on' "$T/$1.log" 2>/dev/null) || seen=0
    slowly "$2" "$CDX" run --takeover 2 --home "$T/$1" 2>>"$T/$1.log" &
    echo $! > "$T/$1.pid"
    wait_until 30 listening_more "$1" "$seen" || fail "$1 did not start"
}
for n in csua csub c4a c1 c2; do start_t $n; done
start_slow c3 25
up() { [ "$(q "$1" "SELECT connected FROM peers WHERE address='$2'")" = 1 ]; }
wait_until 20 up csua 0DF/b || fail "0DF/a is not connected to 0DF/b"
wait_until 20 up csub 0DF/a || fail "0DF/b is not connected to 0DF/a"
for c in $CCGS; do
    "$CDX" subscribe --home "$T/$c" --from 0DF --topic sus/monthly >/dev/null || fail "subscribe at $c"
done
for c in $CCGS; do wait_until 30 subscription_active "$c" 0DF sus/monthly || fail "$c: not subscribed"; done
subs() { [ "$(q "$1" "SELECT count(*) FROM subscriptions WHERE publisher='0DF' AND state='active'")" = 4 ]; }
wait_until 30 subs csua || fail "0DF/a does not hold the four subscriptions"
wait_until 30 subs csub || fail "0DF/b does not hold the four subscriptions"
forces() { [ "$(q csub "SELECT count(*) FROM agreements WHERE revoked = 0")" = 4 ]; }
wait_until 30 forces || fail "0DF/b does not hold the four agreements"

# all_have ID FILE NODES...: each node holds ID available once, identical.
all_have() {
    a_id=$1; shift 2
    for n in "$@"; do
        [ "$(q "$n" "SELECT count(*) FROM datasets WHERE id='$a_id' AND state='available'")" = 1 ] || return 1
    done
}
check_copies() {   # ID FILE NODES...
    c_id=$1 c_file=$2; shift 2
    for n in "$@"; do
        [ "$(q "$n" "SELECT count(*) FROM datasets WHERE id='$c_id'")" = 1 ] || fail "$n holds $c_id other than once"
        [ "$(q "$n" "SELECT count(*) FROM audit WHERE action='receive' AND decision='allow' AND object LIKE '% $c_id'")" = 1 ] ||
            fail "$n received $c_id other than once"
        "$CDX" export --purpose commissioning --home "$T/$n" "$c_id" -o "$T/got" >/dev/null || fail "export $c_id at $n"
        cmp -s "$c_file" "$T/got" || fail "$n: the bytes of $c_id differ"
        rm -f "$T/got"
    done
}
receipted() {   # ID: 0DF/b holds a receipt from each organisation
    [ "$(q csub "SELECT count(*) FROM deliveries WHERE dataset='$1' AND state='delivered'
        AND length(receipt) > 0 AND subscriber IN ('04V','05D','06H','07K')")" = 4 ]
}

# 1. Twenty runs, 0DF/a killed at a random moment.
head -c $((MIB * 1048576)) /dev/urandom > "$T/base"
ids=""
for run in $(seq 1 "$RUNS"); do
    cp "$T/base" "$T/x$run"
    printf 'run %08d' "$run" | dd of="$T/x$run" bs=1 seek=$((run * 4099)) conv=notrunc 2>/dev/null
    # Odd runs: before any delivery (04V, 05D and 07K/a are down until
    # 0DF/a is killed, at once); even runs: 0 to 1.5 s on, with 06H's
    # delivery under way.
    [ $((run % 2)) = 1 ] && for n in c1 c2 c4a; do stop $n; done
    id=$("$CDX" publish --home "$T/csua" --topic sus/monthly --class pseudonymised --purpose commissioning \
        "$T/x$run" 2>"$T/pub.err") || fail "run $run: publish: $(cat "$T/pub.err")"
    ids="$ids $id"
    [ "$(ds_state csub "$id")" = published ] || fail "run $run: 0DF/b does not hold $id when publish returned"
    if [ $((run % 2)) = 0 ]; then
        ms=$(( $(od -An -N2 -tu2 /dev/urandom) % 1500 ))
        sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    fi
    stop csua KILL
    [ $((run % 2)) = 1 ] && for n in c1 c2 c4a; do start_t $n; done
    wait_until 90 all_have "$id" "$T/x$run" c1 c2 c3 c4a || fail "run $run: not every CCG node holds $id"
    wait_until 30 receipted "$id" || fail "run $run: 0DF/b lacks receipts for $id"
    check_copies "$id" "$T/x$run" c1 c2 c3 c4a
    start_t csua
    wait_until 30 up csua 0DF/b || fail "run $run: 0DF/a did not reconnect to 0DF/b"
    wait_until 30 up csub 0DF/a || fail "run $run: 0DF/b did not reconnect to 0DF/a"
done
has_rule csub failover allow sibling.failover || fail "0DF/b never recorded a takeover"
say "phase 1: $RUNS runs, $(q csub "SELECT count(*) FROM audit WHERE action='failover'") takeovers recorded at 0DF/b"

# 2. 07K/b starts and catches up from 07K/a.
start_t c4b
run=0
for id in $ids; do
    run=$((run + 1))
    wait_until 120 all_have "$id" "$T/x$run" c4b || fail "07K/b did not catch up with $id"
    check_copies "$id" "$T/x$run" c4b
done
[ "$(q c4b "SELECT count(*) FROM audit WHERE action='receive' AND decision='allow' AND actor LIKE 'peer:0DF/%'")" = 0 ] ||
    fail "07K/b received from the CSU what its sibling holds: the CSU sent twice to 07K"

# 3. 07K/a killed while it receives (after 32 MiB are durable there);
# 07K/b carries on. 07K/a runs at 5%
# of a core, so that it is still receiving when killed.
stop c4a
start_slow c4a 5
wait_until 30 up csua 07K/a || fail "0DF/a is not connected to 07K/a"
# 64 MiB whatever the build: a receiver records what is durable every 32
# MiB, and the kill must land after that for a resume to show.
head -c $((64 * 1048576)) /dev/urandom > "$T/y"
id=$("$CDX" publish --home "$T/csua" --topic sus/monthly --class pseudonymised --purpose commissioning "$T/y") ||
    fail "publish y"
part() { [ "$(q c4a "SELECT state = 'receiving' AND next_chunk >= 2 FROM datasets WHERE id='$id'")" = 1 ]; }
wait_until 60 part || fail "07K/a never received part of $id"
stop c4a KILL
[ "$(ds_state c4a "$id")" = receiving ] || fail "07K/a was not receiving $id when killed: $(ds_state c4a "$id")"
wait_until 90 all_have "$id" "$T/y" c4b || fail "07K/b did not receive $id when 07K/a was killed"
[ "$(q c4b "SELECT count(*) FROM audit WHERE action='receive' AND decision='allow' AND object LIKE '% $id' AND actor LIKE 'peer:0DF/a:%'")" = 1 ] ||
    fail "07K/b did not receive $id from 0DF/a"
start_t c4a
wait_until 90 all_have "$id" "$T/y" c1 c2 c3 c4a || fail "07K/a did not catch up with $id"
check_copies "$id" "$T/y" c1 c2 c3 c4a c4b
grep -q "resuming $id from chunk [1-9]" "$T/c4a.log" || fail "07K/a did not resume $id from what it held"
say "ok"
