#!/bin/sh
# Peak resident memory of a publisher and a subscriber node while a dataset
# of SIZE MiB goes from `cdx publish` to `available`, and of the publish
# command itself. Usage: bench/memory.sh BUILD_DIR [SIZE_MIB]
# Prints one Markdown table row per process (VmHWM from /proc, in MiB).
set -eu
BUILD=$(cd "${1:-build}" && pwd)
SIZE=${2:-1024}
CDX="$BUILD/cdx"
D=$(mktemp -d "${TMPDIR:-/tmp}/cdx-mem.XXXXXX")
trap 'kill $P1 $P2 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$D"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hwm() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

"$CDX" init --home "$D/a" --org 0DF --role csu --name A --endpoint "tcp://127.0.0.1:$(port)" >/dev/null
"$CDX" init --home "$D/b" --org 04V --role ccg --name B --endpoint "tcp://127.0.0.1:$(port)" >/dev/null
"$CDX" card --home "$D/a" > "$D/a.card"; "$CDX" card --home "$D/b" > "$D/b.card"
"$CDX" peer add --home "$D/a" "$D/b.card" >/dev/null; "$CDX" peer add --home "$D/b" "$D/a.card" >/dev/null
"$CDX" run --home "$D/a" 2>"$D/a.log" & P1=$!
"$CDX" run --home "$D/b" 2>"$D/b.log" & P2=$!
"$CDX" subscribe --home "$D/b" --from 0DF --topic bench >/dev/null
until "$CDX" subscriptions --json --home "$D/b" | grep -q '"active"'; do sleep 0.1; done

head -c "$((SIZE * 1048576))" /dev/urandom > "$D/data"
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$D/publish.kb" "$CDX" publish --home "$D/a" --topic bench \
    --class aggregate --purpose commissioning "$D/data" > "$D/id"
id=$(cat "$D/id")
until "$CDX" datasets --json --home "$D/b" | grep -q "\"id\":\"$id\"[^}]*\"state\":\"available\""; do sleep 0.2; done
end=$(date +%s.%N)
printf '| %d MiB | publisher node %s MiB | subscriber node %s MiB | cdx publish %.1f MiB | publish-to-available %.1f s |\n' \
    "$SIZE" "$(hwm $P1)" "$(hwm $P2)" "$(echo "$(cat "$D/publish.kb") / 1024" | bc -l)" \
    "$(echo "$end - $start" | bc -l)"
