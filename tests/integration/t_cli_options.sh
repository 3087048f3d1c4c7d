# Each sub-verb takes only its own options: an option another form of the
# command takes (cdx authority init --dspt, cdx agreement list --retention)
# is a bad command line, exit 2, naming the option and the form, and
# nothing is done or audited. Numbers are whole and in range, every
# character a digit: junk, a sign, a base, a unit or a number past the
# range is refused with exit 2 naming the option.
. "$(dirname "$0")/lib.sh"

make_node a 0DF csu
entries() { "$CDX" audit --json --home "$T/a" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# exits CODE WANT COMMAND...: COMMAND exits CODE and says WANT on stderr.
exits() {
    code=$1 want=$2; shift 2
    set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e
    [ "$rc" -eq "$code" ] || fail "$*: exit $rc, expected $code: $(cat "$T/err")"
    grep -qF -- "$want" "$T/err" || fail "$*: the message does not say '$want': $(cat "$T/err")"
}

# 1. An option of another form, per sub-verb.
exits 2 "--dspt is not an option of cdx authority init" \
    "$CDX" authority init --home "$T/auth" --name "NHS England" --dspt standards-met
[ ! -e "$T/auth/authority.pub" ] || fail "cdx authority init with a foreign option made an authority"
"$CDX" authority init --home "$T/auth" --name "NHS England" >/dev/null || fail "authority init"
exits 2 "--org is not an option of cdx authority directory" \
    "$CDX" authority directory --home "$T/auth" --org 0DF -o "$T/dir"
[ ! -e "$T/dir" ] || fail "cdx authority directory with a foreign option wrote a directory"
exits 2 "--dspt is not an option of cdx authority revoke" \
    "$CDX" authority revoke --home "$T/auth" --org 0DF --dspt standards-met

before=$(entries a)
exits 2 "--retention is not an option of cdx agreement list" "$CDX" agreement list --home "$T/a" --retention 30
exits 2 "--end is not an option of cdx agreement revoke" \
    "$CDX" agreement revoke --home "$T/a" DSA-1 --end now+1d
exits 2 "--reason is not an option of cdx agreement sign" \
    "$CDX" agreement sign --home "$T/a" DSA-1 --reason why
exits 2 "--output is not an option of cdx agreement show" "$CDX" agreement show --home "$T/a" DSA-1 -o "$T/agr"
exits 2 "--wide is not an option of cdx audit verify" "$CDX" audit verify --home "$T/a" --wide
exits 2 "--json is not an option of cdx user add" "$CDX" user add --home "$T/a" bob --role analyst --json
"$CDX" user list --home "$T/a" | grep -q '^bob ' && fail "cdx user add with a foreign option added bob"
exits 2 "--json is not an option of cdx retention set" \
    "$CDX" retention set --home "$T/a" --published --topic sus/apc 30d --json
exits 2 "--json is not an option of cdx directory import" \
    "$CDX" directory import --home "$T/a" "$T/dir" --json
exits 2 "unrecognized option" "$CDX" card --home "$T/a" --json
exits 2 "unrecognized option" "$CDX" subscribe --home "$T/a" --from 04V --topic sus/apc --purpose commissioning
[ "$(entries a)" = "$before" ] || fail "a foreign option was audited ($before entries, then $(entries a))"
"$CDX" retention list --home "$T/a" | grep -q sus/apc && fail "a refused retention set made a rule"

# 2. Numbers: whole, in range, digits only.
terms="--ref DSA-2 --recipient 04V --provider-ig P --recipient-ig R --topics sus/apc --class aggregate
       --purposes commissioning --art6 6(1)(e) --opt-out not-required --end now+30d"
for junk in junk 12x -5 +5 0x10 " 7" 1e3 0 36501 99999999999999999999; do
    # shellcheck disable=SC2086
    exits 2 "--retention: a whole number from 1 to 36500, not \"$junk\"" \
        "$CDX" agreement propose --home "$T/a" $terms --retention "$junk"
done
exits 2 "--days: a whole number from 1 to 3660" "$CDX" authority directory --home "$T/auth" --days 7d -o "$T/dir"
exits 2 "--history: a whole number" "$CDX" subscribe --home "$T/a" --from 04V --topic sus/apc --history 1.5
exits 2 "--version: a whole number" "$CDX" export --home "$T/a" --topic sus/apc --version -1 \
    --purpose commissioning -o "$T/x"
"$CDX" agreement list --home "$T/a" | grep -q DSA-2 && fail "a junk --retention proposed an agreement"
[ "$(entries a)" = "$before" ] || fail "a junk number was audited ($before entries, then $(entries a))"
say "ok"
