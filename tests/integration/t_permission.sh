# A login that may not read a node's home is told so, whose home it is
# and what to do ("cannot read HOME: permission denied"), never "no node
# at HOME: run cdx init", which would send it to make a second node: the
# home closed to it, a directory above it closed, the store not readable
# by it. A home that really is missing is still "no node" (exit 3). A
# real second login (useradd) runs cdx.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { say "skip: needs root to add a second login"; exit 77; }
command -v useradd >/dev/null && command -v runuser >/dev/null ||
    { say "skip: needs useradd and runuser"; exit 77; }
OTHER="cdxp$$$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"
useradd -M -s /bin/sh "$OTHER" || fail "useradd $OTHER"
# Removed whatever happens; cleanup (lib.sh) still sees the test's status.
trap 'st=$?; set +e; userdel "$OTHER" >/dev/null 2>&1; (exit $st); cleanup' EXIT

make_node a 0DF csu
H="$T/a"
# denied WHAT PATTERN...: cdx card as OTHER fails with exit 1, saying
# "cannot read $H: permission denied" and each PATTERN, not "no node".
denied() {
    what=$1; shift
    set +e; runuser -u "$OTHER" -- "$CDX" card --home "$H" >/dev/null 2>"$T/err"; rc=$?; set -e
    [ "$rc" -eq 1 ] || fail "$what: exit $rc, expected 1: $(cat "$T/err")"
    grep -qF "cannot read $H: permission denied" "$T/err" || fail "$what: $(cat "$T/err")"
    for p in "$@"; do grep -qF -- "$p" "$T/err" || fail "$what: does not say '$p': $(cat "$T/err")"; done
    ! grep -q "no node at\|run cdx init --home $H" "$T/err" || fail "$what: told there is no node: $(cat "$T/err")"
}

# 1. The home itself closed to the login (0700, root's).
chmod 711 "$T"
denied "a home closed to the login" "$H belongs to root" "mode 0700" "runs as $OTHER" "sudo -u root" \
    "cdx init --home DIR"
# 2. A directory above it closed.
chmod 700 "$T"
denied "a directory above the home closed" "a directory on its path is closed to $OTHER" "cdx init --home DIR"
# 3. The home open, its store not (0600, root's).
chmod 711 "$T"; chmod 755 "$H"
denied "a store the login cannot read" "$H/store.db belongs to root" "mode 0600" "sudo -u root"
chmod 700 "$H"
# 4. Nothing there: still "no node", exit 3.
set +e; runuser -u "$OTHER" -- "$CDX" card --home "$T/none" >/dev/null 2>"$T/err"; rc=$?; set -e
[ "$rc" -eq 3 ] && grep -qF "no node at $T/none" "$T/err" || fail "a missing home: exit $rc: $(cat "$T/err")"
# The node's owner still uses it.
"$CDX" card --home "$H" >/dev/null || fail "the owner cannot use the node"
say ok
