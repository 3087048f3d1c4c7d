# Passphrase-protected key files and the unattended mode: a node created
# with CDX_PASSPHRASE_FILE has key files protected by it (no secret in
# clear); without the passphrase, or with a wrong one, or with a passphrase
# file others can read, the node refuses to open; cdx run starts unattended
# from the file and stops cleanly.
. "$(dirname "$0")/lib.sh"

printf 'correct horse battery staple\n' > "$T/pass"; chmod 600 "$T/pass"
export CDX_PASSPHRASE_FILE="$T/pass"
make_node csu 0DF csu
for k in sign box curve; do
    [ "$(head -c 4 "$T/csu/keys/$k.key")" = CDXP ] || fail "$k.key is not protected"
done
unset CDX_PASSPHRASE_FILE
"$CDX" card --home "$T/csu" >/dev/null 2>"$T/err" && fail "opened without the passphrase"
grep -q CDX_PASSPHRASE_FILE "$T/err" || fail "the refusal does not name CDX_PASSPHRASE_FILE"
CDX_PASSPHRASE=wrong "$CDX" card --home "$T/csu" >/dev/null 2>"$T/err" && fail "opened with a wrong passphrase"
grep -q "wrong passphrase" "$T/err" || fail "a wrong passphrase is not named"
cp "$T/pass" "$T/pass644"; chmod 644 "$T/pass644"
must_refuse "a passphrase file readable by others" "CDX_PASSPHRASE_FILE .*pass644 is readable by group or others; chmod 600" \
    env CDX_PASSPHRASE_FILE="$T/pass644" "$CDX" card --home "$T/csu"
export CDX_PASSPHRASE_FILE="$T/pass"
start csu
wait_until 60 grep -q "listening on" "$T/csu.log" || fail "cdx run did not start unattended"
stop csu

# Given in CDX_PASSPHRASE, the passphrase leaves the running node's
# environment once read, and one copy of it stays in its memory (cx's
# guarded one); a node started from the file holds one copy too.
printf 'passphrase-%s-given-in-the-environment' "$$" > "$T/envpass"
unset CDX_PASSPHRASE_FILE
CDX_PASSPHRASE=$(cat "$T/envpass") "$CDX" init --home "$T/envnode" --org 04V --role ccg --name "Env" \
    --endpoint "tcp://127.0.0.1:$(free_port)" >/dev/null || fail "init with CDX_PASSPHRASE"
CDX_PASSPHRASE=$(cat "$T/envpass") "$CDX" run --home "$T/envnode" 2>>"$T/envnode.log" &
echo $! > "$T/envnode.pid"
wait_until 60 grep -q "listening on" "$T/envnode.log" || fail "cdx run did not start with CDX_PASSPHRASE"
pid=$(cat "$T/envnode.pid")
grep -qa "$(cat "$T/envpass")" "/proc/$pid/environ" && fail "the passphrase is still in /proc/$pid/environ"
tr '\0' '\n' < "/proc/$pid/environ" | grep -q '^CDX_PASSPHRASE=' && fail "CDX_PASSPHRASE is still set in cdx run"
copies=$(python3 - "$pid" "$T/envpass" "${CDX_SANITIZED:-0}" <<'PY'
import re, sys
pid, secret = sys.argv[1], open(sys.argv[2], "rb").read()
sanitized = sys.argv[3] == "1"
# Every readable mapping, read 1 MiB at a time (overlapping by the
# secret's length); the sanitizer's reserved ranges of many GiB (only
# under ASan) are passed over.
found, step = 0, 1 << 20
with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for line in maps:
        addr, perms = line.split()[:2]
        if "r" not in perms or "[vvar]" in line or "[vsyscall]" in line:
            continue
        lo, hi = (int(x, 16) for x in addr.split("-"))
        if hi - lo > (1 << 30):
            continue
        at = lo
        while at < hi:
            try:
                mem.seek(at)
                chunk = mem.read(min(step + len(secret) - 1, hi - at))
            except (OSError, ValueError, OverflowError):
                chunk = b""
            found += chunk.count(secret)
            # Under ASan the sanitizer's runtime keeps its own snapshot of
            # the environment block, read before main (not cdx's copy).
            if sanitized:
                found -= chunk.count(b"CDX_PASSPHRASE=" + secret + b"\0")
            at += step
print(found)
PY
)
[ "$copies" -eq 1 ] || fail "the passphrase is in cdx run's memory $copies times, not once (cx's guarded copy)"
stop envnode
say ok
