# Every --json listing prints the keys docs/JSON.md documents for it, no
# more and no fewer (a key documented "only when ..." may be absent), and
# an absent value is null, never "". Also the small things of the command
# line: an unknown command is one line naming the nearest command, and a
# unique prefix of a dataset id stands for it (an ambiguous one is refused
# naming the candidates).
. "$(dirname "$0")/lib.sh"
DOC="$(dirname "$0")/../../docs/JSON.md"
[ -f "$DOC" ] || fail "docs/JSON.md is missing"

"$CDX" init --home "$T/csu" --org 0DF --role csu --name "Test csu" --endpoint "tcp://127.0.0.1:$(free_port)" \
    --json > "$T/init.json" || fail "init --json"
grant csu; "$CDX" card --home "$T/csu" > "$T/csu.card"
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
agree csu ccg "sus/*"
ref=$(cat "$T/last_ref")
"$CDX" retention set --home "$T/ccg" --from 0DF --topic sus/apc 30 >/dev/null || fail "retention set"
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null
wait_until 20 subscription_active ccg 0DF sus/apc || fail "subscription not confirmed"
head -c 3000 /dev/urandom > "$T/a.csv"
"$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/a.csv" \
    --json > "$T/publish.json" || fail "publish --json"
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/publish.json")
wait_until 30 is_available ccg "$id" || fail "ccg did not receive $id"
wait_until 20 is_delivered csu "$id" 04V || fail "no receipt from 04V"
"$CDX" audit export --home "$T/ccg" -o "$T/ccg-audit.json" >/dev/null || fail "audit export"

# NAME: the command line after cdx (its heading in docs/JSON.md).
j() { # FILE ARGS...
    f=$1; shift
    "$CDX" "$@" > "$T/$f.json" || fail "cdx $* exited $?"
    printf '%s\t%s\n' "$f" "$*" >> "$T/listings"
}
cp /dev/null "$T/listings"
printf 'init\tinit --json\npublish\tpublish --json\n' >> "$T/listings"
j peers peers --home "$T/csu" --json
j directory directory show --home "$T/csu" --json
j subscriptions subscriptions --home "$T/csu" --json
j datasets datasets --home "$T/csu" --json
j datasets2 datasets --home "$T/ccg" --json
j deliveries deliveries --home "$T/csu" --json
"$CDX" status --home "$T/csu" --json > "$T/status.json" || [ $? -eq 7 ] || fail "status --json"
printf 'status\tstatus --json\n' >> "$T/listings"
j retention retention list --home "$T/ccg" --json
j users user list --home "$T/csu" --json
j agreements agreement list --home "$T/csu" --json
j agreement agreement show "$ref" --home "$T/csu" --json
j audit audit --home "$T/csu" --json
j verify audit verify --home "$T/csu" --json
j report report resilience --home "$T/csu" --json
rc=0; "$CDX" audit reconcile --home "$T/csu" "$T/ccg-audit.json" --json > "$T/reconcile.json" || rc=$?
[ "$rc" -eq 0 ] || fail "audit reconcile exited $rc"
printf 'reconcile\taudit reconcile FILE --json\n' >> "$T/listings"

python3 - "$DOC" "$T" <<'EOF' || fail "the --json listings and docs/JSON.md disagree (above)"
import json, re, sys
doc, T = sys.argv[1], sys.argv[2]
# docs/JSON.md: a "## `cdx COMMAND --json`" heading per listing, then a
# table whose rows start with | `key` |; "only when" in a row: optional;
# a "###" heading (the keys of a nested object) ends the section.
keys, section = {}, None
for line in open(doc, encoding="utf-8"):
    if line.startswith("### "):          # a nested object's keys: not checked here
        section = None
        continue
    m = re.match(r"^## `cdx (.*?)`", line)
    if m:
        section = re.sub(r"\s+", " ", m.group(1).replace("--json", "")).strip()
        keys[section] = {}
        continue
    m = re.match(r"^\| `([a-z0-9_]+)` \|", line)
    if m and section:
        keys[section][m.group(1)] = "only when" in line
def norm(cmd):
    words = [w for w in cmd.split() if not w.startswith("/")]
    out, skip = [], False
    for w in words:
        if skip: skip = False; continue
        if w == "--home": skip = True; continue
        if w != "--json": out.append(w)
    return " ".join(out)
bad = []
for row in open(T + "/listings"):
    f, cmd = row.rstrip("\n").split("\t")
    cmd = norm(cmd)
    cmd = re.sub(r"agreement show \S+", "agreement show REF", cmd)
    want = keys.get(cmd)
    if want is None:
        bad.append("docs/JSON.md has no section for cdx %s" % cmd); continue
    data = json.load(open("%s/%s.json" % (T, f)))
    objs = data if isinstance(data, list) else [data]
    if isinstance(data, dict) and "mismatches" in data:
        objs = [data]
    if not objs:
        bad.append("cdx %s printed no object to check" % cmd); continue
    for o in objs:
        got = set(o)
        extra = got - set(want)
        missing = {k for k, opt in want.items() if not opt} - got
        if extra: bad.append("cdx %s prints undocumented keys %s" % (cmd, sorted(extra)))
        if missing: bad.append("cdx %s lacks documented keys %s" % (cmd, sorted(missing)))
        for k, v in o.items():
            if v == "": bad.append('cdx %s: "%s" is "", not null' % (cmd, k))
for b in sorted(set(bad)): print(b)
sys.exit(1 if bad else 0)
EOF
say "every --json listing matches docs/JSON.md; absent values are null"

# ---- an unknown command: one line, the nearest command --------------------
rc=0; "$CDX" publsh --home "$T/csu" 2>"$T/err" >/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "an unknown command exited $rc, not 2"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "an unknown command printed $(wc -l < "$T/err") lines, not one: $(head -3 "$T/err")"
grep -q "did you mean 'publish'" "$T/err" || fail "an unknown command does not name the nearest: $(cat "$T/err")"

# ---- a unique prefix of a dataset id --------------------------------------
short=$(printf %.8s "$id")
"$CDX" export --home "$T/ccg" "$short" --purpose commissioning -o "$T/by-prefix.csv" >/dev/null 2>"$T/err" ||
    fail "export by a unique prefix: $(cat "$T/err")"
cmp -s "$T/a.csv" "$T/by-prefix.csv" || fail "the export by prefix differs"
"$CDX" wait --home "$T/ccg" "$short" --timeout 5 || fail "wait by a unique prefix"
# An ambiguous prefix: a second row whose id shares the first 8 digits
# (set up in the store directly; ids are random).
fill=ffffffffffffffffffffffff
[ "$(printf %s "$id" | cut -c9)" != f ] || fill=000000000000000000000000
twin="$short$fill"
q ccg "CREATE TEMP TABLE t AS SELECT * FROM datasets WHERE id = '$id';
       UPDATE t SET id = '$twin', version = version + 1000; INSERT INTO datasets SELECT * FROM t;" ||
    fail "cannot set up the twin dataset"
rc=0; "$CDX" export --home "$T/ccg" "$short" --purpose commissioning -o "$T/amb.csv" 2>"$T/err" >/dev/null || rc=$?
[ "$rc" -eq 2 ] && grep -q "ambiguous" "$T/err" || fail "an ambiguous prefix exited $rc: $(cat "$T/err")"
grep -q "$id" "$T/err" && grep -q "$twin" "$T/err" || fail "the refusal does not name the candidates: $(cat "$T/err")"
[ ! -e "$T/amb.csv" ] || fail "an ambiguous prefix exported something"
"$CDX" export --home "$T/ccg" "$(printf %.9s "$id")" --purpose commissioning -o "$T/nine.csv" >/dev/null 2>&1 ||
    fail "one more digit does not resolve the ambiguity"
rc=0; "$CDX" export --home "$T/ccg" "ab" --purpose commissioning -o "$T/x.csv" 2>"$T/err" >/dev/null || rc=$?
[ "$rc" -eq 2 ] && grep -q "first 4 or more" "$T/err" || fail "a two-digit prefix exited $rc: $(cat "$T/err")"
rc=0; "$CDX" wait --home "$T/ccg" "ffff0000" --timeout 1 2>"$T/err" || rc=$?
grep -q "no dataset here has an id starting ffff0000" "$T/err" || fail "a prefix matching nothing: $(cat "$T/err")"
say "ok"
