#!/bin/sh
# The two onboarding paths run as written: the walk-through block of
# README.md (between its "walk-through: begin" and "walk-through: end"
# comments) and the "A first exchange" example of cdx --help, each pasted
# into a shell that has cdx and cdx-gen-apc first in PATH. Each must run
# to its end without an error, receive and export the dataset, and leave
# no node running and nothing behind (its last line cleans up).
. "$(dirname "$0")/lib.sh"
: "${CDX_GEN:?set CDX_GEN to the cdx-gen-apc binary}"
README="$(dirname "$0")/../../README.md"

# The names the docs use, whatever the build calls its files.
mkdir -p "$T/bin" "$T/tmp"
ln -s "$CDX" "$T/bin/cdx"
ln -s "$CDX_GEN" "$T/bin/cdx-gen-apc"

# Every process a pasted block starts is in its own process group, ended
# here whatever happens (the block's own clean-up is checked separately).
pg=""
stop_group() {
    [ -n "$pg" ] || return 0
    kill -TERM -- "-$pg" 2>/dev/null || true
    sleep 0.3
    kill -KILL -- "-$pg" 2>/dev/null || true
}
trap 'rc=$?; stop_group; (exit $rc); cleanup' EXIT

# The docs use the fixed ports 7101 and 7102: wait for them to be free
# (another run's nodes may still be closing), else fail naming them.
ports_free() {
    python3 -c '
import socket, sys
for p in (7101, 7102):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        sys.exit(1)
    finally:
        s.close()'
}

# run_block NAME FILE: runs FILE with sh -e in a new process group and an
# empty TMPDIR; its output goes to $T/NAME.out.
run_block() {
    [ -s "$2" ] || fail "$1: no block to run"
    wait_until 30 ports_free || fail "$1: the loopback ports 7101 and 7102 are in use"
    rm -rf "$T/tmp" && mkdir "$T/tmp"
    (cd "$T/tmp" && PATH="$T/bin:$PATH" TMPDIR="$T/tmp" exec setsid sh -e "$2") > "$T/$1.out" 2>&1 &
    pg=$!
    status=0
    end=$(( $(date +%s) + 240 ))
    while kill -0 "$pg" 2>/dev/null; do
        [ "$(date +%s)" -lt "$end" ] || { cat "$T/$1.out" >&2; fail "$1: still running after 240 s"; }
        sleep 0.2
    done
    wait "$pg" || status=$?
    if [ "$status" -ne 0 ]; then
        cat "$T/$1.out" >&2
        fail "$1: the block stopped with status $status"
    fi
    # Its last line stopped the nodes and removed what it made.
    if kill -0 -- "-$pg" 2>/dev/null; then
        ps -o pid,args -g "$pg" >&2 || true
        fail "$1: the block left processes running (its clean-up line does not stop the nodes)"
    fi
    pg=""
    left=$(ls -A "$T/tmp")
    [ -z "$left" ] || fail "$1: the block left files behind: $left"
    grep -q 'wrote received.csv (content hash verified)' "$T/$1.out" ||
        { cat "$T/$1.out" >&2; fail "$1: the dataset was not exported"; }
}

# ---- README.md ------------------------------------------------------------
awk '/<!-- walk-through: begin/ { on = 1; next }
     /<!-- walk-through: end/   { on = 0 }
     on && !/^```/' "$README" > "$T/readme.sh"
grep -q 'cdx publish' "$T/readme.sh" || fail "README.md has no marked walk-through block"
run_block readme "$T/readme.sh"
grep -q '"available"\|available' "$T/readme.out" || fail "readme: cdx datasets did not show the dataset available"
grep -q 'delivered' "$T/readme.out" || fail "readme: cdx deliveries did not show the delivery delivered"
say "README.md walk-through ran as written"

# ---- cdx --help -----------------------------------------------------------
"$CDX" --help | awk '/^A first exchange/ { on = 1; next }
                     on && /^  / { print substr($0, 3); seen = 1; next }
                     on && seen { exit }' > "$T/help.sh"
grep -q 'cdx publish' "$T/help.sh" || fail "cdx --help has no first exchange to run"
run_block help "$T/help.sh"
say "the first exchange of cdx --help ran as written"
say "ok"
