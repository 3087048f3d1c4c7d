# Local access control: roles decide who may export, publish, read the
# audit log and manage users; every refusal names the role and how to get
# it, and is in the audit log with its rule. CDX_USER acts as another
# local user only for an admin.
. "$(dirname "$0")/lib.sh"

me=$(id -un)
make_node a 0DF csu
printf 'practice,admissions\nA81001,12\n' > "$T/data.csv"
id=$("$CDX" publish --home "$T/a" --topic sus/apc --class aggregate --purpose commissioning "$T/data.csv") ||
    fail publish
"$CDX" user add --home "$T/a" alice --role analyst >/dev/null || fail "user add alice"
"$CDX" user add --home "$T/a" bob --role publisher >/dev/null || fail "user add bob"
as() { u=$1; shift; CDX_USER=$u "$CDX" "$@" --home "$T/a"; }
# refused EXPECT-IN-STDERR COMMAND...: exits 4 and says EXPECT.
refused() {
    want=$1; shift
    set +e; "$@" >/dev/null 2>"$T/err"; rc=$?; set -e
    [ "$rc" -eq 4 ] || fail "$*: exit $rc, expected 4 (refused): $(cat "$T/err")"
    grep -qF -- "$want" "$T/err" || fail "$*: refusal does not say '$want': $(cat "$T/err")"
}

# An analyst exports for the purpose the dataset was published for.
as alice export "$id" --purpose commissioning -o "$T/out.csv" >/dev/null || fail "analyst export"
cmp -s "$T/data.csv" "$T/out.csv" || fail "exported content differs"
# Without the role; with a purpose not covered; with none.
refused "cdx user add bob --role analyst" as bob export "$id" --purpose commissioning -o "$T/x1"
refused "not covered" as alice export "$id" --purpose risk-stratification -o "$T/x2"
refused "--purpose commissioning" as alice export "$id" -o "$T/x3"
[ ! -e "$T/x1" ] && [ ! -e "$T/x2" ] && [ ! -e "$T/x3" ] || fail "a refused export wrote a file"
# The audit log is for the IG officer; users for admins; publish for publishers.
refused "cdx user add alice --role ig-officer" as alice audit
refused "ig-officer" as alice audit verify
refused "cdx user add alice --role admin" as alice user add alice --role admin
refused "cdx user add alice --role publisher" as alice publish --topic t --class aggregate --purpose commissioning "$T/data.csv"
as bob publish --topic t --class aggregate --purpose commissioning "$T/data.csv" >/dev/null || fail "publisher publish"
refused "last admin" "$CDX" user remove "$me" --home "$T/a"

# Each decision is in the audit log: who (login and role), the rule, the purpose claimed.
"$CDX" audit --json --home "$T/a" > "$T/audit.json" || fail "audit read by the ig-officer"
python3 - "$T/audit.json" "$me" <<'PY' || fail "audit log lacks the decisions"
import json, sys
log, me = json.load(open(sys.argv[1])), sys.argv[2]
# CDX_USER names the real account beside the one it acts as.
via = " by %s (CDX_USER)" % me
def has(**kw):
    return any(all(e[k] == v for k, v in kw.items()) for e in log)
checks = [
    dict(action="init", actor="user:%s (admin)" % me),
    dict(action="user-add", object="alice", decision="allow", actor="user:%s (admin)" % me),
    dict(action="export", decision="allow", rule="local.export", actor="user:alice (analyst)" + via, purpose="commissioning"),
    dict(action="export", decision="refuse", rule="role.missing", actor="user:bob (publisher)" + via),
    dict(action="export", decision="refuse", rule="export.purpose", actor="user:alice (analyst)" + via, purpose="risk-stratification"),
    dict(action="export", decision="refuse", rule="export.purpose", actor="user:alice (analyst)" + via, purpose=None),  # none claimed: null
    dict(action="audit-read", decision="refuse", rule="role.missing", actor="user:alice (analyst)" + via),
    dict(action="audit-verify", decision="refuse", rule="role.missing"),
    dict(action="user-add", decision="refuse", rule="role.missing", actor="user:alice (analyst)" + via),
    dict(action="publish", decision="refuse", rule="role.missing", actor="user:alice (analyst)" + via),
    dict(action="publish", decision="allow", actor="user:bob (publisher)" + via),
    dict(action="user-remove", decision="refuse", rule="user.last-admin"),
]
missing = [c for c in checks if not has(**c)]
for c in missing:
    print("missing:", c, file=sys.stderr)
sys.exit(1 if missing else 0)
PY
[ "$("$CDX" audit --user alice --decision refuse --json --home "$T/a" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 6 ] ||
    fail "--user alice --decision refuse should list alice's 6 refusals"

# CDX_USER is honoured only for an admin: once the real account is not one,
# acting as another user is refused (and audited), even as a user with roles.
"$CDX" user add --home "$T/a" carol --role admin >/dev/null || fail "user add carol"
"$CDX" user remove --home "$T/a" "$me" --role admin >/dev/null || fail "drop own admin"
set +e; CDX_USER=carol "$CDX" user add --home "$T/a" "$me" --role admin >/dev/null 2>"$T/err"; rc=$?; set -e
[ "$rc" -ne 0 ] && grep -q "only for an admin" "$T/err" || fail "a non-admin used CDX_USER (exit $rc)"
"$CDX" audit --json --action act-as --home "$T/a" | grep -q '"rule":"user.override"' || fail "override refusal not audited"
"$CDX" user list --json --home "$T/a" | python3 -c '
import json, sys
u = {x["login"]: x["roles"] for x in json.load(sys.stdin)}
sys.exit(0 if u.get("carol") == ["admin"] and "admin" not in u[sys.argv[1]] else 1)' "$me" || fail "user list"
say ok
