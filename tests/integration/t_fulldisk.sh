# The subscriber's disk is too small, then fills up in the middle of a
# delivery: its home is a 40 MiB tmpfs and a 64 MiB dataset arrives. The
# subscriber refuses with a clear error (audited there under store.write;
# the publisher's delivery shows the reason and stays queued, not failed),
# keeps running, and once there is room again (the tmpfs grown to 200 MiB)
# the delivery completes with the right content, once. Then, during a
# second (throttled) delivery, something else fills the disk: the
# subscriber stops while its store still has room, keeping and recording
# what it received, and when the space is freed the transfer resumes from
# that chunk, not from the start. Needs root (mount); skipped otherwise.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_faults.sh"

MNT="$T/ccg"
mkdir "$MNT"
[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
mount -t tmpfs -o size=40m,mode=0700 tmpfs "$MNT" 2>"$T/mount.err" ||
    skip "needs tmpfs mounts: $(cat "$T/mount.err")"
# Unmount (lazily: the node may still have files open there) before lib.sh
# stops the nodes and removes $T, keeping the exit status. With KEEP set
# the tmpfs stays mounted for a look (umount it yourself).
fulldisk_exit() {
    rc=$?
    set +e
    if [ -n "${KEEP:-}" ]; then
        printf '%s: %s is still mounted (KEEP)\n' "$TEST_NAME" "$MNT" >&2
    else
        umount -l "$MNT" 2>/dev/null
    fi
    (exit $rc)
    cleanup
}
trap fulldisk_exit EXIT
t0=$(date +%s)
phase() { say "$(( $(date +%s) - t0 )) s: $*"; }

pport=$(free_port); rport=$(free_port)
[ "$pport" != "$rport" ] || rport=$(free_port)
make_node csu 0DF csu
make_node_at ccg 04V ccg "tcp://127.0.0.1:$pport"
pin csu ccg; pin ccg csu
agree csu ccg "full"
proxy_start link "$pport" "$rport"
start_bind ccg "tcp://127.0.0.1:$rport"
start csu
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic full >/dev/null
wait_until 20 subscription_active ccg 0DF full || fail "subscription not confirmed"

head -c $((64 * 1048576 - 5)) /dev/urandom > "$T/data.csv"
id=$(publish csu full "$T/data.csv")

# Expectations that do not stop the test: all are reported, and the test
# fails at the end if any was not met.
problems=0
problem() {
    problems=$((problems + 1))
    printf '%s: FAIL (continuing): %s\n' "$TEST_NAME" "$*" >&2
}

# 1. The disk fills: a refusal, audited at the subscriber; the reason in
#    the publisher's delivery; the subscriber keeps running.
phase "filling the subscriber's 40 MiB"
wait_until 60 sh -c "\"$CDX\" deliveries --json --home \"$T/csu\" | grep -qiE 'space|disk.*full|full disk'" ||
    fail "the publisher's delivery does not say the subscriber's disk is full: $("$CDX" deliveries --json --home "$T/csu")"
refused() { [ "$(audit_count ccg receive refuse store.write "$id")" -ge 1 ]; }
wait_until 10 refused ||
    problem "the subscriber's audit has no store.write refusal for the full disk, though its log has $(log_count ccg 'refused .*No space left') 'refused ... No space left' line(s)"
phase "refused: $(df -k "$MNT" | awk 'NR == 2 { print $4 }') KiB free; $(chunks_held ccg "$id") chunks durable"
sleep 3
running ccg || fail "the subscriber stopped when its disk filled"
running csu || fail "the publisher stopped"
[ "$(dataset_state ccg "$id")" != available ] || fail "available although the disk is full?"
st=$(delivery_state csu "$id" 04V)
[ "$st" = queued ] || [ "$st" = sending ] || fail "delivery is $st while the disk is full (should retry)"
"$CDX" datasets --home "$T/ccg" >/dev/null || fail "the subscriber's store does not open while its disk is full"
store_ok ccg || fail "the subscriber's store is damaged by the full disk"
"$CDX" audit --json --home "$T/ccg" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    if e["decision"] == "refuse" and e["rule"] == "store.write":
        print("  ccg audit:", e["detail"])' | sort | uniq -c | head -5
phase "publisher's delivery: $("$CDX" deliveries --json --home "$T/csu" | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["state"], "-", d["error"])')"

# 2. Room again: the delivery resumes and completes.
mount -o remount,size=200m "$MNT" || fail "cannot grow the tmpfs"
phase "disk grown to 200 MiB"
wait_until 120 is_available ccg "$id" || fail "the delivery did not resume once there was room again"
wait_until 30 is_delivered csu "$id" 04V || fail "no signed receipt"
phase "delivered"
export_same ccg "$id" "$T/data.csv"
exactly_once csu ccg "$id"

# 3. Another program fills the disk while a second delivery (24 MiB at
#    4 MB/s) is under way, leaving 4 MiB: less than the 8 MiB the node
#    keeps for its store, so it stops there.
proxy_set link "throttle=4000000"
head -c $((24 * 1048576 - 3)) /dev/urandom > "$T/data2.csv"
id2=$(publish csu full "$T/data2.csv")
written() { stat -c %s "$MNT/data/$id2.sealed" 2>/dev/null || echo 0; }
wait_until 60 sh -c "[ \$(stat -c %s '$MNT/data/$id2.sealed' 2>/dev/null || echo 0) -ge $((6 * 1048576)) ]" ||
    fail "the second delivery does not progress"
free_kib=$(df -k "$MNT" | awk 'NR == 2 { print $4 }')
fallocate -l $(( (free_kib - 4096) * 1024 )) "$MNT/filler" || fail "cannot fill the disk"
phase "filled the disk with $(written) bytes of the second dataset written"
refused2() { [ "$(audit_count ccg receive refuse store.write "$id2")" -ge 1 ]; }
wait_until 30 refused2 || fail "no store.write refusal audited when the disk filled mid-transfer"
kept=$(chunks_held ccg "$id2")
[ "$kept" -gt 0 ] || fail "the chunks received before the disk filled were not recorded as durable"
[ "$(dataset_state ccg "$id2")" = receiving ] || fail "the second dataset is $(dataset_state ccg "$id2"), expected receiving"
running ccg || fail "the subscriber stopped when its disk filled"
phase "paused with $kept chunks durable; publisher: $(delivery_state csu "$id2" 04V)"
# The chunks that were in flight when the subscriber refused are dropped
# without an answer: one ERROR(INTERNAL), not a stream of ERROR(STATE).
[ "$(log_count csu 'STATE')" = 0 ] ||
    fail "the publisher got ERROR(STATE) for chunks in flight after the refusal: $(grep STATE "$T/csu.log" | head -3)"
rm -f "$MNT/filler"
proxy_set link "throttle=0"
wait_until 120 is_available ccg "$id2" || fail "the second delivery did not resume once the disk had room"
wait_until 30 is_delivered csu "$id2" 04V || fail "no signed receipt for the second dataset"
from=$(grep -o "resuming $id2 from chunk [0-9]*" "$T/ccg.log" | awk '{print $NF}' | sort -n | tail -1)
[ -n "$from" ] && [ "$from" -ge "$kept" ] ||
    fail "the second delivery did not resume from its durable chunk $kept (resumed from: ${from:-nowhere})"
export_same ccg "$id2" "$T/data2.csv"
exactly_once csu ccg "$id" "$id2"
phase "resumed from chunk $from of 24 and completed"
resumed=$(log_count ccg 'resuming .* from chunk')
phase "ccg resumed $resumed time(s); ccg log: $(grep -ciE 'space|full' "$T/ccg.log") lines about space, $(grep -c ' error: ' "$T/ccg.log") errors"
stop csu; stop ccg
store_clean csu || fail "csu store not clean"
store_clean ccg || fail "ccg store not clean"
[ "$problems" -eq 0 ] || fail "$problems expectation(s) not met (above)"
say "ok ($(( $(date +%s) - t0 )) s)"
