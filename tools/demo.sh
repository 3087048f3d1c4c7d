#!/bin/sh
# make demo: a CSU and two CCGs on loopback share a synthetic SUS-style
# admitted patient care extract, end to end encrypted and signed; an
# unknown node is turned away; then each node's audit log is shown.
# Exits 0 only if every check passed. Usage: tools/demo.sh [BUILD_DIR]
set -eu
BUILD=${1:-build}
CDX="$(cd "$BUILD" && pwd)/cdx"
GEN="$(cd "$BUILD" && pwd)/cdx-gen-apc"
ROWS=${CDX_DEMO_ROWS:-50000}
D=$(mktemp -d "${TMPDIR:-/tmp}/cdx-demo.XXXXXX")
PIDS=""

cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
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
sub_active() { "$CDX" subscriptions --json --home "$D/$1" | grep -q '"state":"active"'; }

step "1. Three organisations create their nodes (keys in 0600 files, a SQLite store each)"
"$CDX" init --home "$D/csu" --org 0DF --role csu --name "Commissioning Support Unit 0DF" --endpoint "tcp://127.0.0.1:$(port)"
"$CDX" init --home "$D/ccg1" --org 04V --role ccg --name "Clinical Commissioning Group 04V" --endpoint "tcp://127.0.0.1:$(port)"
"$CDX" init --home "$D/ccg2" --org 10Q --role ccg --name "Clinical Commissioning Group 10Q" --endpoint "tcp://127.0.0.1:$(port)"
for n in csu ccg1 ccg2; do "$CDX" card --home "$D/$n" > "$D/$n.card"; done
ME=$(id -un)
echo "   roles: $ME made the nodes and is their admin; it grants the data roles explicitly"
"$CDX" user add --home "$D/csu" "$ME" --role publisher,ig-officer
for n in ccg1 ccg2; do
    "$CDX" user add --home "$D/$n" "$ME" --role ig-officer
    "$CDX" user add --home "$D/$n" analyst1 --role analyst
done
echo "   the CSU's identity card:"
sed 's/^/     | /' "$D/csu.card"

step "2. They exchange and verify cards (each card is self-signed; pinned by hand here)"
"$CDX" peer add --home "$D/csu" "$D/ccg1.card"
"$CDX" peer add --home "$D/csu" "$D/ccg2.card"
"$CDX" peer add --home "$D/ccg1" "$D/csu.card"
"$CDX" peer add --home "$D/ccg2" "$D/csu.card"

step "3. The nodes start (CURVE on every socket; ZAP admits only added peers)"
for n in csu ccg1 ccg2; do
    "$CDX" run --home "$D/$n" 2>"$D/$n.log" & PIDS="$PIDS $!"
done

step "4. Both CCGs subscribe to the CSU's monthly APC extract"
"$CDX" subscribe --home "$D/ccg1" --from 0DF --topic sus/apc/monthly
"$CDX" subscribe --home "$D/ccg2" --from 0DF --topic sus/apc/monthly
wait_for 20 sub_active ccg1 && wait_for 20 sub_active ccg2 || die "subscriptions not confirmed"
"$CDX" subscriptions --home "$D/csu"

step "5. The CSU generates a synthetic SUS-style APC extract ($ROWS spells, pseudonymised) and publishes it"
"$GEN" --rows "$ROWS" --seed 2026 --class pseudonymised --commissioner 04V --commissioner 10Q -o "$D/apc.csv"
echo "   first rows:"; head -n 3 "$D/apc.csv" | cut -c1-150 | sed 's/^/     | /'
printf '   %s bytes, sha256 %s\n' "$(stat -c %s "$D/apc.csv")" "$(sha256sum "$D/apc.csv" | cut -c1-16)"
id=$("$CDX" publish --home "$D/csu" --topic sus/apc/monthly --class pseudonymised --purpose commissioning "$D/apc.csv")
echo "   dataset id $id"

step "6. Both CCGs receive it, verify the signature and hash, and store it sealed"
wait_for 60 available ccg1 "$id" || die "04V did not receive the extract"
wait_for 60 available ccg2 "$id" || die "10Q did not receive the extract"
"$CDX" datasets --home "$D/ccg1"
"$CDX" datasets --home "$D/ccg2"
if cmp -s -n 65536 "$D/apc.csv" "$D/ccg1/data/$id.sealed"; then die "received data is stored in the clear"; fi
ok "at rest, the received copy is ciphertext"

step "7. Each CCG exports its copy and proves it matches what the CSU published"
if "$CDX" export --purpose commissioning --home "$D/ccg1" "$id" -o "$D/refused.csv" 2>/dev/null; then
    die "an export without the analyst role worked"
fi
ok "$ME (admin, ig-officer) may not export: analysts export, for a declared purpose (audited)"
for n in ccg1 ccg2; do
    # CDX_USER acts as another local user; honoured only for an admin (demo and tests).
    CDX_USER=analyst1 "$CDX" export --purpose commissioning --home "$D/$n" "$id" -o "$D/$n-apc.csv"
    cmp "$D/apc.csv" "$D/$n-apc.csv" || die "$n copy differs"
    "$GEN" --verify "$D/$n-apc.csv" --class pseudonymised >/dev/null || die "$n copy is not a well-formed extract"
    ok "$n: sha256 $(sha256sum "$D/$n-apc.csv" | cut -c1-16) identical to the original, $(($(wc -l < "$D/$n-apc.csv") - 1)) rows"
done

step "8. The CSU holds a signed receipt from each CCG"
wait_for 20 sh -c "[ \$(\"$CDX\" deliveries --json --home \"$D/csu\" | grep -o '\"state\":\"delivered\"' | wc -l) -eq 2 ]" \
    || die "receipts missing"
"$CDX" deliveries --home "$D/csu"

step "9. An organisation the CSU never added tries to connect: refused at the door"
"$CDX" init --home "$D/rogue" --org 99X --role ccg --name "Unknown node" --endpoint "tcp://127.0.0.1:$(port)" >/dev/null
"$CDX" peer add --home "$D/rogue" "$D/csu.card" >/dev/null
"$CDX" run --home "$D/rogue" 2>"$D/rogue.log" & PIDS="$PIDS $!"
"$CDX" subscribe --home "$D/rogue" --from 0DF --topic sus/apc/monthly >/dev/null
wait_for 20 sh -c "\"$CDX\" audit --home \"$D/csu\" | grep -q zap.unknown-key" || die "rogue not refused"
ok "the CSU refused the unknown key and recorded it; the rogue holds $("$CDX" datasets --json --home "$D/rogue" | grep -o '"id"' | wc -l) datasets"

step "10. What an IG officer sees: each node's audit log"
for n in csu ccg1 ccg2; do
    echo "   --- $n"
    "$CDX" audit --home "$D/$n" | cut -c1-220
done

step "11. The CSU and a CCG reconcile their records: the CCG's signed audit export against the CSU's receipts"
"$CDX" audit export --home "$D/ccg1" -o "$D/ccg1-audit.json"
"$CDX" audit reconcile --home "$D/csu" "$D/ccg1-audit.json" || die "the records of 0DF and 04V differ"

printf '\n\033[1mdemo: all checks passed\033[0m\n'
