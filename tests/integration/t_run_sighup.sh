# cdx run stops on SIGHUP as cleanly as on SIGTERM: exit status 0, a stop
# entry naming the signal, and a signed audit checkpoint of that entry
# (the last thing in the log), so a hang-up (a closed terminal, a service
# manager's reload) never ends a node without a trace. A transfer running
# at the time is made durable and resumes after the restart.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
agree csu ccg "t/*"
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic t/x >/dev/null
start csu; start ccg
wait_until 20 sub_active ccg 0DF t/x || fail "no subscription"

# stopped PID NODE SIGNAL: PID, sent SIGNAL, exits 0 with its stop entry
# and a checkpoint of it last in NODE's log.
stopped() {
    s_pid=$(cat "$T/$2.pid")
    kill "-$3" "$s_pid"
    for _ in $(seq 1 200); do kill -0 "$s_pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$s_pid" 2>/dev/null && fail "$2 did not stop on SIG$3"
    s_status=0; wait "$s_pid" 2>/dev/null || s_status=$?
    rm -f "$T/$2.pid"
    [ "$s_status" -eq 0 ] || fail "$2 exited with status $s_status on SIG$3 (killed, not stopped)"
    last=$(q "$2" "SELECT seq || '|' || action || '|' || rule || '|' || detail FROM audit ORDER BY seq DESC LIMIT 1")
    case "$last" in
        *"|stop|local.run|stopped on signal $4 "*) ;;
        *) fail "the last entry after SIG$3 is not its stop entry naming signal $4: $last" ;;
    esac
    [ "$(q "$2" "SELECT max(seq) FROM audit_checkpoints")" = "${last%%|*}" ] ||
        fail "no checkpoint of the stop entry after SIG$3"
    "$CDX" audit verify --checkpoint --home "$T/$2" >/dev/null || fail "the audit log of $2 does not verify"
    grep -q "stopped on signal $4" "$T/$2.log" || fail "the log of $2 does not say it stopped on SIG$3"
}

stopped ccg ccg HUP 1
start ccg
wait_until 20 sh -c "grep -c 'listening on' '$T/ccg.log' | grep -q 2" || fail "ccg did not start again"
stopped ccg ccg TERM 15

# A hang-up in the middle of a transfer: what arrived is kept, and the
# dataset arrives whole once the node is started again.
head -c $((24 << 20)) /dev/urandom > "$T/big"
start ccg
id=$("$CDX" publish --home "$T/csu" --topic t/x --class aggregate --purpose commissioning "$T/big" 2>/dev/null) ||
    fail "publish"
wait_until 60 ds_receiving ccg "$id" || fail "the transfer did not start"
stopped ccg ccg HUP 1
start ccg
# Started (its signal handlers set) before the end: the transfer may have
# completed before the hang-up, and a node killed while starting exits 143.
wait_until 20 sh -c "grep -c 'listening on' '$T/ccg.log' | grep -q 4" || fail "ccg did not start again"
wait_until 120 ds_available ccg "$id" || fail "the transfer did not complete after the restart"
say ok
