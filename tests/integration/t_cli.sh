# The command line: help teaches, exit codes are as documented, init
# refuses to overwrite, key files are private, altered cards are refused.
. "$(dirname "$0")/lib.sh"

"$CDX" --help | grep -q "Exit codes" || fail "cdx --help lacks exit codes"
for verb in init card peer peers user run publish subscribe subscriptions datasets deliveries export agreement retention audit; do
    "$CDX" "$verb" --help | grep -q "usage: cdx $verb" || fail "cdx $verb --help"
done
set +e
"$CDX" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command should exit 2"
"$CDX" datasets --home "$T/nothing" >/dev/null 2>&1; [ $? -eq 3 ] || fail "missing home should exit 3"
set -e

make_node a 0DF csu
make_node b 04V ccg
for k in sign box curve; do
    [ "$(stat -c %a "$T/a/keys/$k.key")" = 600 ] || fail "$k.key is not 0600"
done
set +e
"$CDX" init --home "$T/a" --org 0DF --role csu --name x --endpoint tcp://127.0.0.1:1 >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "init over an existing node should fail"
grep -q "$T/a already holds a node" "$T/err" || fail "init over a node does not say why: $(cat "$T/err")"
"$CDX" init --home "$T/c" --org lower --role csu --name x --endpoint tcp://127.0.0.1:1 2>"$T/err"
[ $? -ne 0 ] && grep -q "ODS code" "$T/err" || fail "bad org code not explained"
sed 's/^name: .*/name: Forged Name/' "$T/b.card" > "$T/forged.card"
"$CDX" peer add --home "$T/a" "$T/forged.card" >/dev/null 2>"$T/err"
[ $? -eq 4 ] || fail "altered card should exit 4"
grep -q "signature" "$T/err" || fail "altered card error does not say why"
head -c 100 /dev/urandom > "$T/junk.card"
"$CDX" peer add --home "$T/a" "$T/junk.card" >/dev/null 2>"$T/err"
[ $? -eq 4 ] || fail "junk card should exit 4"
grep -q "not a valid cdx card" "$T/err" || fail "junk card error does not say why: $(cat "$T/err")"
"$CDX" publish --home "$T/a" --topic t --class secret --purpose commissioning "$T/b.card" 2>"$T/err" >/dev/null
[ $? -ne 0 ] && grep -q -- "--class" "$T/err" || fail "bad class not named"
set -e
pin a b
"$CDX" peers --home "$T/a" | grep -q 04V || fail "peers does not list 04V"
"$CDX" audit --home "$T/a" | grep -q "card.signature" || fail "refused card not audited"
say ok
