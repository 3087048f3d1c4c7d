# Two peers the node has added, EVIL and OTHER, each publishing a topic the
# node subscribed to. A dataset id belongs to its publisher: EVIL must not
# be able to reuse the id of OTHER's dataset, neither while OTHER is
# sending it nor once the node holds it, nor the id of a dataset the node
# published itself (which EVIL learns by subscribing to it); and EVIL must
# not be able to take every incoming-transfer slot from OTHER.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hostile.sh"

make_node victim 04V ccg
make_node evil EVL csu          # a real endpoint: EVIL listens there to learn ids
pin victim evil; pin evil victim
agree evil victim "*"; agree victim evil "*"
identity other OTH
"$CDX" subscribe --home "$T/victim" --from EVL --topic evl/t >/dev/null
"$CDX" subscribe --home "$T/victim" --from OTH --topic oth/t >/dev/null
start victim
state_of() { sqlite3 "$T/victim/store.db" "SELECT state || ' (publisher ' || publisher || ')' FROM datasets WHERE id = '$1'"; }

# OTHER sends chunk 0 of 3 of its dataset X; EVIL offers its own content as
# X. Right: EVIL is refused, OTHER's transfer completes, X exports as
# OTHER's content.
hijack_receiving() {
    hostile hijack-receiving --other "$T/other" --out "$T/x1.content" > "$T/x1.out" || { cat "$T/x1.out"; return 1; }
    cat "$T/x1.out"
    id=$(sed -n 's/^dataset=//p' "$T/x1.out")
    "$CDX" export --purpose commissioning --home "$T/victim" "$id" -o "$T/x1.export" >/dev/null && cmp -s "$T/x1.content" "$T/x1.export"
}
# (A dataset id belongs to one publisher and one manifest: SPEC 11.2 step 6.)
hijack_receiving \
    || fail "EVIL can take over OTHER's dataset id in transfer"
id=$(sed -n 's/^dataset=//p' "$T/x1.out")
say "  then X is $(state_of "$id") at the victim; export: $("$CDX" export --purpose commissioning --home "$T/victim" "$id" -o "$T/x1.export" 2>&1 >/dev/null | head -n 1)"

# An available dataset is answered with a RECEIPT only for its own
# publisher and manifest.
hostile hijack-available --other "$T/other" --out "$T/x2.content" \
    || fail "EVIL gets a RECEIPT (with OTHER's content hash) for OTHER's dataset id"

# The victim publishes X on vic/t; EVIL subscribes, reads X from the OFFER
# it gets, and offers its own content as X. Right: refused; X stays
# published, its sealed file untouched, and it exports.
head -c 3000 /dev/urandom > "$T/own.csv"
own=$("$CDX" publish --home "$T/victim" --topic vic/t --class aggregate --purpose commissioning "$T/own.csv")
sum0=$(cksum < "$T/victim/data/$own.sealed")
hijack_own() {
    hostile hijack-own --victim-topic vic/t > "$T/x3.out" || { cat "$T/x3.out"; return 1; }
    cat "$T/x3.out"
    [ "$(sqlite3 "$T/victim/store.db" "SELECT state FROM datasets WHERE id = '$own'")" = published ] &&
        [ "$(cksum < "$T/victim/data/$own.sealed")" = "$sum0" ] &&
        "$CDX" export --purpose commissioning --home "$T/victim" "$own" -o "$T/own.export" >/dev/null && cmp -s "$T/own.csv" "$T/own.export"
}
# Not even the node's own published dataset can be taken over by id.
hijack_own \
    || fail "EVIL can overwrite a dataset this node published"
[ "$(sed -n 's/^dataset=//p' "$T/x3.out")" = "$own" ] || fail "EVIL did not learn the id from the OFFER"
say "  then the victim's own X is $(state_of "$own"); sealed file $([ "$(cksum < "$T/victim/data/$own.sealed")" = "$sum0" ] && echo unchanged || echo changed); export: $("$CDX" export --purpose commissioning --home "$T/victim" "$own" -o "$T/own.export" 2>&1 >/dev/null | head -n 1)"

# One publisher holds at most 4 of the 64 incoming-transfer slots (SPEC
# 11.2 step 9), so an honest publisher still gets in.
hostile slots --other "$T/other" \
    || fail "one peer can hold every incoming-transfer slot; an honest publisher then gets INTERNAL"

running victim || fail "the node died"
store_ok victim || fail "store damaged"
say ok
