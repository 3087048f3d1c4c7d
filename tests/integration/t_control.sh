# The running node is the only holder of keys and store. It runs as its
# own login; real logins (useradd) act as themselves through its control
# socket, which knows them from the kernel (SO_PEERCRED): a publisher
# publishes, an analyst exports for a purpose (the file is the analyst's
# own, 0600), an IG officer reads and verifies the audit log, and a login
# holding no role is refused each (exit 4, audited under its own login).
# None of them can read the store or the keys; CDX_USER changes nothing;
# a file the caller cannot read cannot be published through the node
# (which could read it); an existing -o path is refused and untouched; a
# killed command ends its request; with the node stopped they are told it
# is not running. The socket: mode 0660, the group given, refused when a
# node already answers, replaced when stale, removed on a clean stop.
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
people pub ana ig nobody node
H="$T/n"
S="$H/control.sock"
mkdir "$H" && chown "$node" "$H" && chmod 700 "$H"
as "$node" init --home "$H" --org 0DF --role csu --name "Test CSU" \
    --endpoint "tcp://127.0.0.1:$(free_port)" >/dev/null || fail "init as the node's login"
as "$node" user add --home "$H" "$pub" --role publisher >/dev/null || fail "grant publisher"
as "$node" user add --home "$H" "$ana" --role analyst >/dev/null || fail "grant analyst"
as "$node" user add --home "$H" "$ig" --role ig-officer >/dev/null || fail "grant ig-officer"
chgrp "$PEOPLE_GROUP" "$H" && chmod 710 "$H"

# code WANT-CODE WANT-TEXT WHAT COMMAND...: COMMAND exits WANT-CODE saying WANT-TEXT.
code() {
    c_code=$1 c_want=$2 c_what=$3; shift 3
    set +e; "$@" >"$T/out" 2>"$T/err"; c_rc=$?; set -e
    [ "$c_rc" -eq "$c_code" ] || fail "$c_what: exit $c_rc, expected $c_code: $(cat "$T/err")"
    grep -qF -- "$c_want" "$T/err" || fail "$c_what: does not say '$c_want': $(cat "$T/err")"
}
runs() {   # start the node as its own login, its socket for the group
    seen=$(grep -c 'listening on' "$T/n.log" 2>/dev/null) || seen=0
    setpriv --reuid="$node" --regid="$PEOPLE_GROUP" --init-groups "$CDX" run --home "$H" \
        --socket-group "$PEOPLE_GROUP" 2>>"$T/n.log" &
    echo $! > "$T/n.pid"
    wait_until 10 sh -c "[ -S '$S' ] && [ \$(grep -c 'listening on' '$T/n.log') -gt $seen ]" || fail "the node did not start"
}

# 1. No node running: a person is told so and how to start it (exit 1).
code 1 "the node at $H is not running (nothing answers at $S)" "publish, node stopped" \
    as "$pub" publish --home "$H" --topic t/a --class aggregate --purpose commissioning /dev/null
grep -qF "cdx run --home $H\` as its owner" "$T/err" || fail "the message does not say how to start it: $(cat "$T/err")"

runs
[ "$(stat -c '%a %U %G' "$S")" = "660 $node $PEOPLE_GROUP" ] || fail "socket: $(stat -c '%a %U %G' "$S")"
code 1 "a node already runs here" "a second cdx run" \
    setpriv --reuid="$node" --regid="$PEOPLE_GROUP" --init-groups "$CDX" run --home "$H"

# 2. The publisher publishes a file only it can read: the node never opens it.
head -c 10000 /dev/urandom | base64 > "$T/pub/data.csv"
chown "$pub" "$T/pub/data.csv" && chmod 600 "$T/pub/data.csv"
id=$(as "$pub" publish --home "$H" --topic t/a --class aggregate --purpose commissioning "$T/pub/data.csv") ||
    fail "publish as $pub"

# 3. The analyst exports for the purpose: the file is the analyst's own, 0600.
as "$ana" export --home "$H" "$id" --purpose commissioning -o "$T/pub/out.csv" >/dev/null || fail "export as $ana"
[ "$(stat -c '%U %a' "$T/pub/out.csv")" = "$ana 600" ] || fail "the export is $(stat -c '%U %a' "$T/pub/out.csv")"
cmp -s "$T/pub/data.csv" "$T/pub/out.csv" || fail "the export differs"

# 4. The IG officer reads and verifies the audit log.
as "$ig" audit verify --home "$H" >/dev/null || fail "audit verify as $ig"
as "$ig" audit --json --home "$H" > "$T/audit.json" || fail "audit as $ig"
python3 - "$T/audit.json" "$pub" "$ana" "$T/pub/data.csv" "$T/pub/out.csv" <<'PY' || fail "the audit log does not name who acted"
import json, sys
log, pub, ana, src, out = json.load(open(sys.argv[1])), *sys.argv[2:]
def has(**kw): return any(all(v in e[k] for k, v in kw.items()) for e in log)
assert has(action="publish", decision="allow", actor="user:%s (publisher)" % pub, detail=src.rsplit("/", 1)[1]), "publish"
assert has(action="export", decision="allow", actor="user:%s (analyst)" % ana, detail="decrypted to " + out), "export"
PY

# 5. A login holding no role is refused each, audited under its own login;
#    CDX_USER naming another changes nothing.
head -c 100 /dev/urandom | base64 > "$T/pub/n.csv"; chmod 644 "$T/pub/n.csv"
code 4 "cdx user add $nobody --role publisher" "publish as $nobody" \
    as "$nobody" publish --home "$H" --topic t/a --class aggregate --purpose commissioning "$T/pub/n.csv"
code 4 "cdx user add $nobody --role analyst" "export as $nobody" \
    as "$nobody" export --home "$H" "$id" --purpose commissioning -o "$T/pub/n.out"
code 4 "cdx user add $nobody --role ig-officer" "audit as $nobody" as "$nobody" audit --home "$H"
code 4 "cdx user add $nobody --role ig-officer" "audit verify as $nobody" as "$nobody" audit verify --home "$H"
code 4 "cdx user add $nobody --role analyst" "export as $nobody with CDX_USER=$ana" \
    env CDX_USER="$ana" runuser -u "$nobody" -- "$CDX" export --home "$H" "$id" --purpose commissioning -o "$T/pub/n.out"
code 4 "cdx user add $nobody --role admin" "user add as $nobody with CDX_USER=$node" \
    env CDX_USER="$node" runuser -u "$nobody" -- "$CDX" user add --home "$H" "$nobody" --role admin
[ ! -e "$T/pub/n.out" ] || fail "a refused export wrote a file"
as "$ig" audit --json --home "$H" --decision refuse > "$T/refused.json" || fail "audit as $ig"
python3 - "$T/refused.json" "$nobody" <<'PY' || fail "the refusals are not audited under the login"
import json, sys
log, who = json.load(open(sys.argv[1])), sys.argv[2]
mine = [e for e in log if e["actor"] == "user:%s (no role)" % who and e["rule"] == "role.missing"]
acts = sorted(e["action"] for e in mine)
want = sorted(["publish", "export", "audit-read", "audit-verify", "export", "user-add"])
assert acts == want, "refusals of %s: %s, expected %s" % (who, acts, want)
assert all(e["actor"].startswith("user:%s " % who) for e in log if e["rule"] == "role.missing"), "another actor"
PY

# 6. Nobody but the node's login can read the store or the keys.
for who in "$pub" "$ana" "$ig" "$nobody"; do
    for f in "$H/store.db" "$H/keys/sign.key" "$H/keys/box.key"; do
        if runuser -u "$who" -- cat "$f" >/dev/null 2>&1; then fail "$who can read $f"; fi
    done
done

# 7. A file the caller cannot read is not published through the node, which could read it.
echo "node's own" > "$T/pub/secret.csv"; chown "$node" "$T/pub/secret.csv"; chmod 600 "$T/pub/secret.csv"
before=$(as "$pub" datasets --home "$H" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
code 1 "cannot open $T/pub/secret.csv: Permission denied" "publish of a file the caller cannot read" \
    as "$pub" publish --home "$H" --topic t/b --class aggregate --purpose commissioning "$T/pub/secret.csv"
after=$(as "$pub" datasets --home "$H" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$before" = "$after" ] || fail "a file the caller cannot read was published ($before, then $after datasets)"

# 8. An existing -o path is refused and left as it was.
echo keep > "$T/pub/exists.csv"; chown "$ana" "$T/pub/exists.csv"
code 1 "$T/pub/exists.csv already exists" "export over an existing file" \
    as "$ana" export --home "$H" "$id" --purpose commissioning -o "$T/pub/exists.csv"
[ "$(cat "$T/pub/exists.csv")" = keep ] || fail "the existing file was changed"

# 9. A killed command ends its request: the request's process goes too.
server=$(pgrep -x -P "$(cat "$T/n.pid")" cdx-control)
[ -n "$server" ] || fail "no request server"
setpriv --reuid="$ana" --regid="$PEOPLE_GROUP" --init-groups "$CDX" wait --home "$H" --topic t/never --timeout 60 \
    >/dev/null 2>&1 &
client=$!
wait_until 10 sh -c "[ -n \"\$(pgrep -x -P $server cdx-request)\" ]" || fail "the wait is not a request"
kill -KILL "$client"; wait "$client" 2>/dev/null || true
wait_until 10 sh -c "[ -z \"\$(pgrep -x -P $server cdx-request)\" ]" ||
    fail "the killed command's request still runs: $(pgrep -a -P "$server")"

# 9a. One login may hold 16 requests at once: the 17th is refused at once,
#     saying why, and another login is still served.
waits=
for _ in $(seq 1 16); do
    setpriv --reuid="$ana" --regid="$PEOPLE_GROUP" --init-groups "$CDX" wait --home "$H" --topic t/never \
        --timeout 120 >/dev/null 2>&1 &
    waits="$waits $!"
done
wait_until 30 sh -c "[ \$(pgrep -x -P $server cdx-request | wc -l) -ge 16 ]" ||
    fail "16 waits are not 16 requests: $(pgrep -a -P "$server")"
code 1 "already serving 16 requests of this login" "a 17th request of one login" \
    as "$ana" datasets --home "$H"
as "$pub" datasets --home "$H" >/dev/null || fail "another login is not served beside a login at its limit"

# 9b. Root has no share of its own (it may act on the home directly).
for w in $waits; do kill "$w" 2>/dev/null || true; done
for w in $waits; do wait "$w" 2>/dev/null || true; done
wait_until 10 sh -c "[ -z \"\$(pgrep -x -P $server cdx-request)\" ]" || fail "the waits' requests did not end"
waits=
for _ in $(seq 1 17); do
    "$CDX" wait --home "$H" --topic t/never --timeout 120 >/dev/null 2>&1 &
    waits="$waits $!"
done
wait_until 30 sh -c "[ \$(pgrep -x -P $server cdx-request | wc -l) -ge 17 ]" ||
    fail "17 waits of root are not 17 requests: $(pgrep -a -P "$server")"
for w in $waits; do kill "$w" 2>/dev/null || true; done
for w in $waits; do wait "$w" 2>/dev/null || true; done

# 10. A clean stop removes the socket; after a kill the stale one is replaced.
stop n
[ ! -e "$S" ] || fail "the socket is left after a clean stop"
code 1 "is not running" "datasets as $ana, node stopped" as "$ana" datasets --home "$H"
runs
kill -KILL "$(cat "$T/n.pid")"; wait "$(cat "$T/n.pid")" 2>/dev/null || true
[ -S "$S" ] || fail "no stale socket after a kill"
runs
as "$ana" datasets --home "$H" >/dev/null || fail "the node did not serve after replacing a stale socket"
stop n

# 11. The caller trusts only its own command line: whatever answers at a
# socket (here a fake node) cannot make a login's cdx open or create a
# path the command did not name. It asks ana's cdx to open $T/secret (ana
# may read it), to create $T/pub/planted, and then for the file the
# command did name: only the last is given.
printf 'secret\n' > "$T/secret"; chmod 644 "$T/secret"
printf 'card\n' > "$T/pub/named.card"; chmod 644 "$T/pub/named.card"
F="$T/pub/fake.sock"
python3 - "$F" "$T/secret" "$T/pub/planted" "$T/pub/named.card" > "$T/fake.out" 2>&1 <<'PY' &
import os, socket, struct, sys
path, secret, planted, named = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); os.chmod(path, 0o666); s.listen(1)
c, _ = s.accept()
def read(n):                             # N bytes; the descriptors that come with them counted
    got = b""
    while len(got) < n:
        msg, anc, _, _ = c.recvmsg(n - len(got), socket.CMSG_SPACE(16))
        if not msg:
            sys.exit("the caller hung up")
        for lvl, typ, data in anc:
            for i in range(len(data) // 4):
                fds.append(struct.unpack("i", data[4 * i:4 * i + 4])[0])
        got += msg
    return got
def frame():
    n, t = struct.unpack(">IB", read(5))
    return t, read(n)
def ask(t, payload):
    c.sendall(struct.pack(">IB", len(payload), t) + payload)
    before = len(fds)
    t2, body = frame()
    status = struct.unpack(">I", body[:4])[0]
    print(t2, status, len(fds) - before)
fds = []
frame()                                   # REQUEST
ask(3, struct.pack(">I", 0) + secret.encode() + b"\0")          # OPEN_IN, not named
ask(4, struct.pack(">I", 0o644) + planted.encode() + b"\0")     # OPEN_OUT, not named
ask(3, struct.pack(">I", 0) + named.encode() + b"\0")           # OPEN_IN, named
c.sendall(struct.pack(">IBI", 4, 8, 0))   # EXIT 0
PY
fake=$!
wait_until 10 test -S "$F" || fail "the fake node did not start"
as "$ana" --socket "$F" peer add --home "$H" "$T/pub/named.card" >/dev/null 2>&1 || true
wait "$fake" || fail "the fake node failed: $(cat "$T/fake.out")"
[ "$(cat "$T/fake.out")" = "2 1 0
2 1 0
2 0 1" ] || fail "the caller answered a fake node's requests for unnamed paths: $(cat "$T/fake.out")"
[ ! -e "$T/pub/planted" ] || fail "a fake node made $ana create a file the command did not name"
say ok
