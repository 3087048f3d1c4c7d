# A role removed while an export runs stops it: the export is decided again
# once its plaintext is complete, in the transaction that records it, so
# nothing is written and the log shows the removal before the refusal.
# The exporting command is stopped (SIGSTOP) after its first decision and
# resumed after the removal, so the race is taken every run.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
me=$(id -un)
head -c $((96 * 1048576)) /dev/zero > "$T/big.csv"
id=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/big.csv") ||
    fail "publish"

slowly 5 "$CDX" export --home "$T/csu" --purpose commissioning "$id" -o "$T/out.csv" > /dev/null 2> "$T/export.err" &
pid=$!
# Stopped once it writes its (still unnamed) file: past its first decision.
stop_when_writing "$pid" "$T"
"$CDX" user remove --home "$T/csu" "$me" --role analyst > /dev/null || fail "cannot remove the analyst role"
kill -CONT "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 4 ] || fail "the export was not refused (exit $rc): $(cat "$T/export.err")"
grep -q "no longer holds" "$T/export.err" || fail "the refusal does not say why: $(cat "$T/export.err")"
[ ! -e "$T/out.csv" ] || fail "a refused export left its file"
ls -a "$T" | grep -q '\.cdx-' && fail "a refused export left a temporary file"

# In the log: the removal, then the refusal; no allowed export.
has_rule csu export allow local.export && fail "the export was logged as allowed"
removed=$(q csu "SELECT max(seq) FROM audit WHERE action = 'user-remove' OR (action LIKE 'user%' AND detail LIKE '%analyst%')")
refused=$(q csu "SELECT max(seq) FROM audit WHERE action = 'export' AND decision = 'refuse' AND rule = 'role.missing'")
[ -n "$removed" ] && [ -n "$refused" ] || fail "the removal ($removed) or the refusal ($refused) is not in the log"
[ "$refused" -gt "$removed" ] || fail "the refusal (seq $refused) is logged before the removal (seq $removed)"
q csu "SELECT detail FROM audit WHERE seq = $refused" | grep -q "$id\|no longer holds" ||
    fail "the refusal entry does not say what happened"
[ -n "$(q csu "SELECT object FROM audit WHERE seq = $refused" | grep "$id")" ] || fail "the refusal does not name the dataset"
say "ok: the role removal stopped the export, logged in order"
