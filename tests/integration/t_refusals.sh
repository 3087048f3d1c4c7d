# Every refusal by a rule is in the audit log and exits 4; a bad command
# line exits 2 and is not audited. A publish refused for its governance
# (policy.legal-basis, policy.opt-out, policy.onward) or its role
# (role.missing) is recorded with the rule, the user and role, the
# purpose claimed and the file; a refused export (role.missing,
# export.purpose, the policy's) with the dataset (topic,
# version, id), its publisher and the purpose claimed, like an allowed
# one. The people are real logins acting through the running node (and
# CDX_USER in their environment changes nothing). docs/IG-RULES.md names
# this test.
. "$(dirname "$0")/lib.sh"

me=$(id -un)
people alice bob
make_node a 0DF csu
make_node b 04V ccg
pin a b; pin b a
printf 'practice,admissions\nA81001,12\n' > "$T/data.csv"
chmod 644 "$T/data.csv"
file=$(cd "$T" && pwd -P)/data.csv
"$CDX" user add --home "$T/a" "$alice" --role analyst >/dev/null || fail "user add alice"
"$CDX" user add --home "$T/a" "$bob" --role ig-officer >/dev/null || fail "user add bob"
start a; start b

# exits CODE WANT COMMAND...: COMMAND exits CODE and says WANT on stderr.
exits() {
    code=$1 want=$2; shift 2
    set +e; "$@" >/dev/null 2>"$T/err"; rc=$?; set -e
    [ "$rc" -eq "$code" ] || fail "$*: exit $rc, expected $code: $(cat "$T/err")"
    grep -qF -- "$want" "$T/err" || fail "$*: the message does not say '$want': $(cat "$T/err")"
}
entries() { "$CDX" audit --json --home "$T/$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# entry NODE FIELD=VALUE...: the newest entry at NODE has these fields
# (FIELD~=TEXT: its FIELD contains TEXT).
entry() {
    node=$1; shift
    "$CDX" audit --json --home "$T/$node" | python3 -c '
import json, sys
e = json.load(sys.stdin)[-1]
bad = []
for kv in sys.argv[1:]:
    k, v = kv.split("=", 1)
    if k.endswith("~"):
        if v not in e[k[:-1]]: bad.append(kv)
    elif e[k] != v:
        bad.append(kv)
if bad:
    print("newest entry %s lacks %s" % (json.dumps(e), bad), file=sys.stderr)
    sys.exit(1)' "$@" || fail "the audit entry of the refusal is not as expected"
}
pub() { "$CDX" publish --home "$T/a" --topic out/t --purpose commissioning "$@" "$T/data.csv"; }

# 1. Publish, refused for its governance before anything is written: exit
#    4, the rule named, and an entry with the rule, user and role, purpose
#    and file.
exits 4 "policy.legal-basis" pub --class identifiable
entry a action=publish decision=refuse rule=policy.legal-basis "actor=user:$me (publisher)" \
    object=out/t purpose=commissioning "detail~=file $file"
exits 4 "policy.opt-out" pub --class identifiable --legal-basis "6(1)(e); 9(2)(h)"
entry a action=publish decision=refuse rule=policy.opt-out purpose=commissioning "detail~=file $file"
exits 4 "--opt-out not-identifiable contradicts" pub --class identifiable --legal-basis "6(1)(e)" \
    --opt-out not-identifiable
entry a action=publish decision=refuse rule=policy.opt-out "actor=user:$me (publisher)" "detail~=file $file"
exits 4 "policy.onward" pub --class aggregate --agreement DSA-NONE
entry a action=publish decision=refuse rule=policy.onward "detail~=no such agreement" "detail~=file $file"
agree b a "in/*"; ref=$(cat "$T/last_ref")          # 04V provides to 0DF; no onward sharing
exits 4 "does not allow onward sharing" pub --class aggregate --agreement "$ref"
entry a action=publish decision=refuse rule=policy.onward "actor=user:$me (publisher)" purpose=commissioning \
    "detail~=file $file"
exits 4 "cdx user add $alice --role publisher" as "$alice" publish --home "$T/a" --topic out/t \
    --class aggregate --purpose commissioning "$T/data.csv"
entry a action=publish decision=refuse rule=role.missing "actor~=user:$alice (analyst)" object=out/t \
    purpose=commissioning "detail~=file $file"
[ -z "$(ls "$T/a/data")" ] || fail "a refused publish left a file in data/"

# 2. A bad command line: exit 2, nothing audited.
before=$(entries a)
exits 2 "--org 0df" "$CDX" init --home "$T/x" --org 0df --role csu --name X --endpoint tcp://127.0.0.1:1
exits 2 "--role must be csu or ccg" "$CDX" init --home "$T/x" --org 0DF --role CCG --name X \
    --endpoint tcp://127.0.0.1:1
[ ! -e "$T/x" ] || fail "cdx init with a bad value made a home"
exits 2 "--class must be one of" pub --class pseudonymized
exits 2 "--opt-out must be" pub --class identifiable --legal-basis x --opt-out applied
exits 2 "--role takes" "$CDX" user add --home "$T/a" carol --role CCG
for verb in card peers subscriptions datasets deliveries; do
    exits 2 "unexpected argument 'stray'" "$CDX" "$verb" --home "$T/a" stray
done
ok=$(pub --class aggregate) || fail "publish within the rules"
after=$(entries a)
exits 2 "--purpose commissioning" "$CDX" export --home "$T/a" "$ok" -o "$T/o1"
exits 2 "--purpose must be one of" "$CDX" export --home "$T/a" "$ok" --purpose research -o "$T/o1"
[ "$(entries a)" = "$after" ] && [ "$after" = $((before + 1)) ] ||
    fail "a bad command line was audited ($before entries, then $after and $(entries a))"
[ ! -e "$T/o1" ] || fail "a refused export wrote a file"

# 3. Refused exports name the dataset, its publisher and the purpose claimed.
object="out/t v1 $ok"
exits 4 "cdx user add $bob --role analyst" as "$bob" export --home "$T/a" "$ok" \
    --purpose commissioning -o "$T/pub/o2"
entry a action=export decision=refuse rule=role.missing "actor~=user:$bob (ig-officer)" "object=$object" \
    peer=0DF purpose=commissioning
exits 4 "not covered" as "$alice" export --home "$T/a" "$ok" --purpose risk-stratification -o "$T/pub/o3"
entry a action=export decision=refuse rule=export.purpose "actor~=user:$alice (analyst)" "object=$object" \
    peer=0DF purpose=risk-stratification
# The policy's refusal: data received under an agreement revoked since.
"$CDX" subscribe --home "$T/a" --from 04V --topic in/t >/dev/null || fail subscribe
wait_until 20 subscription_active a 04V in/t || fail "the subscription was not accepted"
got=$("$CDX" publish --home "$T/b" --topic in/t --class aggregate --purpose commissioning "$T/data.csv") ||
    fail "publish at 04V"
wait_until 30 is_available a "$got" || fail "the dataset did not arrive"
"$CDX" agreement revoke --home "$T/a" "$ref" --reason "ended" >/dev/null || fail revoke
exits 4 "revoked" as "$alice" export --home "$T/a" "$got" --purpose commissioning -o "$T/pub/o4"
entry a action=export decision=refuse rule=policy.agreement-revoked "object=in/t v1 $got" peer=04V \
    purpose=commissioning
# CDX_USER names nobody: bob, naming the analyst, is still bob (role.missing),
# and the entry is his, recorded as the export asked for.
exits 4 "cdx user add $bob --role analyst" env CDX_USER="$alice" runuser -u "$bob" -- "$CDX" export \
    --home "$T/a" "$ok" --purpose commissioning -o "$T/pub/o5"
entry a action=export decision=refuse rule=role.missing "actor=user:$bob (ig-officer)" "object=$object" peer=0DF \
    purpose=commissioning
for f in o2 o3 o4 o5; do [ ! -e "$T/pub/$f" ] || fail "a refused export wrote $f"; done
running a && running b || fail "a node died"
say ok
