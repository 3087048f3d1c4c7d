# Altered data is refused by the receiver and recorded on both sides:
# a sealed chunk changed on the publisher's disk, and a manifest signature
# changed in the publisher's store. The receiver stays up and holds nothing.
. "$(dirname "$0")/lib.sh"

make_node csu 0DF csu
make_node ccg 04V ccg
pin csu ccg; pin ccg csu
agree csu ccg "*"
start csu; start ccg
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc >/dev/null
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/op >/dev/null
wait_until 20 subscription_active ccg 0DF sus/op || fail "subscription not confirmed"
stop csu

# 1. One byte of chunk 1 flipped on the publisher's disk.
head -c 3000000 /dev/urandom > "$T/a.csv"
id=$("$CDX" publish --home "$T/csu" --topic sus/apc --class pseudonymised --purpose commissioning "$T/a.csv")
python3 - "$T/csu/data/$id.sealed" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(1048576 + 16 + 500)      # inside chunk 1
    b = f.read(1); f.seek(-1, 1); f.write(bytes([b[0] ^ 0x01]))
PY
# 2. A manifest signature altered in the publisher's store.
head -c 5000 /dev/urandom > "$T/b.csv"
id2=$("$CDX" publish --home "$T/csu" --topic sus/op --class pseudonymised --purpose commissioning "$T/b.csv")
sqlite3 "$T/csu/store.db" "UPDATE datasets SET sig = zeroblob(64) WHERE id = '$id2';"

start csu
wait_until 30 audit_has ccg receive refuse chunk.authentication || fail "tampered chunk not refused"
wait_until 30 audit_has ccg receive refuse offer.signature || fail "bad signature not refused"
wait_until 20 audit_has csu send refuse peer.error || fail "publisher did not record the refusal"
[ "$(dataset_state ccg "$id")" != available ] || fail "tampered dataset became available"
[ "$(dataset_state ccg "$id2")" = none ] || fail "dataset with a bad signature was stored"
wait_until 20 sh -c "[ \"\$(\"$CDX\" deliveries --json --home \"$T/csu\" | python3 -c 'import json,sys; print([d[\"state\"] for d in json.load(sys.stdin) if d[\"dataset\"]==sys.argv[1]][0])' $id2)\" = failed ]" \
    || fail "delivery with a bad signature not marked failed"
must_refuse "export of a refused dataset" "dataset $id is (receiving|failed), not available" \
    "$CDX" export --purpose commissioning --home "$T/ccg" "$id" -o "$T/x.out"
running ccg || fail "receiver died"
running csu || fail "publisher died"
store_ok ccg || fail "receiver store damaged"
say ok
