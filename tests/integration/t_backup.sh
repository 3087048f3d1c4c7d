# Backup while a transfer runs, restore, and the versions lost since sent
# again: the subscriber is backed up in the middle of receiving a large
# version (slowed by stopping and continuing it); the backup verifies;
# more versions arrive after it; the subscriber is stopped, its home moved
# away and the backup restored at the same endpoint. The restored log
# verifies and records the restore; what the backup held exports
# identical; the restored node asks its publisher (RESEND, SPEC.md 11.1),
# which sends the lost versions again, each received once. A backup with
# one byte changed (a sealed file, the manifest, the store) is refused by
# verify and by restore (exit 4, nothing made), and so is restoring onto a
# home that exists.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu; agree csu ccg "sus/*"
people bkuser                       # a real login, an analyst: refused a backup
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc --history 1 >/dev/null
start csu; start ccg
wait_until 20 sub_active ccg 0DF sus/apc || fail "subscription not active"

pub() { "$CDX" publish --home "$T/csu" --topic sus/apc --class aggregate --purpose commissioning "$1"; }
printf 'a,b\n1,2\n' > "$T/v1.csv"
v1=$(pub "$T/v1.csv")
wait_until 20 ds_available ccg "$v1" || fail "v1 not received"

# v2, 48 MiB, received slowly: the subscriber runs about 10 ms in 1.5 s.
head -c $((48 << 20)) /dev/urandom > "$T/v2.bin"
ccg_pid=$(cat "$T/ccg.pid")
( while kill -STOP "$ccg_pid" 2>/dev/null; do sleep 1.5; kill -CONT "$ccg_pid" 2>/dev/null; sleep 0.01; done ) &
throttle=$!
release() { kill "$throttle" 2>/dev/null || true; wait "$throttle" 2>/dev/null || true; kill -CONT "$ccg_pid" 2>/dev/null || true; }
v2=$(pub "$T/v2.bin")
wait_until 60 ds_receiving ccg "$v2" || { release; fail "v2 not under way at the subscriber: $(ds_state ccg "$v2")"; }

# The backup, while the transfer runs.
"$CDX" backup --home "$T/ccg" -o "$T/bk" > "$T/backup.out" 2>"$T/backup.err" ||
    { release; fail "backup: $(cat "$T/backup.err")"; }
ds_receiving ccg "$v2" || { release; fail "v2 was not being received during the backup"; }
release
[ "$(sqlite3 "$T/bk/store.db" "SELECT state FROM datasets WHERE id = '$v2'")" = receiving ] ||
    fail "the backup's store does not hold v2 as being received"
grep -q "audit log to seq" "$T/backup.out" || fail "backup output: $(cat "$T/backup.out")"
[ "$(stat -c %a "$T/bk")" = 700 ] || fail "the backup's directory is not 0700"
for f in "$T"/bk/*; do [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"; done
[ -f "$T/bk/data.$v1.sealed" ] && [ -f "$T/bk/data.$v2.sealed" ] && [ -f "$T/bk/keys.sign.key" ] ||
    fail "the backup lacks files: $(ls "$T/bk")"
has_rule ccg backup allow backup || fail "the backup is not audited"
"$CDX" backup verify "$T/bk" > "$T/verify.out" || fail "backup verify: $(cat "$T/verify.out")"
"$CDX" backup verify --home "$T/ccg" "$T/bk" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
sys.exit(0 if r["ok"] and r["key"] == "current" and r["org"] == "04V" and r["datasets"] == 2 else 1)' ||
    fail "backup verify --json: $("$CDX" backup verify --home "$T/ccg" "$T/bk" --json)"
# A backup needs the admin role.
"$CDX" user add --home "$T/ccg" "$bkuser" --role analyst >/dev/null
set +e; as "$bkuser" backup --home "$T/ccg" -o "$T/pub/bk-refused" 2>/dev/null; rc=$?; set -e
[ "$rc" -eq 4 ] && [ ! -e "$T/pub/bk-refused" ] || fail "a backup by an analyst: exit $rc"

# After the backup: v2 completes, v3 and v4 arrive.
wait_until 120 ds_available ccg "$v2" || fail "v2 not received after the backup"
printf 'a,b\n3,4\n' > "$T/v3.csv"; v3=$(pub "$T/v3.csv")
printf 'a,b\n5,6\n' > "$T/v4.csv"; v4=$(pub "$T/v4.csv")
wait_until 20 ds_available ccg "$v4" || fail "v4 not received"
wait_until 20 is_delivered csu "$v4" 04V || fail "v4 not delivered"
stop ccg

# Tampered copies: one byte of a sealed file, of the manifest, of the store.
flip() {  # flip FILE OFFSET: one byte changed in place
    python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2]))
f.write(bytes([b[0] ^ 1])); f.close()' "$1" "$2"
}
for what in "data.$v1.sealed 10" "MANIFEST 40" "store.db 5000"; do
    set -- $what
    rm -rf "$T/bt"; cp -a "$T/bk" "$T/bt"; flip "$T/bt/$1" "$2"
    set +e; "$CDX" backup verify "$T/bt" >/dev/null 2>"$T/bt.err"; rc=$?; set -e
    [ "$rc" -eq 4 ] || fail "verify of a backup with $1 changed: exit $rc"
    set +e; "$CDX" restore "$T/bt" --home "$T/nope" >/dev/null 2>"$T/bt2.err"; rc=$?; set -e
    [ "$rc" -eq 4 ] && [ ! -e "$T/nope" ] || fail "restore of a backup with $1 changed: exit $rc"
    grep -q "$1" "$T/bt.err" || fail "verify does not name $1: $(cat "$T/bt.err")"
done
# Restore onto an existing home is refused, and leaves it as it was.
before=$(ls -R "$T/ccg" | md5sum)
set +e; "$CDX" restore "$T/bk" --home "$T/ccg" >/dev/null 2>"$T/exists.err"; rc=$?; set -e
[ "$rc" -ne 0 ] && grep -q "not empty\|exists\|holds" "$T/exists.err" || fail "restore onto a home: exit $rc"
[ "$(ls -R "$T/ccg" | md5sum)" = "$before" ] || fail "a refused restore changed the home"

# Restore at the same place (the old home moved away), run it.
mv "$T/ccg" "$T/ccg.old"
"$CDX" restore "$T/bk" --home "$T/ccg" > "$T/restore.out" || fail "restore: $(cat "$T/restore.out")"
[ "$(stat -c %a "$T/ccg")" = 700 ] && [ "$(stat -c %a "$T/ccg/keys")" = 700 ] &&
    [ "$(stat -c %a "$T/ccg/store.db")" = 600 ] && [ "$(stat -c %a "$T/ccg/keys/sign.key")" = 600 ] ||
    fail "the restored home's modes are not cdx init's"
"$CDX" audit verify --home "$T/ccg" > "$T/av.out" || fail "audit verify after the restore: $(cat "$T/av.out")"
"$CDX" audit --home "$T/ccg" --action restore | grep -q "entries the backed-up node wrote after seq" ||
    fail "no restore entry in the log"
[ "$(q ccg "SELECT state FROM datasets WHERE id = '$v3'")" = "" ] || fail "the backup holds v3?"
"$CDX" export --home "$T/ccg" "$v1" --purpose commissioning -o "$T/v1.out" >/dev/null || fail "export v1"
cmp -s "$T/v1.csv" "$T/v1.out" || fail "v1 exports differently after the restore"

start ccg
for v in "$v2" "$v3" "$v4"; do
    wait_until 120 ds_available ccg "$v" || fail "$v not sent again after the restore: $(ds_state ccg "$v")"
done
n=2
for v in "$v2" "$v3" "$v4"; do
    "$CDX" export --home "$T/ccg" "$v" --purpose commissioning -o "$T/out$n" >/dev/null || fail "export v$n"
    case $n in 2) src=$T/v2.bin ;; *) src=$T/v$n.csv ;; esac
    cmp -s "$src" "$T/out$n" || fail "v$n exports differently"
    n=$((n + 1))
done
# Nothing twice: four datasets, each received once in the restored log.
[ "$(q ccg "SELECT count(*) FROM datasets")" -eq 4 ] || fail "datasets: $(q ccg "SELECT id, version FROM datasets")"
for v in "$v1" "$v2" "$v3" "$v4"; do
    c=$(q ccg "SELECT count(*) FROM audit WHERE action = 'receive' AND decision = 'allow' AND object LIKE '%$v'")
    [ "$c" -eq 1 ] || fail "$v received $c times in the restored log"
done
q csu "SELECT detail FROM audit WHERE action = 'resend'" | grep -q "3 delivered version(s)" ||
    fail "the publisher did not queue v2, v3, v4 again: $(q csu "SELECT detail FROM audit WHERE action = 'resend'")"
wait_until 20 is_delivered csu "$v4" 04V || fail "v4 not delivered again"
[ "$(q ccg "SELECT resend FROM subscriptions WHERE publisher = '0DF'")" = 0 ] || fail "the RESEND was not answered"
"$CDX" audit verify --home "$T/ccg" >/dev/null || fail "audit verify after the re-delivery"
store_ok ccg || fail "store damaged"

# Through the running node, the caller makes each file of a backup; more
# files than a request holds open at once (16) is no limit: the publisher,
# with 20 more versions, backed up by a real login made admin.
people bkadmin
"$CDX" user add --home "$T/csu" "$bkadmin" --role admin >/dev/null
for i in $(seq 1 20); do printf 'x,%s\n' "$i" > "$T/p$i.csv"; pub "$T/p$i.csv" >/dev/null || fail "publish p$i"; done
stop csu; start csu
as "$bkadmin" backup --home "$T/csu" -o "$T/pub/bk-csu" >/dev/null 2>"$T/bk-csu.err" ||
    fail "a backup of 24 datasets through the node: $(cat "$T/bk-csu.err")"
[ "$(stat -c %U "$T/pub/bk-csu")" = "$bkadmin" ] && [ "$(stat -c %U "$T/pub/bk-csu/MANIFEST")" = "$bkadmin" ] ||
    fail "the backup's files are not the caller's: $(ls -l "$T/pub/bk-csu" | head -3)"
[ "$(ls "$T/pub/bk-csu" | grep -c '\.sealed$')" -ge 24 ] || fail "the backup lacks sealed files: $(ls "$T/pub/bk-csu")"
"$CDX" backup verify "$T/pub/bk-csu" >/dev/null || fail "the publisher's backup does not verify"
say ok
