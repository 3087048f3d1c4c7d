# Files the user names are created, never replaced: cdx export, agreement
# -o, audit export and authority -o refuse an existing path (a file, the
# node's own store, a symlink, even a dangling one), leave it untouched,
# exit 1, and say so; what they write appears whole or not at all.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
agree csu ccg "sus/*"
head -c 5000 /dev/urandom > "$T/data.csv"
id=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/data.csv") ||
    fail "publish"

# refuses CMD...: CMD exits 1 naming the existing path, and writes nothing.
refuses() {
    what=$1; shift
    rc=0; "$@" > "$T/out" 2> "$T/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "$what: exit $rc, not 1 ($(cat "$T/err"))"
    grep -q "already exists" "$T/err" || fail "$what: the message does not say the file exists: $(cat "$T/err")"
}

# The node's own store, named as the output of an export.
inode=$(stat -c %i "$T/csu/store.db")
refuses "export over the store" "$CDX" export --home "$T/csu" --purpose commissioning "$id" -o "$T/csu/store.db"
[ "$(stat -c %i "$T/csu/store.db")" = "$inode" ] || fail "the store was replaced by a refused export"
store_ok csu || fail "the store is damaged"
[ "$(ds_state csu "$id")" = published ] || fail "the store lost the dataset"
has_rule csu export refuse local.export || fail "the refused export is not in the log"

# An existing file, untouched.
echo "keep me" > "$T/existing"
refuses "export over a file" "$CDX" export --home "$T/csu" --purpose commissioning "$id" -o "$T/existing"
[ "$(cat "$T/existing")" = "keep me" ] || fail "an existing file was replaced by export"

# A symlink, pointing at a file and pointing nowhere: neither followed nor replaced.
echo "victim" > "$T/victim"
ln -s "$T/victim" "$T/link"
ln -s "$T/nowhere" "$T/dangling"
for target in link dangling; do
    refuses "export over a $target symlink" "$CDX" export --home "$T/csu" --purpose commissioning "$id" -o "$T/$target"
    [ -L "$T/$target" ] || fail "the $target symlink was replaced"
done
[ "$(cat "$T/victim")" = "victim" ] || fail "export wrote through a symlink"
[ ! -e "$T/nowhere" ] || fail "export created the target of a dangling symlink"

# agreement -o (propose and sign), through a symlink and over a file.
"$CDX" agreement list --home "$T/csu" --json > /dev/null || fail "agreement list"
ref=$(cat "$T/last_ref")
refuses "agreement sign -o over a symlink" "$CDX" agreement sign --home "$T/ccg" "$T/$ref.p" -o "$T/link"
[ "$(cat "$T/victim")" = "victim" ] || fail "agreement -o wrote through a symlink"
refuses "agreement propose -o over a file" "$CDX" agreement propose --home "$T/csu" --ref DSA-NEW-1 --recipient 04V \
    --provider-ig "IG lead" --recipient-ig "IG lead" --topics sus/apc --class aggregate --purposes commissioning \
    --art6 "6(1)(e) public task" --opt-out not-required --end now+30d -o "$T/existing"
[ "$(cat "$T/existing")" = "keep me" ] || fail "agreement propose replaced a file"

# audit export over the store and over a symlink.
refuses "audit export over a symlink" "$CDX" audit export --home "$T/csu" -o "$T/link"
refuses "audit export over a file" "$CDX" audit export --home "$T/csu" -o "$T/existing"
[ "$(cat "$T/victim")" = "victim" ] && [ "$(cat "$T/existing")" = "keep me" ] || fail "audit export replaced a file"

# authority -o: the certificate file.
"$CDX" authority init --home "$T/auth" --name "Test authority" > /dev/null || fail "authority init"
"$CDX" card --home "$T/csu" > "$T/csu.card2"
refuses "authority certify -o over a file" "$CDX" authority certify --home "$T/auth" "$T/csu.card2" \
    --dspt standards-met --dspt-year 2025/26 -o "$T/existing"
[ "$(cat "$T/existing")" = "keep me" ] || fail "authority certify replaced a file"

# A file that appears at the destination while the export writes is not
# replaced either: the export fails at the end, nothing is left.
head -c $((64 * 1048576)) /dev/zero > "$T/big.csv"
big=$("$CDX" publish --home "$T/csu" --topic sus/big --class pseudonymised --purpose commissioning "$T/big.csv") ||
    fail "publish big"
mkdir "$T/late"
slowly 5 "$CDX" export --home "$T/csu" --purpose commissioning "$big" -o "$T/late/out.csv" > /dev/null 2> "$T/late.err" &
pid=$!
stop_when_writing "$pid" "$T/late"
echo "came first" > "$T/late/out.csv"
kill -CONT "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 1 ] || fail "an export over a file that appeared meanwhile exited $rc, not 1: $(cat "$T/late.err")"
grep -q "appeared while it was being written" "$T/late.err" || fail "the reason is not given: $(cat "$T/late.err")"
[ "$(cat "$T/late/out.csv")" = "came first" ] || fail "the file that appeared meanwhile was replaced"
[ "$(ls -A "$T/late")" = out.csv ] || fail "something was left beside it: $(ls -A "$T/late")"
has_rule csu export allow local.export && [ "$(q csu "SELECT count(*) FROM audit WHERE action = 'export' AND decision = 'allow' AND detail LIKE '%late/out.csv%'")" -gt 0 ] &&
    fail "the failed export was logged as allowed"

# A killed export leaves nothing: no part of the decrypted data on disk.
mkdir "$T/killed"
slowly 5 "$CDX" export --home "$T/csu" --purpose commissioning "$big" -o "$T/killed/out.csv" > /dev/null 2>&1 &
pid=$!
stop_when_writing "$pid" "$T/killed"
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
[ -z "$(ls -A "$T/killed")" ] || fail "a killed export left files: $(ls -A "$T/killed")"

# Nothing left beside the destinations, and a fresh name works for each.
ls -a "$T" | grep -q '\.cdx-' && fail "a temporary file was left behind: $(ls -a "$T" | grep '\.cdx-')"
"$CDX" export --home "$T/csu" --purpose commissioning "$id" -o "$T/fresh.csv" > /dev/null || fail "export to a new file"
cmp -s "$T/data.csv" "$T/fresh.csv" || fail "the export differs"
[ "$(stat -c %a "$T/fresh.csv")" = 600 ] || fail "the export is not 0600"
"$CDX" audit export --home "$T/csu" -o "$T/audit.json" > /dev/null || fail "audit export to a new file"
"$CDX" authority certify --home "$T/auth" "$T/csu.card2" --dspt standards-met --dspt-year 2025/26 -o "$T/csu.cert" > /dev/null ||
    fail "authority certify to a new file"
ls -a "$T" | grep -q '\.cdx-' && fail "a temporary file was left behind"
say "ok: existing paths refused and untouched"
