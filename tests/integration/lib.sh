# Shared helpers for integration tests: real cdx processes, real sockets on
# loopback, real SQLite files, in a temporary directory removed on exit.
# Usage: . "$(dirname "$0")/lib.sh"   (CDX and CDX_GEN point at the binaries)
set -eu
: "${CDX:?set CDX to the cdx binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cdx-test.XXXXXX")
TEST_NAME=$(basename "$0" .sh)

cleanup() {
    rc=$?
    # Stop nodes still running; at the end of a passing test they must
    # exit cleanly too.
    if [ "$rc" -eq 0 ]; then
        for f in "$T"/*.pid; do
            [ -f "$f" ] || continue
            pid=$(cat "$f")
            kill -TERM "$pid" 2>/dev/null || true
            status=0
            wait "$pid" 2>/dev/null || status=$?
            rm -f "$f"
            if [ "$status" -ne 0 ]; then
                printf '%s: FAIL: %s exited with status %s on SIGTERM\n' "$TEST_NAME" "$(basename "$f" .pid)" "$status" >&2
                tail -n 30 "${f%.pid}.log" >&2
                rc=1
            fi
        done
    fi
    for f in "$T"/*.pid; do
        [ -f "$f" ] || continue
        kill -TERM "$(cat "$f")" 2>/dev/null || true
    done
    sleep 0.2
    for f in "$T"/*.pid; do
        [ -f "$f" ] || continue
        kill -KILL "$(cat "$f")" 2>/dev/null || true
    done
    [ -n "${KEEP:-}" ] || rm -rf "$T"
    for u in ${PEOPLE:-}; do userdel -f "$u" >/dev/null 2>&1 || true; done
    [ -z "${PEOPLE_GROUP:-}" ] || groupdel "$PEOPLE_GROUP" >/dev/null 2>&1 || true
    type slow_cleanup >/dev/null 2>&1 && slow_cleanup
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The system python (json, socket: the standard library is enough here)
# starts in a tenth of the time of a version manager's shim; found first in
# PATH (not wrapped in a function) so that "python3 ... &" is that process.
if [ -x /usr/bin/python3 ]; then PATH=/usr/bin:$PATH; export PATH; fi

say() { printf '%s: %s\n' "$TEST_NAME" "$*"; }

# skip WHY: this test cannot run here (not root, a tool missing). Exits 77,
# which ctest shows as skipped (SKIP_RETURN_CODE, tests/CMakeLists.txt),
# never as passed. With CDX_NO_SKIP set (CI, which runs as root with every
# tool installed) a skip is a failure.
skip() {
    if [ -n "${CDX_NO_SKIP:-}" ]; then
        printf '%s: FAIL: cannot skip (CDX_NO_SKIP is set): %s\n' "$TEST_NAME" "$*" >&2
        exit 1
    fi
    printf '%s: skipped: %s\n' "$TEST_NAME" "$*"
    exit 77
}

fail() {
    printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
    for log in "$T"/*.log; do
        [ -f "$log" ] || continue
        printf -- '--- %s (last 30 lines)\n' "$log" >&2
        tail -n 30 "$log" >&2
    done
    exit 1
}

# must_refuse WHAT PATTERN CMD...: CMD must fail, and its stderr must match the
# extended regular expression PATTERN (the rule or the message that says
# why); a success, or a failure for another reason, fails the test. The
# stderr is left in $T/refused.err.
must_refuse() {
    r_what=$1 r_pat=$2
    shift 2
    r_rc=0
    "$@" >"$T/refused.out" 2>"$T/refused.err" || r_rc=$?
    [ "$r_rc" -ne 0 ] || fail "$r_what: accepted (exit 0)"
    grep -Eq -- "$r_pat" "$T/refused.err" ||
        fail "$r_what: refused (exit $r_rc) but not for /$r_pat/: $(head -c 600 "$T/refused.err")"
    [ -z "${CDX_TEST_VERBOSE:-}" ] || say "$r_what: refused (exit $r_rc): $(head -n 1 "$T/refused.err")"
}

# people NAME...: real logins (useradd) for this test, one per NAME, each
# called NAME plus a suffix unique to this run (so parallel tests never
# collide) and held in the variable NAME (people alice: $alice), all in a
# group of their own ($PEOPLE_GROUP) that may connect to the nodes this
# test starts (start: --socket-group), whose homes it opens to them
# (group search, mode 0710). Removed on exit. $T is opened for search and
# $T/pub (1777) is where each may write its files.
PEOPLE="" PEOPLE_GROUP=""
people() {
    [ "$(id -u)" = 0 ] || skip "needs root to add logins"
    command -v useradd >/dev/null && command -v runuser >/dev/null || skip "needs useradd and runuser"
    if [ -z "$PEOPLE_GROUP" ]; then
        PEOPLE_GROUP="cxg$$$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"
        groupadd "$PEOPLE_GROUP" || fail "groupadd $PEOPLE_GROUP"
        chmod 711 "$T"
        mkdir -m 1777 "$T/pub" && chmod 1777 "$T/pub"
    fi
    for p_name in "$@"; do
        p_login="$(printf %.12s "$p_name")$$$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"
        useradd -M -N -g "$PEOPLE_GROUP" -s /bin/sh "$p_login" || fail "useradd $p_login"
        PEOPLE="$PEOPLE $p_login"
        eval "$p_name=\$p_login"
    done
}

# as LOGIN CDX-ARGS...: cdx run by LOGIN, a real login (people).
as() { a_login=$1; shift; runuser -u "$a_login" -- "$CDX" "$@"; }

# A free TCP port on loopback.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# grant NAME: the test's account, admin of the node it made, also takes the
# data roles (cdx init makes it admin only).
grant() {
    "$CDX" user add --home "$T/$1" "$(id -un)" --role publisher,analyst,ig-officer >/dev/null ||
        fail "user add on $1"
}

# make_node NAME ORG ROLE: a node home in $T/NAME listening on a free port.
make_node() {
    "$CDX" init --home "$T/$1" --org "$2" --role "$3" --name "Test $3 $2" \
        --endpoint "tcp://127.0.0.1:$(free_port)" >/dev/null || fail "init $1"
    grant "$1"
    "$CDX" card --home "$T/$1" > "$T/$1.card" || fail "card $1"
}

# make_labelled NAME ORG LABEL ROLE: as make_node, node LABEL of ORG
# (address ORG/LABEL), for an organisation with several nodes.
make_labelled() {
    "$CDX" init --home "$T/$1" --org "$2" --node "$3" --role "$4" --name "Test $4 $2 node $3" \
        --endpoint "tcp://127.0.0.1:$(free_port)" >/dev/null || fail "init $1"
    grant "$1"
    "$CDX" card --home "$T/$1" > "$T/$1.card" || fail "card $1"
}
# start_t NAME: start with a 2 s takeover time (SPEC.md 11.5).
start_t() { RUN_ARGS="--takeover 2" start "$1"; }

# pin A B: node A trusts node B's card.
pin() { "$CDX" peer add --home "$T/$1" "$T/$2.card" >/dev/null || fail "peer add $2 to $1"; }

# start NAME: cdx run in the background, log in $T/NAME.log (with
# $RUN_ARGS, e.g. RUN_ARGS="--takeover 2").
# With people, the home is opened to their group (search only) and they
# may connect to its control socket.
start() {
    seen=$(grep -c 'listening on' "$T/$1.log" 2>/dev/null) || seen=0
    if [ -n "$PEOPLE_GROUP" ]; then
        chgrp "$PEOPLE_GROUP" "$T/$1" && chmod 710 "$T/$1" || fail "open $1 to $PEOPLE_GROUP"
        "$CDX" run --home "$T/$1" --socket-group "$PEOPLE_GROUP" 2>>"$T/$1.log" &
    else
        "$CDX" run ${RUN_ARGS:-} --home "$T/$1" 2>>"$T/$1.log" &
    fi
    echo $! > "$T/$1.pid"
    # Serving once it logs that it listens: its control socket is bound
    # by then (commands go through it). The socket alone is not enough:
    # one left by a killed node is there before the new one replaces it.
    for _ in $(seq 1 400); do
        [ "$(grep -c 'listening on' "$T/$1.log")" -gt "$seen" ] && break
        kill -0 "$(cat "$T/$1.pid")" 2>/dev/null || break
        sleep 0.025
    done
}

# stop NAME [SIGNAL]: stop a running node and wait for it.
stop() {
    pid=$(cat "$T/$1.pid")
    kill "-${2:-TERM}" "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && fail "$1 did not stop"
    status=0
    wait "$pid" 2>/dev/null || status=$?
    rm -f "$T/$1.pid"
    # A clean stop exits 0; anything else (a sanitizer report, a leak, a
    # crash) fails the test.
    [ "${2:-TERM}" != TERM ] || [ "$status" -eq 0 ] || fail "$1 exited with status $status on SIGTERM"
}

running() { kill -0 "$(cat "$T/$1.pid")" 2>/dev/null; }

# wait_until SECONDS COMMAND...: retries COMMAND every 0.1 s; fails after
# SECONDS (a bound on a broken run, not a performance target).
wait_until() {
    limit=$1; shift
    end=$(( $(date +%s) + limit ))
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# dataset_state NODE ID: prints the state of a dataset at NODE, or "none".
dataset_state() {
    "$CDX" datasets --json --home "$T/$1" | python3 -c '
import json, sys
want = sys.argv[1]
for d in json.load(sys.stdin):
    if d["id"] == want:
        print(d["state"]); break
else:
    print("none")' "$2"
}

is_available() { [ "$(dataset_state "$1" "$2")" = available ]; }

# delivery_state NODE ID SUBSCRIBER
delivery_state() {
    "$CDX" deliveries --json --home "$T/$1" | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if d["dataset"] == sys.argv[1] and d["subscriber"] == sys.argv[2]:
        print(d["state"]); break
else:
    print("none")' "$2" "$3"
}

is_delivered() { [ "$(delivery_state "$1" "$2" "$3")" = delivered ]; }

# audit_has NODE ACTION DECISION RULE: an audit entry with these fields exists.
audit_has() {
    "$CDX" audit --json --home "$T/$1" | python3 -c '
import json, sys
a, d, r = sys.argv[1:4]
sys.exit(0 if any(e["action"] == a and e["decision"] == d and e["rule"] == r
                  for e in json.load(sys.stdin)) else 1)' "$2" "$3" "$4"
}

# subscription_active NODE PUBLISHER TOPIC (as seen on NODE)
subscription_active() {
    "$CDX" subscriptions --json --home "$T/$1" | python3 -c '
import json, sys
p, t = sys.argv[1:3]
sys.exit(0 if any(s["publisher"] == p and s["topic"] == t and s["state"] == "active"
                  for s in json.load(sys.stdin)) else 1)' "$2" "$3"
}

# store_ok NODE: the SQLite store passes an integrity check.
store_ok() {
    [ "$(sqlite3 "$T/$1/store.db" 'PRAGMA integrity_check;')" = ok ]
}

org_of() { sed -n 's/^org: //p' "$T/$1.card"; }

# agree PUBLISHER RECIPIENT TOPICS [propose options...]: a data sharing
# agreement between two test nodes, proposed by PUBLISHER, signed by both
# through files (no running node needed), so both hold the identical
# signed document. By default it allows every class and purpose for a
# year; options after TOPICS override (e.g. --end now+3s, --class
# aggregate). Also records RECIPIENT's DSPT as met at PUBLISHER (assure).
# The reference is printed in $T/last_ref.
AGREE_N=0
agree() {
    a_pub=$1 a_rcp=$2 a_topics=$3; shift 3
    AGREE_N=$((AGREE_N + 1))
    a_ref="DSA-$(org_of "$a_pub")-$(org_of "$a_rcp")-$AGREE_N"
    "$CDX" agreement propose --home "$T/$a_pub" --ref "$a_ref" --recipient "$(org_of "$a_rcp")" \
        --provider-ig "IG lead $(org_of "$a_pub")" --recipient-ig "IG lead $(org_of "$a_rcp")" \
        --topics "$a_topics" --class identifiable \
        --purposes commissioning,invoice-validation,risk-stratification \
        --art6 "6(1)(e) public task" --art9 "9(2)(h) health or social care" \
        --duty "s251 CAG 7-07(a)/2013" --opt-out not-required --end now+365d \
        "$@" -o "$T/$a_ref.p" >/dev/null || fail "agreement propose at $a_pub"
    "$CDX" agreement sign --home "$T/$a_rcp" "$T/$a_ref.p" -o "$T/$a_ref.s" >/dev/null ||
        fail "agreement sign at $a_rcp"
    "$CDX" agreement sign --home "$T/$a_pub" "$T/$a_ref.s" >/dev/null || fail "agreement sign at $a_pub"
    echo "$a_ref" > "$T/last_ref"
    assure "$a_pub" "$a_rcp"
}

# assure NODE PEER [STATUS [YEAR]]: sets, in NODE's store, the DSPT status
# of PEER pinned by hand as a certificate would carry it (default:
# standards-met, the current assessment year). TEST SETUP ONLY: most tests
# pin peers by hand, and a pinned card carries no DSPT status; a peer
# certified by an authority (t_trust, t_rotate, the demo) keeps the status
# its certificate states, untouched here.
assure() {
    y=$(date -u +%Y)
    sqlite3 "$T/$1/store.db" "UPDATE peers SET dspt = '${3-standards-met}',
        dspt_year = '${4-$((y - 1))/$(date -u +%y)}' WHERE org = '$(org_of "$2")' AND trust = 'pinned'" ||
        fail "cannot set the DSPT of $2 at $1"
}

# agreement_state NODE REF: proposed | pending | in-force | expired | revoked | none
agreement_state() {
    "$CDX" agreement list --json --home "$T/$1" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    if a["ref"] == sys.argv[1]:
        print(a["state"]); break
else:
    print("none")' "$2"
}

# Quick looks into a node's store with the sqlite3 shell (reads beside the
# running node, WAL mode): cheaper than a python process per poll on a
# loaded machine.
q() { sqlite3 "$T/$1/store.db" "$2"; }
has_rule() { [ "$(q "$1" "SELECT count(*) FROM audit WHERE action='$2' AND decision='$3' AND rule='$4'")" -gt 0 ]; }
sub_active() { [ "$(q "$1" "SELECT state FROM subscriptions WHERE publisher='$2' AND topic='$3'")" = active ]; }
ds_state() { s=$(q "$1" "SELECT state FROM datasets WHERE id='$2'"); echo "${s:-none}"; }
ds_available() { [ "$(ds_state "$1" "$2")" = available ]; }
ds_receiving() { [ "$(ds_state "$1" "$2")" = receiving ]; }
dl_state() { q "$1" "SELECT state FROM deliveries WHERE dataset='$2' AND subscriber='$3'"; }

# certify_all NODE...: a test authority in $T/auth ($A runs its commands)
# certifies each node's card (standards-met), signs directory $T/dir1,
# and each node trusts it and imports that directory.
A="$CDX authority --home $T/auth"
certify_all() {
    $A init --name "NHS England (test)" >/dev/null || fail "authority init"
    for c_n in "$@"; do
        $A certify "$T/$c_n.card" --dspt standards-met --dspt-year 2025/26 -o "$T/$c_n.cert" || fail "certify $c_n"
    done
    $A directory -o "$T/dir1" 2>/dev/null || fail "directory 1"
    for c_n in "$@"; do
        "$CDX" trust --home "$T/$c_n" --authority "$T/auth/authority.pub" >/dev/null || fail "trust $c_n"
        "$CDX" directory import --home "$T/$c_n" "$T/dir1" >/dev/null || fail "import at $c_n"
    done
}

# writing PID DIR: PID holds open a file it is writing in DIR that has no
# name yet (O_TMPFILE, shown by the kernel as "DIR/#INODE (deleted)"), or
# its hidden temporary where the file system has no O_TMPFILE.
writing() {
    for w_fd in /proc/"$1"/fd/*; do
        case "$(readlink "$w_fd" 2>/dev/null)" in "$2/#"* | "$2/."*.cdx-*) return 0 ;; esac
    done
    return 1
}

# stop_when_writing PID DIR: stops PID (SIGSTOP) once it writes such a
# file; fails if PID ends first.
stop_when_writing() {
    for _ in $(seq 1 5000); do
        writing "$1" "$2" && { kill -STOP "$1"; return 0; }
        kill -0 "$1" 2>/dev/null || fail "process $1 ended before it began writing in $2"
    done
    fail "process $1 did not begin writing in $2"
}

# slowly PERCENT COMMAND... &: runs COMMAND in the background (only so:
# it execs, and $! is COMMAND's pid) in a CPU cgroup limited to PERCENT of one core,
# so that a race with it is taken every run, not by luck. Root only (the
# suite runs as root); the cgroups go with the test's other leftovers.
slowly() {
    s_g=$(mktemp -d "/sys/fs/cgroup/cpu/cdx-test-$$-XXXXXX") && echo 100000 > "$s_g/cpu.cfs_period_us" &&
        echo $(($1 * 1000)) > "$s_g/cpu.cfs_quota_us" || fail "cannot make a CPU cgroup for a slowed command"
    shift
    exec sh -c 'echo $$ > "$0/tasks" && exec "$@"' "$s_g" "$@"
}
slow_cleanup() {
    for s_g in /sys/fs/cgroup/cpu/cdx-test-$$-*; do [ -d "$s_g" ] && rmdir "$s_g" 2>/dev/null; done
    return 0
}
