# Local access control: roles decide who may export, publish, read the
# audit log and manage users; every refusal names the role and how to get
# it, and is in the audit log with its rule. The people are real logins
# (useradd) acting through the running node's control socket, which knows
# them from the kernel: CDX_USER in the environment changes nothing.
. "$(dirname "$0")/lib.sh"

me=$(id -un)
people alice bob carol
make_node a 0DF csu
printf 'practice,admissions\nA81001,12\n' > "$T/data.csv"
chmod 644 "$T/data.csv"
id=$("$CDX" publish --home "$T/a" --topic sus/apc --class aggregate --purpose commissioning "$T/data.csv") ||
    fail publish
"$CDX" user add --home "$T/a" "$alice" --role analyst >/dev/null || fail "user add alice"
"$CDX" user add --home "$T/a" "$bob" --role publisher >/dev/null || fail "user add bob"
start a
by() { u=$1; shift; eval "u=\$$u"; as "$u" "$@" --home "$T/a"; }
# refused EXPECT-IN-STDERR COMMAND...: exits 4 and says EXPECT.
refused() {
    want=$1; shift
    set +e; "$@" >/dev/null 2>"$T/err"; rc=$?; set -e
    [ "$rc" -eq 4 ] || fail "$*: exit $rc, expected 4 (refused): $(cat "$T/err")"
    grep -qF -- "$want" "$T/err" || fail "$*: refusal does not say '$want': $(cat "$T/err")"
}

# An analyst exports for the purpose the dataset was published for.
by alice export "$id" --purpose commissioning -o "$T/pub/out.csv" >/dev/null || fail "analyst export"
cmp -s "$T/data.csv" "$T/pub/out.csv" || fail "exported content differs"
[ "$(stat -c '%U %a' "$T/pub/out.csv")" = "$alice 600" ] || fail "the export is not alice's, 0600: $(stat -c '%U %a' "$T/pub/out.csv")"
# Without the role; with a purpose not covered; with none (a bad command
# line: exit 2, naming the purpose to give, and nothing to audit).
refused "cdx user add $bob --role analyst" by bob export "$id" --purpose commissioning -o "$T/pub/x1"
refused "not covered" by alice export "$id" --purpose risk-stratification -o "$T/pub/x2"
set +e; by alice export "$id" -o "$T/pub/x3" >/dev/null 2>"$T/err"; rc=$?; set -e
[ "$rc" -eq 2 ] || fail "export without --purpose: exit $rc, expected 2 (bad command line): $(cat "$T/err")"
grep -qF -- "--purpose commissioning" "$T/err" || fail "export without --purpose does not name it: $(cat "$T/err")"
[ ! -e "$T/pub/x1" ] && [ ! -e "$T/pub/x2" ] && [ ! -e "$T/pub/x3" ] || fail "a refused export wrote a file"
# The audit log is for the IG officer; users for admins; publish for publishers.
refused "cdx user add $alice --role ig-officer" by alice audit
refused "ig-officer" by alice audit verify
refused "cdx user add $alice --role admin" by alice user add "$alice" --role admin
refused "cdx user add $alice --role publisher" by alice publish --topic t --class aggregate --purpose commissioning "$T/data.csv"
# CDX_USER changes nothing: alice naming the node's admin is still alice.
refused "cdx user add $alice --role admin" env CDX_USER="$me" runuser -u "$alice" -- "$CDX" user add "$alice" --role admin --home "$T/a"
by bob publish --topic t --class aggregate --purpose commissioning "$T/data.csv" >/dev/null || fail "publisher publish"
refused "last admin" "$CDX" user remove "$me" --home "$T/a"

# Each decision is in the audit log: who (login and role), the rule, the purpose claimed.
"$CDX" audit --json --home "$T/a" > "$T/audit.json" || fail "audit read by the ig-officer"
python3 - "$T/audit.json" "$me" "$alice" "$bob" <<'PY' || fail "audit log lacks the decisions"
import json, sys
log, me, alice, bob = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
via = ""
def has(**kw):
    return any(all(e[k] == v for k, v in kw.items()) for e in log)
checks = [
    dict(action="init", actor="user:%s (admin)" % me),
    dict(action="user-add", object=alice, decision="allow", actor="user:%s (admin)" % me),
    dict(action="export", decision="allow", rule="local.export", actor="user:%s (analyst)" % alice + via, purpose="commissioning"),
    dict(action="export", decision="refuse", rule="role.missing", actor="user:%s (publisher)" % bob + via),
    dict(action="export", decision="refuse", rule="export.purpose", actor="user:%s (analyst)" % alice + via, purpose="risk-stratification"),
    dict(action="audit-read", decision="refuse", rule="role.missing", actor="user:%s (analyst)" % alice + via),
    dict(action="audit-verify", decision="refuse", rule="role.missing"),
    dict(action="user-add", decision="refuse", rule="role.missing", actor="user:%s (analyst)" % alice + via),
    dict(action="publish", decision="refuse", rule="role.missing", actor="user:%s (analyst)" % alice + via),
    dict(action="publish", decision="allow", actor="user:%s (publisher)" % bob + via),
    dict(action="user-remove", decision="refuse", rule="user.last-admin"),
]
missing = [c for c in checks if not has(**c)]
for c in missing:
    print("missing:", c, file=sys.stderr)
sys.exit(1 if missing else 0)
PY
[ "$("$CDX" audit --user "$alice" --decision refuse --json --home "$T/a" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 6 ] ||
    fail "--user $alice --decision refuse should list alice's 6 refusals"
# Not one entry names anyone but who acted: none was written as the admin
# that CDX_USER named.
"$CDX" audit --json --home "$T/a" | python3 -c '
import json, sys
me = sys.argv[1]
bad = [e for e in json.load(sys.stdin) if e["actor"].startswith("user:%s " % me) and e["rule"] == "role.missing"]
sys.exit(1 if bad else 0)' "$me" || fail "an entry was written as the login CDX_USER named"

# An admin is one because the node says so, not because a variable does:
# carol, made admin, manages users; the test's account, no longer one, is refused.
"$CDX" user add --home "$T/a" "$carol" --role admin >/dev/null || fail "user add carol"
"$CDX" user remove --home "$T/a" "$me" --role admin >/dev/null || fail "drop own admin"
refused "cdx user add $me --role admin" env CDX_USER="$carol" "$CDX" user add --home "$T/a" "$me" --role admin
by carol user add "$me" --role admin >/dev/null || fail "carol, an admin, cannot grant"
"$CDX" user list --json --home "$T/a" | python3 -c '
import json, sys
u = {x["login"]: x["roles"] for x in json.load(sys.stdin)}
sys.exit(0 if u.get(sys.argv[2]) == ["admin"] and "admin" in u[sys.argv[1]] else 1)' "$me" "$carol" || fail "user list"
say ok
