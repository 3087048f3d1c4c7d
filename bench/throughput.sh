#!/bin/sh
# Throughput: one dataset from the start of `cdx publish` until the
# subscriber lists it `available` (verified and durable), against scp of the
# same file over loopback to a throwaway OpenSSH server with default
# settings, started here and stopped on exit. Also dd with conv=fsync of the
# same size, the disk's ceiling. Usage: bench/throughput.sh BUILD_DIR
#
# 1 GiB (BENCH_QUICK=1: 64 MiB); BENCH_REPS runs of each (default 3, quick
# 1), interleaved so that a change in the machine's load hits both; the
# median counts.
. "$(dirname "$0")/lib.sh"

if quick; then SIZE=64; REPS=${BENCH_REPS:-1}; else SIZE=1024; REPS=${BENCH_REPS:-3}; fi
BYTES=$((SIZE * 1048576))
DATA=$(data_file "$SIZE")
label="$SIZE MiB"; [ "$SIZE" -ge 1024 ] && label="$((SIZE / 1024)) GiB"
mbps() { f "$BYTES / 1e6 / ($1)" 0; }

# ---- the disk's ceiling ----------------------------------------------------
sync
t0=$(now)
dd if=/dev/zero of="$W/dd.out" bs=1M count="$SIZE" conv=fsync 2>/dev/null
t1=$(now)
rm -f "$W/dd.out"
t_dd=$(f "$t1 - $t0" 3)

# ---- a throwaway sshd on a loopback port ------------------------------------
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || die "no $SSHD: install openssh-server (make bench does)"
command -v scp >/dev/null || die "no scp: install openssh-client (make bench does)"
S="$W/ssh"
mkdir -p "$S/target"
[ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || true  # privilege separation directory
ssh-keygen -q -t ed25519 -N '' -C bench-host -f "$S/host_key"
ssh-keygen -q -t ed25519 -N '' -C bench-user -f "$S/id"
cp "$S/id.pub" "$S/authorized_keys"
cat > "$S/sshd_config" <<EOF
# Throwaway server for the benchmark: everything else is OpenSSH's default.
HostKey $S/host_key
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
# OpenSSH's in-process SFTP server (scp uses SFTP since OpenSSH 9.0): unlike
# /usr/lib/openssh/sftp-server it is not started through the user's login
# shell, whose rc files (pyenv init, say) would be timed as if they were scp.
Subsystem sftp internal-sftp
EOF
SSH_PORT=$(free_port)
"$SSHD" -D -e -f "$S/sshd_config" -p "$SSH_PORT" -o ListenAddress=127.0.0.1 2>>"$W/sshd.log" &
PIDS="$PIDS $!"
# -F /dev/null: OpenSSH's compiled-in defaults, whatever ~/.ssh/config says.
SSH_OPTS="-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -i $S/id"
TARGET="$(id -un)@127.0.0.1"
end=$(($(date +%s) + 20))
# shellcheck disable=SC2086
until sftp -b /dev/null $SSH_OPTS -P "$SSH_PORT" "$TARGET" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || die "sshd on 127.0.0.1:$SSH_PORT did not admit us (see $W/sshd.log)"
    sleep 0.1
done
# shellcheck disable=SC2086
cipher=$(sftp -v -b /dev/null $SSH_OPTS -P "$SSH_PORT" "$TARGET" 2>&1 |
         sed -n 's/.*kex: client->server cipher: \([^ ]*\).*/\1/p' | head -n 1)
[ -n "$cipher" ] || cipher="(default, not reported)"
log "sshd on 127.0.0.1:$SSH_PORT, default cipher $cipher"

# scp_once [SSH OPTIONS]: prints "SECONDS SECONDS_WITH_FSYNC" for one copy.
scp_once() {
    t0=$(now)
    # shellcheck disable=SC2086
    scp -q $SSH_OPTS "$@" -P "$SSH_PORT" "$DATA" "$TARGET:$S/target/copy" || die "scp failed"
    t1=$(now)
    sync "$S/target/copy"     # fsync of the copy, for the durable comparison
    t2=$(now)
    cmp -s "$DATA" "$S/target/copy" || die "scp copy differs"
    rm -f "$S/target/copy"
    echo "$(f "$t1 - $t0" 3) $(f "$t2 - $t0" 3)"
}

# ---- two cdx nodes, the subscription active before timing ------------------
mk_node pub 0DF csu
mk_node sub 04V ccg
pin pub sub
pin sub pub
start_node pub
start_node sub
"$CDX" subscribe --home "$W/sub" --from 0DF --topic bench/throughput >/dev/null
wait_active bench/throughput sub

# cdx_once: prints "SECONDS PUBLISH_SECONDS" from publish start to available.
cdx_once() {
    t0=$(now)
    id=$("$CDX" publish --home "$W/pub" --topic bench/throughput --class aggregate \
         --purpose commissioning "$DATA") || die "cdx publish failed"
    tp=$(now)
    end=$(($(date +%s) + 900))
    until "$CDX" datasets --json --home "$W/sub" | grep -q "\"id\":\"$id\"[^}]*\"state\":\"available\""; do
        [ "$(date +%s)" -lt "$end" ] || die "dataset $id not available after 900 s"
        sleep 0.05
    done
    t1=$(now)
    echo "$(f "$t1 - $t0" 3) $(f "$tp - $t0" 3)"
}

: > "$W/cdx.t"; : > "$W/cdxpub.t"; : > "$W/scp.t"; : > "$W/scpsync.t"; : > "$W/aes.t"
i=0
while [ "$i" -lt "$REPS" ]; do
    i=$((i + 1))
    # (Assignments first, so that set -e sees a failure of a run.) Each run
    # prints two figures: "${r% *}" is the first, "${r#* }" the second.
    r=$(cdx_once); echo "${r% *}" >> "$W/cdx.t"; echo "${r#* }" >> "$W/cdxpub.t"
    log "run $i: cdx ${r% *} s (publish command ${r#* } s)"
    r=$(scp_once); echo "${r% *}" >> "$W/scp.t"; echo "${r#* }" >> "$W/scpsync.t"
    log "run $i: scp ${r% *} s (${r#* } s with fsync)"
    r=$(scp_once -c aes128-gcm@openssh.com); echo "${r% *}" >> "$W/aes.t"
    log "run $i: scp aes128-gcm ${r% *} s"
done

t_cdx=$(median "$W/cdx.t"); t_pub=$(median "$W/cdxpub.t")
t_scp=$(median "$W/scp.t"); t_sync=$(median "$W/scpsync.t"); t_aes=$(median "$W/aes.t")
[ -n "${BENCH_STATE:-}" ] && mbps "$t_cdx" > "$BENCH_STATE/cdx_mbps"

ratio=$(f "$t_scp / $t_cdx" 2)
result=$(passif "$t_scp / $t_cdx >= 1.0")
[ "$result" = pass ] && ! awk "BEGIN { exit !($t_scp / $t_cdx >= 1.25) }" && result="pass (aim 1.25 missed)"
row "Throughput: $label, \`cdx publish\` to \`available\`" "$(f "$t_cdx" 2) s, $(mbps "$t_cdx") MB/s" \
    "scp ($cipher): $(f "$t_scp" 2) s, $(mbps "$t_scp") MB/s" "$ratio× scp's speed" "≥ 1.00× scp (aim 1.25×)" "$result"
row "… scp, then fsync of the copy (info)" "$(f "$t_cdx" 2) s" "$(f "$t_sync" 2) s, $(mbps "$t_sync") MB/s" \
    "$(f "$t_sync / $t_cdx" 2)×" "—" "info"
row "… scp with aes128-gcm@openssh.com (info)" "$(f "$t_cdx" 2) s" "$(f "$t_aes" 2) s, $(mbps "$t_aes") MB/s" \
    "$(f "$t_aes / $t_cdx" 2)×" "—" "info"
row "Ceiling: disk, dd $label conv=fsync" "$(f "$t_dd" 2) s, $(mbps "$t_dd") MB/s" "—" \
    "cdx at $(f "$t_dd / $t_cdx" 2)× of it" "—" "info"

note "### Throughput"
note ""
note "$label of random bytes, $REPS run(s) of each, interleaved (cdx, scp, scp aes128-gcm); medians."
note "The \`cdx publish\` command alone (read, hash, seal, write and fsync the sealed copy at the"
note "publisher) took $(f "$t_pub" 2) s of cdx's $(f "$t_cdx" 2) s. cdx's figure covers sealing at the"
note "publisher, the transfer over CURVE, authentication, hashing and durable (fsync) writes at the"
note "subscriber and its \`available\` state, seen by \`cdx datasets --json\` polled every 50 ms."
note "scp writes into the page cache and does not fsync; the \"then fsync\" row adds that."
note "Runs (s): cdx $(tr '\n' ' ' < "$W/cdx.t")| scp $(tr '\n' ' ' < "$W/scp.t")| scp+fsync $(tr '\n' ' ' < "$W/scpsync.t")| scp aes128-gcm $(tr '\n' ' ' < "$W/aes.t")"
note "OpenSSH: $(ssh -V 2>&1); negotiated default cipher: $cipher. The throwaway sshd runs OpenSSH's"
note "defaults except for host key, authorized keys and \`Subsystem sftp internal-sftp\` (scp uses SFTP;"
note "the in-process server avoids timing the login shell's rc files); the client runs with \`-F /dev/null\`."
note ""
