# Shared helpers for the benchmark cases (sourced; POSIX sh).
# A case script is run as: bench/CASE.sh BUILD_DIR, with these environment
# variables (bench/run.sh sets them; each has a default for a standalone run):
#   BENCH_QUICK  1 for a smoke run with small sizes (default 0)
#   BENCH_ROWS   file the rows of the results table are appended to (stdout)
#   BENCH_NOTES  file Markdown notes and detail are appended to (stdout)
#   BENCH_DATA   directory of shared input files, kept between cases
#   BENCH_PLOTS  directory for plot data (plots are drawn only if set)
#   BENCH_TMP    where work directories are made (default $TMPDIR or /tmp);
#                on the disk being measured, not a tmpfs
set -eu

BUILD=$(cd "${1:-build}" && pwd)
CDX="$BUILD/cdx"
[ -x "$CDX" ] || { echo "bench: no cdx binary in $BUILD (make build)" >&2; exit 1; }
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_QUICK=${BENCH_QUICK:-0}
BENCH_ROWS=${BENCH_ROWS:-/dev/stdout}
BENCH_NOTES=${BENCH_NOTES:-/dev/stdout}
BENCH_TMP=${BENCH_TMP:-${TMPDIR:-/tmp}}
BENCH_PLOTS=${BENCH_PLOTS:-}
# Debian's interpreter: a version manager's shim would add its start-up cost.
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
POLL="$PY $BENCH_DIR/poll.py"

quick() { [ "$BENCH_QUICK" = 1 ]; }

# The work directory of this case; removed on exit, with its processes.
W=$(mktemp -d "$BENCH_TMP/cdx-bench.XXXXXX")
BENCH_DATA=${BENCH_DATA:-$W/data}
mkdir -p "$BENCH_DATA"
PIDS=""
bench_cleanup() {
    rc=$?
    if [ "$rc" -ne 0 ]; then
        # Which of our processes had already exited (a node that could not
        # start, say), with the last line of its log.
        for f in "$W"/*.pid "$W"/*/*.pid; do
            [ -f "$f" ] || continue
            kill -0 "$(cat "$f")" 2>/dev/null && continue
            n=${f#"$W/"}; n=${n%.pid}
            echo "bench: $(basename "$0" .sh): node $n had exited: $(tail -n 1 "$W/$n.log" 2>/dev/null)" >&2
        done
    fi
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
    # A node must stop on SIGTERM; one that has not after 10 s is reported
    # (in the notes: it is a finding) and killed, so the suite goes on.
    n=0
    while [ "$n" -lt 100 ]; do
        alive=""
        for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
        [ -n "$alive" ] || break
        sleep 0.1; n=$((n + 1))
    done
    for p in $alive; do
        who=$(grep -lx "$p" "$W"/*.pid "$W"/*/*.pid 2>/dev/null | head -n 1)
        who=${who#"$W/"}; who=${who%.pid}
        msg="Warning: process $p (${who:-not a node}) was still running 10 s after SIGTERM; killed."
        echo "bench: $(basename "$0" .sh): $msg" >&2
        printf '%s\n\n' "$msg" >> "$BENCH_NOTES" 2>/dev/null || true
        kill -KILL "$p" 2>/dev/null || true
    done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    if [ "$rc" -ne 0 ]; then
        for log in "$W"/*.log; do
            [ -f "$log" ] || continue
            printf -- '--- %s (last 5 lines)\n' "$log" >&2
            tail -n 5 "$log" >&2
        done
    fi
    rm -rf "$W"
    exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 1' INT TERM

die() { echo "bench: $(basename "$0" .sh): $*" >&2; exit 1; }
log() { echo "bench: $(basename "$0" .sh): $*" >&2; }

# A table row: case, measured, baseline, ratio, target, result.
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5" "$6" >> "$BENCH_ROWS"; }
note() { printf '%s\n' "$*" >> "$BENCH_NOTES"; }

now() { date +%s.%N; }
# f EXPR [DECIMALS]: evaluate an arithmetic expression (awk), print rounded.
f() { awk "BEGIN { printf \"%.${2:-2}f\", ($1) }"; }
# passif EXPR: "pass" when the awk condition holds, else "MISS".
passif() { if awk "BEGIN { exit !($1) }"; then echo pass; else echo MISS; fi; }
# median and nearest-rank percentile of the numbers in a file (one a line).
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
pctl() { sort -g "$2" | awk -v p="$1" '{ v[NR] = $1 } END { i = int(p * NR / 100); if (i < p * NR / 100) i++; if (i < 1) i = 1; print v[i] }'; }

# A free TCP port on loopback, below the kernel's ephemeral range: a port
# from that range, free now, can be taken by the source port of any outgoing
# connection (33 nodes make many) before the node that was given it listens.
# A port is bound only when its node starts, so the ports handed out are
# remembered in $W/ports and never handed out twice.
free_port() {
    $PY - "$W/ports" <<'PY'
import random, socket, sys
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
lo, hi = (10000, lo - 1) if lo > 12000 else (1024, lo - 1)
try:
    given = set(int(x) for x in open(sys.argv[1]).read().split())
except OSError:
    given = set()
for _ in range(1000):
    p = random.randint(lo, hi)
    if p in given:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    open(sys.argv[1], "a").write("%d\n" % p)
    print(p)
    break
else:
    raise SystemExit("no free port")
PY
}

# data_file MIB: path of a file of MIB MiB of random bytes (made once per run).
data_file() {
    p="$BENCH_DATA/random-$1MiB"
    if [ ! -f "$p" ]; then
        head -c "$(($1 * 1048576))" /dev/urandom > "$p.part"
        mv "$p.part" "$p"
    fi
    echo "$p"
}

# mk_node NAME ORG ROLE: a node home in $W/NAME on a free loopback port.
mk_node() {
    "$CDX" init --home "$W/$1" --org "$2" --role "$3" --name "Bench $1" \
        --endpoint "tcp://127.0.0.1:$(free_port)" >/dev/null || die "init $1"
    "$CDX" user add --home "$W/$1" "$(id -un)" --role publisher,analyst,ig-officer >/dev/null ||
        die "user add on $1"
    "$CDX" card --home "$W/$1" > "$W/$1.card" || die "card $1"
}
# pin A B: node A trusts node B's card.
# Once each trusts the other, they also sign a data sharing agreement each
# way covering every topic (nothing flows without one: docs/IG-RULES.md).
pin() {
    "$CDX" peer add --home "$W/$1" "$W/$2.card" >/dev/null || die "peer add $2 to $1"
    o1=$(sed -n 's/^org: //p' "$W/$1.card"); o2=$(sed -n 's/^org: //p' "$W/$2.card")
    "$CDX" peers --json --home "$W/$2" | grep -q "\"org\":\"$o1\"" || return 0
    for pair in "$1:$2:$o2" "$2:$1:$o1"; do
        a=${pair%%:*} rest=${pair#*:}; b=${rest%%:*} rcp=${rest#*:}
        f=$(printf '%s-%s' "$a" "$b" | tr -c 'A-Za-z0-9-' '_')   # names may hold a /
        "$CDX" agreement propose --home "$W/$a" --ref "BENCH-$f" --recipient "$rcp" --provider-ig bench \
            --recipient-ig bench --topics "*" --class aggregate --purposes commissioning --art6 "6(1)(e)" \
            --opt-out not-required --end now+30d -o "$W/$f.dsa" >/dev/null &&
        "$CDX" agreement sign --home "$W/$b" "$W/$f.dsa" -o "$W/$f.dsa2" >/dev/null &&
        "$CDX" agreement sign --home "$W/$a" "$W/$f.dsa2" >/dev/null || die "agreement $a -> $b"
    done
}
# start_node NAME: cdx run in the background; its pid in $W/NAME.pid.
start_node() {
    "$CDX" run --home "$W/$1" 2>>"$W/$1.log" &
    echo $! > "$W/$1.pid"
    PIDS="$PIDS $!"
}
pid_of() { cat "$W/$1.pid"; }
# stop_node NAME: SIGTERM and wait; after 10 s, a warning (in the notes: a
# node must stop on SIGTERM) and SIGKILL.
stop_node() {
    p=$(pid_of "$1")
    kill -TERM "$p" 2>/dev/null || true
    n=0
    while kill -0 "$p" 2>/dev/null && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    if kill -0 "$p" 2>/dev/null; then
        msg="Warning: node $1 (pid $p) was still running 10 s after SIGTERM; killed."
        log "$msg"; note "$msg"; note ""
        kill -KILL "$p" 2>/dev/null || true
    fi
    wait "$p" 2>/dev/null || true
}
# wait_active TOPIC NODE...: each NODE's subscription to TOPIC is active.
wait_active() {
    t=$1; shift
    dbs=""
    for n in "$@"; do dbs="$dbs $W/$n/store.db"; done
    # shellcheck disable=SC2086
    $POLL active --topic "$t" $dbs || die "subscriptions to $t not active"
}
# VmHWM (peak resident set) of a process, in MiB.
hwm() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
