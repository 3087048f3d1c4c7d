# cdx keys rotate in the middle of a transfer: the subscriber stops while a
# large dataset is arriving, rotates its keys, the authority certifies the
# new card and publishes a directory; the publisher learns the new keys
# from it while running. The interrupted dataset resumes and arrives whole,
# a dataset queued meanwhile arrives, one received before the rotation
# (its key wrapped for the old box key) still exports, and the audit log
# (checkpoints signed with the old key) still verifies.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
certify_all csu ccg
agree csu ccg "sus/*"
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc --history 1 >/dev/null
wait_until 20 sub_active ccg 0DF sus/apc || fail "subscription not confirmed"
head -c 100000 /dev/urandom > "$T/v1.csv"
id1=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/v1.csv")
wait_until 30 ds_available ccg "$id1" || fail "v1 not received"

head -c $((48 * 1048576)) /dev/urandom > "$T/v2.csv"
id2=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/v2.csv")
wait_until 30 ds_receiving ccg "$id2" || fail "v2 did not start"
stop ccg
[ "$(ds_state ccg "$id2")" = receiving ] || fail "v2 finished before it could be interrupted"
head -c 50000 /dev/urandom > "$T/v3.csv"
id3=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/v3.csv")

old=$("$CDX" peers --json --home "$T/csu" | grep -o '"fingerprint":"[0-9a-f]*"')
"$CDX" keys rotate --home "$T/ccg" > "$T/ccg2.card" 2>/dev/null || fail "keys rotate"
cmp -s "$T/ccg.card" "$T/ccg2.card" && fail "the card did not change"
[ "$(stat -c %a "$T/ccg/keys/box.key")" = 600 ] || fail "new key file is not 0600"
ls "$T/ccg/keys/old/" | grep -q '^box-' || fail "the old box key was not kept"
$A certify "$T/ccg2.card" --dspt standards-met --dspt-year 2025/26 -o "$T/ccg2.cert" || fail "certify new card"
$A directory -o "$T/dir2" 2>/dev/null || fail "directory 2"
"$CDX" directory import --home "$T/csu" "$T/dir2" >/dev/null || fail "import dir2 at csu"
"$CDX" directory import --home "$T/ccg" "$T/dir2" >/dev/null || fail "import dir2 at ccg"
new=$("$CDX" peers --json --home "$T/csu" | grep -o '"fingerprint":"[0-9a-f]*"')
[ "$old" != "$new" ] || fail "the publisher did not learn the new key"
start ccg

wait_until 120 ds_available ccg "$id2" || fail "the interrupted dataset did not complete after the rotation"
wait_until 30 ds_available ccg "$id3" || fail "the queued dataset did not arrive after the rotation"
for v in 1 2 3; do
    eval id=\$id$v
    "$CDX" export --home "$T/ccg" "$id" --purpose commissioning -o "$T/out$v.csv" >/dev/null || fail "export v$v after the rotation"
    cmp -s "$T/v$v.csv" "$T/out$v.csv" || fail "v$v differs"
done
wait_until 20 is_delivered csu "$id3" 04V || fail "no receipt signed with the new key"
"$CDX" audit verify --home "$T/ccg" >/dev/null || fail "audit log does not verify after the rotation"
say ok
