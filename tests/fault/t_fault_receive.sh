# A subscriber's node, run as cdx-fault (tests/fault/fault.c) with the Nth
# allocation, file write, fsync or SQLite statement failing, receives a
# dataset: it may stop (with a message) or refuse, but it never crashes,
# hangs on SIGTERM or damages its store (integrity check, audit chain);
# restarted without the fault it then holds that dataset once, whole and
# available, with one verified receive in its audit log, and the
# publisher holds its receipt. The publisher runs the plain cdx
# throughout. Kills and broken links are t_kill's and t_hostile_link's.
# Beyond the first 20 calls of a kind, 12 more spread to its last: each
# faulted receive costs about a second (two starts of the node).
# FAULT_TRACE=1: each injected failure prints the stack that made the call.
FAULT_SPREAD=${FAULT_SPREAD:-12}
. "$(dirname "$0")/lib_sweep.sh"
t0=$(date +%s)

sweep_pair
start csu

# Two chunks and a short third: several writes, a sync at the end.
head -c $((2 * 1048576 + 4321)) /dev/urandom > "$T/extract.csv"
SENT=0

# start_faulty PLAN: the subscriber as cdx-fault with CDX_FAULT=PLAN, its
# stderr in $T/ccg.f.err (added to ccg.log once it has stopped).
start_faulty() {
    CDX_FAULT=$1${FAULT_TRACE:+,trace} "$CDX_FAULT_BIN" run --home "$T/ccg" 2>"$T/ccg.f.err" &
    echo $! > "$T/ccg.pid"
}

# stop_faulty PLAN: stops it (SIGTERM) if it still runs; a crash, a hang
# (not stopped in 10 s) or a failure without a message fails the test.
stop_faulty() {
    pid=$(cat "$T/ccg.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "$1: did not stop on SIGTERM"; }
    status=0
    wait "$pid" 2>/dev/null || status=$?
    rm -f "$T/ccg.pid"
    cat "$T/ccg.f.err" >> "$T/ccg.log"
    [ "$status" -lt 128 ] || fail "$1: crashed (exit $status): $(tail -n 5 "$T/ccg.f.err")"
    if [ "$status" -ne 0 ]; then
        grep -Eq '^cdx: .|\] error: ' "$T/ccg.f.err" ||
            fail "$1: exit $status without saying why: $(tail -n 5 "$T/ccg.f.err")"
    fi
    FAULT_RC=$status
}

# once ID WHAT: the subscriber holds ID once, available and whole, and has
# one verified receive of it; the publisher has its receipt.
once() {
    [ "$(q ccg "SELECT count(*) FROM datasets WHERE id = '$1' AND state = 'available'")" = 1 ] ||
        fail "$2: $1 is $(ds_state ccg "$1") at the subscriber"
    [ "$(q ccg "SELECT count(*) FROM datasets")" = "$SENT" ] ||
        fail "$2: the subscriber holds $(q ccg 'SELECT count(*) FROM datasets') datasets, $SENT were sent"
    c=$(q ccg "SELECT count(*) FROM audit WHERE action = 'receive' AND decision = 'allow'
               AND rule = 'signature.verified' AND object LIKE '%$1%'")
    [ "$c" = 1 ] || fail "$2: $c verified receives of $1 audited"
    wait_until 20 is_delivered csu "$1" 04V || fail "$2: no receipt for $1 at the publisher"
    rm -f "$T/back.csv"
    "$CDX" export --home "$T/ccg" --purpose commissioning "$1" -o "$T/back.csv" >/dev/null ||
        fail "$2: $1 does not export"
    cmp -s "$T/extract.csv" "$T/back.csv" || fail "$2: $1 exports other content"
}

# receive PLAN: a new dataset, received by the subscriber under PLAN.
receive() {
    id=$(publish csu sus/apc "$T/extract.csv")
    SENT=$((SENT + 1))
    start_faulty "$1"
    settled() { ! running ccg || { ds_available ccg "$id" && is_delivered csu "$id" 04V; }; }
    WEDGED=0
    wait_until 8 settled || WEDGED=1
    stop_faulty "$1"
}

receive count
for kind in $FAULT_KINDS; do eval "k_$kind=$(fault_count "$kind" "$T/ccg.f.err")"; done
once "$id" "counting run"
for kind in $FAULT_KINDS; do
    eval "k=\$k_$kind"
    say "receive: $kind: $k calls; trying $(sweep_points "$k" | wc -l) (stride $(sweep_stride "$k") after $FAULT_EXHAUSTIVE)"
    for n in $(sweep_points "$k"); do
        plan="$kind:$n"
        receive "$plan"
        FAULT_TRIED=$((FAULT_TRIED + 1))
        fault_reached "$plan" "$T/ccg.f.err" || say "$plan: not reached in this run"
        say "$plan: exit $FAULT_RC, $(ds_state ccg "$id")$(grep -m 1 -E '^cdx: |\] (error|warn): ' "$T/ccg.f.err" |
            cut -c 1-150 | sed 's/^/: /')"
        # One call failed, the next succeed: a node that kept running
        # recovers by itself (the publisher offers again after 1 s).
        [ "$WEDGED" = 0 ] || [ -n "${FAULT_LENIENT:-}" ] ||
            fail "$plan: still running 8 s later without completing the receive ($(ds_state ccg "$id"))"
        store_ok ccg || fail "$plan: store integrity check: $(q ccg 'PRAGMA integrity_check')"
        audit_ok ccg "$plan"
        if ! ds_available ccg "$id" || ! is_delivered csu "$id" 04V; then
            start ccg
            wait_until 30 ds_available ccg "$id" || fail "$plan: $id did not arrive after a restart without the fault"
            wait_until 20 is_delivered csu "$id" 04V || fail "$plan: no receipt for $id after the restart"
            stop ccg
        fi
        once "$id" "$plan"
    done
done
store_clean ccg 2>"$T/clean.err" || fail "$(cat "$T/clean.err")"
audit_ok ccg "the sweep"
say "ok: $FAULT_TRIED faulted receives, $(( $(date +%s) - t0 )) s"
