# Helpers for the fault sweeps (tests/fault/t_*.sh): run one operation of
# cdx-fault (tests/fault/fault.c) with the Nth call of a kind failing, and
# judge how it failed. Not for the integration tests' own faults (a killed
# node, a lossy link: tests/integration/lib_faults.sh, sourced here with
# lib.sh). Usage: . "$(dirname "$0")/lib_sweep.sh"
: "${CDX_FAULT_BIN:?set CDX_FAULT_BIN to the cdx-fault binary}"
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/lib_faults.sh"
FAULT_KINDS=${FAULT_KINDS:-alloc write sync step}
# Every call of a kind up to FAULT_EXHAUSTIVE is tried; beyond it at most
# FAULT_SPREAD more, evenly spaced up to the last (the stride is printed).
FAULT_EXHAUSTIVE=${FAULT_EXHAUSTIVE:-20}
FAULT_SPREAD=${FAULT_SPREAD:-20}
FAULT_TRIED=0

# fault_count KIND FILE: the number of KIND calls in the "cdx-fault: count"
# line of FILE (a stderr), or fails the test if there is none.
fault_count() {
    c=$(sed -n "s/^cdx-fault: count .*$1=\([0-9]*\).*/\1/p" "$2" | tail -n 1)
    [ -n "$c" ] || fail "no cdx-fault count line in $2: $(tail -n 3 "$2")"
    echo "$c"
}

# sweep_points K: the Ns to try for a kind that made K calls.
sweep_points() {
    [ "$1" -gt 0 ] || return 0
    ex=$FAULT_EXHAUSTIVE
    [ "$1" -lt "$ex" ] && ex=$1
    seq 1 "$ex"
    rest=$(( $1 - ex ))
    [ "$rest" -gt 0 ] || return 0
    stride=$(( (rest + FAULT_SPREAD - 1) / FAULT_SPREAD ))
    seq $(( ex + stride )) "$stride" "$1"
    [ $(( rest % stride )) -eq 0 ] || echo "$1"
}

# sweep_stride K: the stride sweep_points uses beyond the exhaustive part.
sweep_stride() {
    rest=$(( $1 - FAULT_EXHAUSTIVE ))
    [ "$rest" -gt 0 ] || { echo 1; return; }
    echo $(( (rest + FAULT_SPREAD - 1) / FAULT_SPREAD ))
}

# fault_run PLAN OUT ERR CMD...: runs CMD (cdx-fault and its arguments)
# with CDX_FAULT=PLAN, its stdout in OUT and stderr in ERR, and sets
# FAULT_RC. A crash (a signal) or a hang (60 s) fails the test; so does a
# failure without a message saying why (a "cdx: ..." line).
fault_run() {
    f_plan=$1 f_out=$2 f_err=$3
    shift 3
    FAULT_RC=0
    CDX_FAULT=$f_plan timeout -k 5 60 "$@" >"$f_out" 2>"$f_err" || FAULT_RC=$?
    FAULT_TRIED=$((FAULT_TRIED + 1))
    [ "$FAULT_RC" -ne 124 ] && [ "$FAULT_RC" -ne 137 ] || fail "$f_plan: hung (killed after 60 s)"
    [ "$FAULT_RC" -lt 128 ] || fail "$f_plan: crashed (exit $FAULT_RC): $(tail -n 5 "$f_err")"
    if [ "$FAULT_RC" -ne 0 ]; then
        grep -v '^cdx-fault: ' "$f_err" | grep -q '^cdx: ..*' ||
            fail "$f_plan: failed (exit $FAULT_RC) without saying why: $(tail -n 5 "$f_err")"
    fi
    say "$f_plan: exit $FAULT_RC$(grep -m 1 '^cdx: ' "$f_err" | cut -c 1-150 | sed 's/^/: /')"
}

# fault_reached PLAN ERR: the fault of PLAN was injected (a run may make
# fewer calls than the counting run did).
fault_reached() { grep -q "^cdx-fault: ${1%%:*} call ${1#*:} fails" "$2"; }

# audit_ok NODE: the audit chain of NODE verifies.
audit_ok() {
    "$CDX" audit verify --home "$T/$1" >"$T/verify.out" 2>&1 ||
        fail "audit verify at $1 after $2: $(tail -n 3 "$T/verify.out")"
}

# sweep_pair: a publisher csu (0DF) and a subscriber ccg (04V) pinned to
# each other, with an agreement on sus/*, ccg subscribed to sus/apc, both
# stopped again.
sweep_pair() {
    make_node csu 0DF csu
    make_node ccg 04V ccg
    pin csu ccg; pin ccg csu
    agree csu ccg "sus/*"
    start csu; start ccg
    "$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null
    wait_until 20 subscription_active ccg 0DF sus/apc || fail "subscription not confirmed"
    stop ccg; stop csu
}
