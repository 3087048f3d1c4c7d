#!/bin/sh
# make demo: a CSU and two CCGs on loopback share a synthetic SUS-style
# admitted patient care extract, end to end encrypted and signed; the
# nodes trust one another through a national authority's signed directory
# (no hand pinning), and a node the authority never certified is turned
# away; then the information governance scenes (agreements and the policy
# at work); then each node's audit log is shown. The people are real
# logins made for the demo (a publisher, an analyst, an IG officer, removed
# at the end), each acting as themselves through the running nodes'
# control sockets; so it runs as root. Last, the CSU runs a second node,
# its first node is killed and the second delivers in its place.
# Exits 0 only if every check passed. Usage: tools/demo.sh [BUILD_DIR]
set -eu
BUILD=${1:-build}
CDX="$(cd "$BUILD" && pwd)/cdx"
GEN="$(cd "$BUILD" && pwd)/cdx-gen-apc"
ROWS=${CDX_DEMO_ROWS:-50000}
[ "$(id -u)" = 0 ] || { echo "demo: it makes logins for its people (useradd): run it as root" >&2; exit 1; }
D=$(mktemp -d "${TMPDIR:-/tmp}/cdx-demo.XXXXXX")
PIDS="" PEOPLE="" SUFFIX=$$
GROUP="cdxdemo$SUFFIX" PUB="pub$SUFFIX" ANA="analyst$SUFFIX" IG="ig$SUFFIX"

cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    rm -rf "$D"
    for u in $PEOPLE; do userdel -f "$u" >/dev/null 2>&1 || true; done
    groupdel "$GROUP" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Bold headings on a terminal only (and not with NO_COLOR set): a log or a
# pipe gets plain text.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then BOLD=$(printf '\033[1m') PLAIN=$(printf '\033[0m'); else BOLD="" PLAIN=""; fi
step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
ok() { printf '   ok: %s\n' "$*"; }
die() { printf '\nDEMO FAILED: %s\n' "$*" >&2; for l in "$D"/*.log; do echo "--- $l" >&2; tail -n 20 "$l" >&2; done; exit 1; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

state_of() { # NODE ID
    "$CDX" datasets --json --home "$D/$1" | python3 -c '
import json,sys
print(next((d["state"] for d in json.load(sys.stdin) if d["id"] == sys.argv[1]), "none"))' "$2"
}
wait_for() { # SECONDS CMD...
    n=$(( $1 * 10 )); shift
    while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
    return 1
}
available() { [ "$(state_of "$1" "$2")" = available ]; }
# as LOGIN CDX-ARGS...: cdx run by one of the demo's people.
as() { who=$1; shift; runuser -u "$who" -- "$CDX" "$@"; }
ig() { as "$IG" "$@"; }
sub_active() { "$CDX" subscriptions --json --home "$D/$1" | grep -q '"state":"active"'; }

step "1. Three organisations create their nodes (keys in 0600 files, a SQLite store each)"
"$CDX" init --home "$D/csu" --org 0DF --role csu --name "Commissioning Support Unit 0DF" --endpoint "tcp://127.0.0.1:$(port)"
"$CDX" init --home "$D/ccg1" --org 04V --role ccg --name "Clinical Commissioning Group 04V" --endpoint "tcp://127.0.0.1:$(port)"
"$CDX" init --home "$D/ccg2" --org 10Q --role ccg --name "Clinical Commissioning Group 10Q" --endpoint "tcp://127.0.0.1:$(port)"
for n in csu ccg1 ccg2; do "$CDX" card --home "$D/$n" > "$D/$n.card"; done
ME=$(id -un)
groupadd "$GROUP" || die "groupadd $GROUP"
for u in "$PUB" "$ANA" "$IG"; do
    useradd -M -N -g "$GROUP" -s /bin/sh "$u" || die "useradd $u"
    PEOPLE="$PEOPLE $u"
done
chmod 711 "$D"; mkdir -m 1777 "$D/out"
runuser -u "$PUB" -- test -x "$D" ||
    die "the demo's directory $D is closed to other logins: set TMPDIR to a directory they can search"
for n in csu ccg1 ccg2; do chgrp "$GROUP" "$D/$n" && chmod 710 "$D/$n"; done
echo "   people: logins $PUB (publisher at the CSU), $ANA (analyst at the CCGs), $IG (IG officer)"
echo "   roles: $ME made the nodes and is their admin; it grants the data roles explicitly"
"$CDX" user add --home "$D/csu" "$PUB" --role publisher
"$CDX" user add --home "$D/csu" "$IG" --role ig-officer
for n in ccg1 ccg2; do
    "$CDX" user add --home "$D/$n" "$IG" --role ig-officer
    "$CDX" user add --home "$D/$n" "$ANA" --role analyst
done
echo "   the CSU's identity card:"
sed 's/^/     | /' "$D/csu.card"

step "2. The national authority certifies each node (DSPT status, validity) and signs a directory"
"$CDX" authority --home "$D/authority" init --name "NHS England (demo)"
"$CDX" authority --home "$D/authority" certify "$D/csu.card" --dspt standards-exceeded --dspt-year 2025/26 -o "$D/csu.cert"
"$CDX" authority --home "$D/authority" certify "$D/ccg1.card" --dspt standards-met --dspt-year 2025/26 -o "$D/ccg1.cert"
"$CDX" authority --home "$D/authority" certify "$D/ccg2.card" --dspt standards-met --dspt-year 2025/26 -o "$D/ccg2.cert"
"$CDX" authority --home "$D/authority" directory -o "$D/directory"
echo "   each node trusts the authority's key and imports the directory; no node pins another by hand:"
for n in csu ccg1 ccg2; do
    "$CDX" trust --home "$D/$n" --authority "$D/authority/authority.pub" >/dev/null
    "$CDX" directory import --home "$D/$n" "$D/directory"
done
"$CDX" peers --home "$D/csu"

step "2b. The CSU and each CCG sign a data sharing agreement (nothing flows without one)"
for c in ccg1:04V ccg2:10Q; do
    n=${c%:*} org=${c#*:}
    "$CDX" agreement propose --home "$D/csu" --ref "DSA-0DF-$org-2026" --recipient "$org" \
        --provider-ig "IG lead, CSU 0DF" --recipient-ig "IG lead, CCG $org" --topics "sus/apc/*" \
        --class pseudonymised --purposes commissioning --art6 "6(1)(e) public task" \
        --art9 "9(2)(h) management of health care systems" --duty "not applicable: pseudonymised" \
        --opt-out not-required --end now+365d --retention 365 --onward no -o "$D/dsa-$org.bin"
    "$CDX" agreement sign --home "$D/$n" "$D/dsa-$org.bin" -o "$D/dsa-$org.signed"
    "$CDX" agreement sign --home "$D/csu" "$D/dsa-$org.signed"
done
"$CDX" agreement list --home "$D/csu"
step "3. The nodes start (CURVE on every socket; ZAP admits only certified peers)"
for n in csu ccg1 ccg2; do
    "$CDX" run --home "$D/$n" --socket-group "$GROUP" 2>"$D/$n.log" & PIDS="$PIDS $!"
done
wait_for 10 sh -c "[ -S '$D/csu/control.sock' ] && [ -S '$D/ccg1/control.sock' ] && [ -S '$D/ccg2/control.sock' ]" ||
    die "the nodes did not start"
echo "   each node alone holds its keys and store; people reach it on its control socket (group $GROUP)"
if runuser -u "$PUB" -- cat "$D/csu/store.db" >/dev/null 2>&1; then die "$PUB can read the store"; fi

step "4. Both CCGs subscribe to the CSU's monthly APC extract"
"$CDX" subscribe --home "$D/ccg1" --from 0DF --topic sus/apc/monthly
"$CDX" subscribe --home "$D/ccg2" --from 0DF --topic sus/apc/monthly
wait_for 20 sub_active ccg1 && wait_for 20 sub_active ccg2 || die "subscriptions not confirmed"
"$CDX" subscriptions --home "$D/csu"

step "5. The CSU generates a synthetic SUS-style APC extract ($ROWS spells, pseudonymised) and publishes it"
"$GEN" --rows "$ROWS" --seed 2026 --class pseudonymised --commissioner 04V --commissioner 10Q -o "$D/apc.csv"
echo "   first rows:"; head -n 3 "$D/apc.csv" | cut -c1-150 | sed 's/^/     | /'
printf '   %s bytes, sha256 %s\n' "$(stat -c %s "$D/apc.csv")" "$(sha256sum "$D/apc.csv" | cut -c1-16)"
id=$(as "$PUB" publish --home "$D/csu" --topic sus/apc/monthly --class pseudonymised --purpose commissioning "$D/apc.csv")
echo "   dataset id $id, published by $PUB"

step "6. Both CCGs receive it, verify the signature and hash, and store it sealed"
wait_for 60 available ccg1 "$id" || die "04V did not receive the extract"
wait_for 60 available ccg2 "$id" || die "10Q did not receive the extract"
"$CDX" datasets --home "$D/ccg1"
"$CDX" datasets --home "$D/ccg2"
if cmp -s -n 65536 "$D/apc.csv" "$D/ccg1/data/$id.sealed"; then die "received data is stored in the clear"; fi
ok "at rest, the received copy is ciphertext"

step "7. Each CCG exports its copy and proves it matches what the CSU published"
if ig export --purpose commissioning --home "$D/ccg1" "$id" -o "$D/out/refused.csv" 2>/dev/null; then
    die "an export without the analyst role worked"
fi
ok "$IG (ig-officer) may not export: analysts export, for a declared purpose (audited)"
for n in ccg1 ccg2; do
    as "$ANA" export --purpose commissioning --home "$D/$n" "$id" -o "$D/out/$n-apc.csv"
    cmp "$D/apc.csv" "$D/out/$n-apc.csv" || die "$n copy differs"
    [ "$(stat -c '%U %a' "$D/out/$n-apc.csv")" = "$ANA 600" ] || die "$n copy is not $ANA's own, mode 0600"
    "$GEN" --verify "$D/out/$n-apc.csv" --class pseudonymised >/dev/null || die "$n copy is not a well-formed extract"
    ok "$n: $ANA's file, sha256 $(sha256sum "$D/out/$n-apc.csv" | cut -c1-16) identical to the original, $(($(wc -l < "$D/out/$n-apc.csv") - 1)) rows"
done

step "8. The CSU holds a signed receipt from each CCG"
wait_for 20 sh -c "[ \$(\"$CDX\" deliveries --json --home \"$D/csu\" | grep -o '\"state\":\"delivered\"' | wc -l) -eq 2 ]" \
    || die "receipts missing"
"$CDX" deliveries --home "$D/csu"

step "9. Store and forward: 10Q goes offline; next month's extract is queued for it, and delivered when it is back"
set -- $PIDS
ccg2_pid=$3
kill -TERM "$ccg2_pid"; wait "$ccg2_pid" 2>/dev/null || true
PIDS="$1 $2"
"$GEN" --rows "$((ROWS / 2))" --seed 2027 --class pseudonymised --commissioner 04V --commissioner 10Q -o "$D/apc2.csv"
id2=$(as "$PUB" publish --home "$D/csu" --topic sus/apc/monthly --class pseudonymised --purpose commissioning "$D/apc2.csv")
wait_for 60 available ccg1 "$id2" || die "04V did not receive the second extract"
delivery_state() { # ID SUBSCRIBER
    "$CDX" deliveries --json --home "$D/csu" | python3 -c '
import json,sys
print(next((d["state"] for d in json.load(sys.stdin) if d["dataset"] == sys.argv[1] and d["subscriber"] == sys.argv[2]), "none"))' "$1" "$2"
}
[ "$(delivery_state "$id2" 10Q)" = queued ] || die "the delivery to the offline 10Q is $(delivery_state "$id2" 10Q), not queued"
"$CDX" deliveries --home "$D/csu"
ok "delivered to 04V with a receipt; queued for 10Q while it is offline"
"$CDX" run --home "$D/ccg2" --socket-group "$GROUP" 2>>"$D/ccg2.log" & PIDS="$PIDS $!"
wait_for 60 available ccg2 "$id2" || die "10Q did not catch up when it came back"
wait_for 20 sh -c "[ \"\$(\"$CDX\" deliveries --json --home \"$D/csu\" | grep -o '\"state\":\"delivered\"' | wc -l)\" -eq 4 ]" \
    || die "receipts missing after 10Q caught up"
"$CDX" deliveries --home "$D/csu"
ok "10Q caught up when it came back online; the CSU holds four signed receipts"

step "10. An organisation the authority never certified tries to connect: refused at the door"
"$CDX" init --home "$D/rogue" --org 99X --role ccg --name "Unknown node" --endpoint "tcp://127.0.0.1:$(port)" >/dev/null
"$CDX" trust --home "$D/rogue" --authority "$D/authority/authority.pub" >/dev/null
"$CDX" directory import --home "$D/rogue" "$D/directory" >/dev/null   # the directory is public; a certificate is not
"$CDX" run --home "$D/rogue" 2>"$D/rogue.log" & PIDS="$PIDS $!"
"$CDX" subscribe --home "$D/rogue" --from 0DF --topic sus/apc/monthly >/dev/null
wait_for 20 sh -c "runuser -u $IG -- \"$CDX\" audit --home \"$D/csu\" | grep -q trust.uncertified" || die "rogue not refused"
ok "the CSU refused the uncertified key and recorded it; the rogue holds $("$CDX" datasets --json --home "$D/rogue" | grep -o '"id"' | wc -l) datasets"

# ---- Information governance scenes ---------------------------------------
# Agreements and the policy engine (node/policy.c, docs/IG-RULES.md): a
# delivery allowed under a signed agreement, one refused because the
# agreement has expired, one refused because the recipient's DSPT is not met.

step "IG-1. Allowed: the APC delivery above went under the signed agreement with 04V"
"$CDX" agreement show --home "$D/ccg1" DSA-0DF-04V-2026 | sed 's/^/     | /'
ig audit --home "$D/csu" --action offer --org 04V | cut -c1-200
ig audit --json --home "$D/csu" --action offer --org 04V | grep -q '"rule":"policy.allow"' ||
    die "the allowed delivery is not audited with its rule"
ok "the CSU's audit names the rule (policy.allow), the agreement and the purpose"

step "IG-2. Refused: an agreement for outpatient data with 04V runs out before the next delivery"
"$CDX" agreement propose --home "$D/csu" --ref DSA-0DF-04V-OP --recipient 04V \
    --provider-ig "IG lead, CSU 0DF" --recipient-ig "IG lead, CCG 04V" --topics "sus/op/*" \
    --class pseudonymised --purposes commissioning --art6 "6(1)(e) public task" --art9 "9(2)(h)" \
    --opt-out not-required --end now+6s -o "$D/op.bin" >/dev/null
"$CDX" agreement sign --home "$D/ccg1" "$D/op.bin" -o "$D/op.signed" >/dev/null
"$CDX" agreement sign --home "$D/csu" "$D/op.signed"
"$CDX" subscribe --home "$D/ccg1" --from 0DF --topic sus/op/monthly
wait_for 20 sh -c "\"$CDX\" subscriptions --json --home \"$D/ccg1\" | grep -q '\"topic\":\"sus/op/monthly\",\"state\":\"active\"'" ||
    die "outpatient subscription not confirmed"
while [ "$("$CDX" agreement list --json --home "$D/csu" | grep -o '"ref":"DSA-0DF-04V-OP","state":"[a-z-]*"')" != '"ref":"DSA-0DF-04V-OP","state":"expired"' ]; do sleep 0.5; done
"$CDX" agreement list --home "$D/csu"
head -c 20000 "$D/apc.csv" > "$D/op.csv"
op=$(as "$PUB" publish --home "$D/csu" --topic sus/op/monthly --class pseudonymised --purpose commissioning "$D/op.csv")
wait_for 20 sh -c "runuser -u $IG -- \"$CDX\" audit --json --home \"$D/csu\" --decision refuse | grep -q '\"rule\":\"policy.agreement-expired\"'" ||
    die "the delivery under an expired agreement was not refused"
ig audit --home "$D/csu" --decision refuse --dataset "$op" | cut -c1-200
[ "$(state_of ccg1 "$op")" = none ] || die "04V received data under an expired agreement"
ok "refused at the CSU (policy.agreement-expired); 04V holds nothing"

step "IG-3. Refused: 10Q's DSPT is downgraded to approaching standards before the next APC extract"
# The authority certifies 10Q again with its new status and signs a new
# directory; the CSU imports it (its running node takes it at once and
# passes it on to its peers).
"$CDX" authority --home "$D/authority" certify "$D/ccg2.card" --dspt approaching-standards --dspt-year 2025/26 -o "$D/ccg2-2.cert" >/dev/null
"$CDX" authority --home "$D/authority" directory -o "$D/directory2" >/dev/null
"$CDX" directory import --home "$D/csu" "$D/directory2"
"$CDX" peers --home "$D/csu"
head -c 30000 "$D/apc.csv" > "$D/apc3.csv"
id3=$(as "$PUB" publish --home "$D/csu" --topic sus/apc/monthly --class pseudonymised --purpose commissioning "$D/apc3.csv")
wait_for 60 available ccg1 "$id3" || die "04V did not receive the third extract"
wait_for 20 sh -c "runuser -u $IG -- \"$CDX\" audit --json --home \"$D/csu\" --decision refuse --org 10Q | grep -q '\"rule\":\"policy.dspt\"'" ||
    die "the delivery to 10Q was not refused on its DSPT"
ig audit --home "$D/csu" --decision refuse --org 10Q --dataset "$id3" | cut -c1-200
[ "$(state_of ccg2 "$id3")" = none ] || die "10Q received pseudonymised data with its DSPT not met"
ok "04V received the extract; 10Q was refused (policy.dspt) and holds nothing"
# ---- end of the information governance scenes ------------------------------

step "11. What an IG officer sees: each node's audit log, every refusal with its rule, and the chain verified"
for n in csu ccg1 ccg2; do
    echo "   --- $n"
    ig audit --home "$D/$n" | cut -c1-220
done
echo "   --- the refusals at the CSU, by rule"
ig audit --home "$D/csu" --decision refuse | cut -c1-200
for n in csu ccg1 ccg2; do
    ig audit verify --home "$D/$n" || die "the audit log of $n does not verify"
done
ok "each node's hash chain and signed checkpoints verify"

step "12. The CSU and a CCG reconcile their records: the CCG's signed audit export against the CSU's receipts"
ig audit export --home "$D/ccg1" -o "$D/out/ccg1-audit.json"
ig audit reconcile --home "$D/csu" "$D/out/ccg1-audit.json" || die "the records of 0DF and 04V differ"

step "13. Resilience: the CSU runs a second node, 0DF/b; its first node is lost and the organisation carries on"
"$CDX" init --home "$D/csu2" --org 0DF --node b --role csu --name "Commissioning Support Unit 0DF, second node" \
    --endpoint "tcp://127.0.0.1:$(port)" >/dev/null
"$CDX" card --home "$D/csu2" > "$D/csu2.card"
chgrp "$GROUP" "$D/csu2" && chmod 710 "$D/csu2"
"$CDX" user add --home "$D/csu2" "$IG" --role ig-officer >/dev/null
"$CDX" authority --home "$D/authority" certify "$D/csu2.card" --dspt standards-exceeded --dspt-year 2025/26 -o "$D/csu2.cert"
"$CDX" authority --home "$D/authority" directory -o "$D/directory3"
"$CDX" trust --home "$D/csu2" --authority "$D/authority/authority.pub" >/dev/null
for n in csu csu2; do "$CDX" directory import --home "$D/$n" "$D/directory3" >/dev/null; done
echo "   the directory now lists two nodes of 0DF; the running CSU node passes it on to the CCGs"
"$CDX" run --home "$D/csu2" --socket-group "$GROUP" 2>"$D/csu2.log" & PIDS="$PIDS $!"
held_at_b() { [ "$("$CDX" datasets --json --home "$D/csu2" | grep -o '"origin":"published"' | wc -l)" -ge 3 ]; }
wait_for 60 held_at_b || die "0DF/b did not receive copies of what 0DF holds"
wait_for 30 sh -c "\"$CDX\" subscriptions --json --home \"$D/csu2\" | grep -q '\"subscriber\":\"10Q\"'" ||
    die "0DF/b does not hold the CCGs' subscriptions"
ok "0DF/b holds a copy of every dataset 0DF published, its subscriptions and agreements"
set -- $PIDS                                             # csu ccg1 ccg2 rogue csu2
kill -TERM "$2"; wait "$2" 2>/dev/null || true          # 04V away, so its delivery waits
PIDS="$1 $3 $4 $5"
"$GEN" --rows "$((ROWS / 2))" --seed 2028 --class pseudonymised --commissioner 04V --commissioner 10Q -o "$D/apc3.csv"
id3=$(as "$PUB" publish --home "$D/csu" --topic sus/apc/monthly --class pseudonymised --purpose commissioning "$D/apc3.csv")
echo "   dataset $id3 published at 0DF, which returned once 0DF/b held a copy"
kill -KILL "$1"; wait "$1" 2>/dev/null || true
PIDS="$3 $4 $5"
echo "   0DF's first node is killed (SIGKILL) before it could deliver to 04V"
"$CDX" run --home "$D/ccg1" --socket-group "$GROUP" 2>>"$D/ccg1.log" & PIDS="$PIDS $!"
wait_for 90 available ccg1 "$id3" || die "04V did not receive the extract after 0DF's first node was lost"
ig audit --home "$D/csu2" --action failover | cut -c1-200
receipted_at_b() {
    "$CDX" deliveries --json --home "$D/csu2" | python3 -c '
import json, sys
sys.exit(0 if any(d["dataset"] == sys.argv[1] and d["subscriber"] == "04V" and d["state"] == "delivered"
                  and d.get("receipt") for d in json.load(sys.stdin)) else 1)' "$id3"
}
wait_for 20 receipted_at_b || die "0DF/b holds no signed receipt from 04V for $id3"
ok "0DF/b took over 15 s after 0DF was lost: 04V holds the extract, its signed receipt at 0DF/b (10Q stays refused: its DSPT)"
"$CDX" deliveries --home "$D/csu2" | grep "$id3" | cut -c1-160
# One period for both forms: the page and the JSON hold the same figures.
until=$(date -u +%Y-%m-%dT%H:%M:%SZ) since=$(date -u -d '90 days ago' +%Y-%m-%dT%H:%M:%SZ)
ig report resilience --home "$D/ccg1" --since "$since" --until "$until" -o "$D/out/ccg1-resilience.html"
ig report resilience --home "$D/ccg1" --since "$since" --until "$until" --json -o "$D/out/ccg1-resilience.json"
ig report resilience --home "$D/csu2" --json | python3 -c '
import json, sys
f = json.load(sys.stdin)["failovers"]
assert f["count"] >= 1, "no failover in the report of 0DF/b"
print("   the resilience report of 0DF/b: %d failover(s), the last in %d ms" % (f["count"], f["list"][-1]["ms"]))' ||
    die "the resilience report of 0DF/b does not show the failover"
# The page as a person reads it: headless Chromium renders it; its figures
# are those of --json (tests/integration/report_check.py, as t_report).
browse() { chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
    --user-data-dir="$D/chrome" --hide-scrollbars "$@" 2>>"$D/chromium.out"; }
browse --window-size=794,1123 --screenshot="$D/out/ccg1-resilience.png" "file://$D/out/ccg1-resilience.html" >/dev/null ||
    die "chromium could not render the report"
browse --dump-dom "file://$D/out/ccg1-resilience.html" > "$D/out/ccg1-resilience.dom" || die "chromium --dump-dom"
CHECK="python3 $(cd "$(dirname "$0")/.." && pwd)/tests/integration/report_check.py"
$CHECK png "$D/out/ccg1-resilience.png" 8 >/dev/null || die "the report's screenshot is blank"
$CHECK dom "$D/out/ccg1-resilience.dom" "$D/out/ccg1-resilience.json" > "$D/out/figures.txt" ||
    die "the report's figures in Chromium differ from its JSON"
n=$(wc -l < "$D/out/figures.txt")
ok "04V's resilience report renders in Chromium with the $n figures of its JSON"
if [ -n "${CDX_REPORT_EXAMPLE:-}" ]; then      # docs/examples/resilience.html and .png are made so
    cp "$D/out/ccg1-resilience.html" "$CDX_REPORT_EXAMPLE/resilience.html" &&
        cp "$D/out/ccg1-resilience.png" "$CDX_REPORT_EXAMPLE/resilience.png" || die "cannot copy the example"
fi

printf '\n%sdemo: all checks passed%s\n' "$BOLD" "$PLAIN"
