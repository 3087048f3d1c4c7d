# Key rotations lose nothing. A publisher rotates while its subscriber is
# down, with datasets published and not yet delivered: they are signed
# again with the new key and delivered once the authority has certified it.
# Rotations in quick succession (several in one second) keep every old
# key: what was wrapped for the first keys still exports and the audit log
# (checkpoints signed by each key in turn) still verifies. A rotation cut
# short after it was recorded completes at the next command.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
certify_all csu ccg
agree csu ccg "sus/*"
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null
wait_until 30 sub_active ccg 0DF sus/apc || fail "subscription not confirmed"
head -c 30000 /dev/urandom > "$T/v1.csv"
id1=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/v1.csv")
wait_until 30 ds_available ccg "$id1" || fail "v1 not received"

# The subscriber goes down; two versions are published and wait.
stop ccg
head -c 40000 /dev/urandom > "$T/v2.csv"
head -c $((2 * 1048576 + 7)) /dev/urandom > "$T/v3.csv"
id2=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/v2.csv")
id3=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/v3.csv")
stop csu

# Three rotations within a second or two: every old key must stay.
for i in 1 2 3; do
    "$CDX" keys rotate --home "$T/csu" > "$T/csu-r$i.card" 2>"$T/rotate.err" || fail "rotation $i: $(cat "$T/rotate.err")"
done
[ "$(ls "$T/csu/keys/old" | grep -c '^sign-')" -eq 3 ] || fail "not every old signing key was kept: $(ls "$T/csu/keys/old")"
[ "$(ls "$T/csu/keys/old" | grep -c '^box-')" -eq 3 ] || fail "not every old box key was kept: $(ls "$T/csu/keys/old")"
"$CDX" audit verify --home "$T/csu" > "$T/verify" 2>&1 || fail "audit verify after the rotations: $(cat "$T/verify")"
"$CDX" export --home "$T/csu" "$id1" --purpose commissioning -o "$T/csu-out1.csv" >/dev/null ||
    fail "data wrapped for the first keys no longer opens"
cmp -s "$T/v1.csv" "$T/csu-out1.csv" || fail "v1 differs after the rotations"
[ "$(q csu "SELECT count(*) FROM audit WHERE action = 'rotate' AND detail LIKE '%3 published manifests signed again%'")" -eq 3 ] ||
    fail "the rotations do not record the manifests signed again"

# A publish that runs across a rotation is not recorded: its manifest
# would carry the replaced key.
head -c $((64 * 1048576)) /dev/zero > "$T/across.csv"
"$CDX" publish --home "$T/csu" --topic sus/across --class pseudonymised --purpose commissioning "$T/across.csv" \
    > /dev/null 2> "$T/across.err" &
pid=$!
for _ in $(seq 1 5000); do ls "$T/csu/data" | grep -q '\.sealed\.tmp$' && break; done
kill -STOP "$pid" || fail "the publish ended before the rotation"
"$CDX" keys rotate --home "$T/csu" > "$T/csu-r4.card" 2>"$T/rotate.err" || fail "rotation 4: $(cat "$T/rotate.err")"
kill -CONT "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -ne 0 ] || fail "a publish across a rotation was recorded"
grep -q "rotated while this command ran" "$T/across.err" || fail "the refusal does not say why: $(cat "$T/across.err")"
[ "$(q csu "SELECT count(*) FROM datasets WHERE topic = 'sus/across'")" -eq 0 ] || fail "the publish across a rotation left a row"
ls "$T/csu/data" | grep -q '\.tmp$' && fail "the publish across a rotation left its temporary"

# A rotation cut short after its store transaction: the .new keys of a
# recorded rotation are put in place by the next command.
cp -a "$T/csu" "$T/csu-copy"
"$CDX" keys rotate --home "$T/csu-copy" > "$T/copy.card" 2>/dev/null || fail "rotation of the copy"
for k in sign box curve; do mv "$T/csu-copy/keys/$k.key" "$T/csu-copy/keys/$k.key.new"; done
for k in sign box curve; do
    f=$(ls "$T/csu-copy/keys/old" | grep "^$k-" | sort -t- -k2 -n | tail -n 1)
    mv "$T/csu-copy/keys/old/$f" "$T/csu-copy/keys/$k.key"
done
"$CDX" card --home "$T/csu-copy" > "$T/copy2.card" 2>"$T/copy.err" || fail "the copy does not open: $(cat "$T/copy.err")"
grep -q "completed a key rotation" "$T/copy.err" || fail "the completion is not reported: $(cat "$T/copy.err")"
cmp -s "$T/copy.card" "$T/copy2.card" || fail "the card after completion is not the rotated one"
ls "$T/csu-copy/keys" | grep -q '\.new$' && fail "new keys left after completion"
"$CDX" audit verify --home "$T/csu-copy" >/dev/null 2>&1 || fail "the copy's audit log does not verify"

# The authority certifies the newest card; both learn it; the subscriber
# comes back and receives what waited, signed with the new key.
$A certify "$T/csu-r4.card" --dspt standards-met --dspt-year 2025/26 -o "$T/csu2.cert" || fail "certify new card"
$A directory -o "$T/dir2" 2>/dev/null || fail "directory 2"
"$CDX" directory import --home "$T/csu" "$T/dir2" >/dev/null || fail "import dir2 at csu"
"$CDX" directory import --home "$T/ccg" "$T/dir2" >/dev/null || fail "import dir2 at ccg"
start csu; start ccg
wait_until 60 ds_available ccg "$id2" || fail "v2, published before the rotation, was not delivered: $(ds_state ccg "$id2")"
wait_until 60 ds_available ccg "$id3" || fail "v3, published before the rotation, was not delivered: $(ds_state ccg "$id3")"
for v in 2 3; do
    eval id=\$id$v
    "$CDX" export --home "$T/ccg" "$id" --purpose commissioning -o "$T/out$v.csv" >/dev/null || fail "export v$v"
    cmp -s "$T/v$v.csv" "$T/out$v.csv" || fail "v$v differs"
done
wait_until 30 is_delivered csu "$id3" 04V || fail "no receipt for v3"
has_rule ccg receive refuse signature.verify && fail "the subscriber refused a signature"
grep -q "does not verify" "$T/ccg.log" && fail "the subscriber saw a signature that does not verify"
say ok
