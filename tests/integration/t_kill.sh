# SIGKILL either node at arbitrary moments of a transfer, restart it, and
# repeat: the stores always open and pass an integrity check, and the
# dataset finally arrives exactly once with the right content.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
agree csu ccg "*"
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic big >/dev/null
wait_until 20 subscription_active ccg 0DF big || fail "subscription not confirmed"

head -c $((96 * 1048576)) /dev/urandom > "$T/big.csv"
id=$("$CDX" publish --home "$T/csu" --topic big --class pseudonymised --purpose commissioning "$T/big.csv")
i=0
while [ $i -lt 6 ]; do
    i=$((i + 1))
    sleep "0.$(( (i * 37) % 3 + 1 ))"
    victim=ccg; [ $((i % 2)) -eq 0 ] && victim=csu
    stop "$victim" KILL
    store_ok "$victim" || fail "store of $victim damaged after SIGKILL ($i)"
    "$CDX" datasets --home "$T/$victim" >/dev/null || fail "store of $victim does not open after SIGKILL ($i)"
    start "$victim"
done
wait_until 90 is_available ccg "$id" || fail "dataset never completed after the kills"
"$CDX" export --purpose commissioning --home "$T/ccg" "$id" -o "$T/out" >/dev/null
cmp -s "$T/big.csv" "$T/out" || fail "content differs after resumption"
n=$("$CDX" datasets --json --home "$T/ccg" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 1 ] || fail "receiver holds $n datasets, expected exactly 1"
wait_until 30 is_delivered csu "$id" 04V || fail "no receipt after the kills"
store_ok csu && store_ok ccg || fail "integrity check failed at the end"
say ok
