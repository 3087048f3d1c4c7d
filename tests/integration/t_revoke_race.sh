# A revocation honoured to the last chunk, at both ends, however slow the
# node is. Each end is held, on purpose, at its final step, after the
# last chunk (subscriber) or the receipt (publisher) has been taken in and
# before it records the outcome: its store's write lock is held by this
# test, the node is stopped (SIGSTOP) once it waits for it, the lock is let
# go, the agreement is revoked there with cdx agreement revoke, and the
# node continued (SIGCONT). No periodic look at the agreement can come in
# between: the node is inside that step. It must decide again there:
#   subscriber: no 'available', no receipt; ERROR(DENIED, "policy.agreement-
#               revoked: ..."), the dataset failed and its content removed;
#   publisher:  the delivery failed with the rule, never 'delivered'.
# Both refusals are audited. A peer written from the SPEC (hostile.py)
# plays the other end, so the step the node is held at is exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"

make_node victim 04V ccg
"$CDX" init --home "$T/evil" --org EVL --role csu --name "Foreign EVL" \
    --endpoint "tcp://127.0.0.1:$(free_port)" >/dev/null || fail "init evil"
"$CDX" card --home "$T/evil" > "$T/evil.card"
pin victim evil; pin evil victim

# hold_store NODE: this test takes NODE's store write lock (as a long
# write would) until release_store.
hold_store() {
    rm -f "$T/hold.fifo" "$T/hold.out"; mkfifo "$T/hold.fifo"
    "$PY" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()
c.execute("ROLLBACK")' "$T/$1/store.db" < "$T/hold.fifo" > "$T/hold.out" &
    HOLDER=$!
    exec 8> "$T/hold.fifo"
    wait_until 10 grep -q held "$T/hold.out" || fail "cannot take the store lock of $1"
}
release_store() { exec 8>&-; wait "$HOLDER" || fail "the lock holder failed"; }
# waiting PID: PID's main thread sleeps in the store's busy handler (the
# node's loop otherwise sleeps only in poll).
waiting() { case "$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" in 35 | 230) return 0 ;; esac; return 1; }
# race NODE REF SYNC: NODE is at its last step (SYNC.ready): held there,
# stopped, the agreement REF revoked at NODE, and continued.
race() {
    r_pid=$(cat "$T/$1.pid")
    wait_until 60 test -e "$3.ready" || fail "the delivery did not reach its last step"
    hold_store "$1"
    touch "$3.go"
    wait_until 20 test -e "$3.sent" || fail "the peer did not send its last message"
    wait_until 10 waiting "$r_pid" || fail "$1 did not reach its final step (waiting for its store)"
    kill -STOP "$r_pid"
    release_store
    "$CDX" agreement revoke --home "$T/$1" "$2" --reason "withdrawn at the last moment" >/dev/null ||
        fail "revoke at $1 while it was stopped"
    kill -CONT "$r_pid"
}

# ---- the subscriber decides again before 'available' and the receipt ------
agree evil victim "evl/*"; sref=$(cat "$T/last_ref")
"$CDX" subscribe --home "$T/victim" --from EVL --topic evl/t >/dev/null
start victim
"$PY" "$H" last-chunk --evil "$T/evil" --victim "$T/victim.card" --topic evl/t --sync "$T/s1" \
    --expect policy.agreement-revoked > "$T/h1.out" 2>"$T/h1.err" &
h1=$!
race victim "$sref" "$T/s1"
wait "$h1" || fail "subscriber: $(cat "$T/h1.err")"
id=$(sed -n 's/^dataset=//p' "$T/h1.out")
[ "$(ds_state victim "$id")" = failed ] || fail "subscriber: the dataset is $(ds_state victim "$id"), not failed"
[ ! -e "$T/victim/data/$id" ] || fail "subscriber: the refused content is still in data/"
[ "$(q victim "SELECT count(*) FROM audit WHERE action = 'receive' AND decision = 'refuse'
     AND rule = 'policy.agreement-revoked' AND object LIKE '%$id' AND detail LIKE '%decided again%'")" -eq 1 ] ||
    fail "subscriber: the refusal at the last moment is not audited"
[ "$(q victim "SELECT count(*) FROM audit WHERE action = 'receive' AND decision = 'allow' AND object LIKE '%$id'")" -eq 0 ] ||
    fail "subscriber: the dataset was recorded as received"
rc=0; "$CDX" export --home "$T/victim" "$id" -o "$T/out" --purpose commissioning 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] && [ ! -e "$T/out" ] || fail "subscriber: the refused dataset exports"
say "subscriber: refused at its last step, after the last chunk"

# ---- the publisher decides again before 'delivered' --------------------------
agree victim evil "vic/*" --class aggregate; pref=$(cat "$T/last_ref")
head -c 30000 /dev/urandom > "$T/data"
pid_=$("$CDX" publish --home "$T/victim" --topic vic/t --class aggregate --purpose commissioning "$T/data" 2>/dev/null) ||
    fail "publish"
"$PY" "$H" held-receipt --evil "$T/evil" --victim "$T/victim.card" --victim-topic vic/t --sync "$T/s2" \
    > "$T/h2.out" 2>"$T/h2.err" &
h2=$!
race victim "$pref" "$T/s2"
wait "$h2" || fail "publisher: $(cat "$T/h2.err")"
wait_until 20 sh -c "[ \"\$(sqlite3 '$T/victim/store.db' \"SELECT state FROM deliveries WHERE dataset = '$pid_'\")\" != sending ]" ||
    fail "publisher: the delivery is still sending"
st=$(dl_state victim "$pid_" EVL)
[ "$st" = failed ] || fail "publisher: the delivery is $st after the agreement was revoked, not failed"
q victim "SELECT error FROM deliveries WHERE dataset = '$pid_'" | grep -q '^policy.agreement-revoked: ' ||
    fail "publisher: the delivery does not name the rule: $(q victim "SELECT error FROM deliveries WHERE dataset = '$pid_'")"
# The node may be held in its receipt's transaction (then the last-moment
# decision refuses: "signed a receipt") or in its once-a-second progress
# write just before it (then the running recheck, which comes first on
# continuing, refuses the transfer): either way the revocation made while
# it was held is honoured and audited with its rule, and nothing is
# recorded as delivered.
[ "$(q victim "SELECT count(*) FROM audit WHERE decision = 'refuse' AND rule = 'policy.agreement-revoked'
     AND (action = 'deliver' AND object LIKE '%$pid_' AND detail LIKE '%signed a receipt%'
          OR action = 'send' AND object LIKE '%$pid_')")" -ge 1 ] ||
    fail "publisher: the refusal at the last moment is not audited: $(q victim "SELECT action, rule, detail FROM audit WHERE object LIKE '%$pid_'")"
[ "$(q victim "SELECT count(*) FROM audit WHERE action = 'deliver' AND decision = 'allow' AND object LIKE '%$pid_'")" -eq 0 ] ||
    fail "publisher: the delivery was recorded as delivered"
[ "$(q victim "SELECT count(*) FROM audit WHERE action = 'deliver' AND decision = 'allow'")" -eq 0 ] ||
    fail "publisher: the delivery was recorded as delivered"
running victim || fail "the node died"
"$CDX" audit verify --home "$T/victim" >/dev/null || fail "the audit log does not verify"
say ok
