# A third party, written from protocol/SPEC.md with pyzmq, msgpack and
# PyNaCl alone (tests/integration/hostile.py), publishes to a cdx node:
#  - valid datasets (two 1 MiB chunks, 26 small chunks with credit flowing
#    back, empty) become available and export byte-identical; each is
#    answered with a RECEIPT whose signature verifies with the victim's
#    sign-key; a repeated OFFER gets the RECEIPT again;
#  - a sealed chunk that fails authentication (11 ways, spread over four
#    hostile identities because the node cuts off a peer after a few) ->
#    ERROR(CHUNK); a new OFFER then completes the dataset; a peer driven to
#    its cut-off does not affect the others;
#  - chunks that authenticate but a signed hash that is wrong -> ERROR(HASH),
#    and the dataset is failed;
#  - manifests at the edges of the SPEC's numeric bounds are answered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"

make_node victim 04V ccg
for n in evil:EVL ev2:EV2 ev3:EV3 ev4:EV4; do
    identity "${n%:*}" "${n#*:}"
    "$CDX" subscribe --home "$T/victim" --from "${n#*:}" --topic evl/t >/dev/null
done
start victim
id_of() { sed -n "s/^dataset=$1 //p" "$2"; }
state_of() { sqlite3 "$T/victim/store.db" "SELECT state FROM datasets WHERE id = '$1'"; }

hostile deliver-ok --out "$T/content" > "$T/deliver.out" ||
    { cat "$T/deliver.out"; fail "a valid delivery by a third party failed"; }
cat "$T/deliver.out"
for name in big small empty; do
    id=$(id_of $name "$T/deliver.out")
    [ ${#id} -eq 32 ] || fail "no dataset id for $name"
    [ "$(state_of "$id")" = available ] || fail "$name dataset $id is '$(state_of "$id")', not available"
    "$CDX" export --purpose commissioning --home "$T/victim" "$id" -o "$T/$name.export" >/dev/null || fail "export of $name"
    cmp -s "$T/content.$name" "$T/$name.export" || fail "$name: exported content differs"
done
audit_has victim receive allow signature.verified || fail "no audit entry for the verified receive"

hostile chunk-errors --out "$T/content" --more "$T/ev2" --more "$T/ev3" --more "$T/ev4" > "$T/chunk.out" ||
    { cat "$T/chunk.out"; fail "CHUNK / HASH not answered as the SPEC says"; }
cat "$T/chunk.out"
id=$(id_of recovered "$T/chunk.out")
[ "$(state_of "$id")" = available ] || fail "the dataset re-offered after ERROR(CHUNK) is not available"
"$CDX" export --purpose commissioning --home "$T/victim" "$id" -o "$T/recovered.export" >/dev/null || fail "export of the recovered dataset"
cmp -s "$T/content.recovered" "$T/recovered.export" || fail "recovered: exported content differs"
for name in hash hash-empty; do
    id=$(id_of $name "$T/chunk.out")
    [ "$(state_of "$id")" = failed ] || fail "$name: dataset is '$(state_of "$id")', not failed"
    must_refuse "$name: export of a failed dataset" "dataset $id is failed, not available" \
        "$CDX" export --purpose commissioning --home "$T/victim" "$id" -o "$T/x"
done
audit_has victim receive refuse chunk.authentication || fail "no audit entry for ERROR(CHUNK)"
audit_has victim receive refuse content.hash || fail "no audit entry for ERROR(HASH)"

hostile big-numbers --evil "$T/ev3" || fail "manifests at the edges of the bounds"
running victim || fail "the node died"
store_ok victim || fail "store damaged"
say ok
