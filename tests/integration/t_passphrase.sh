# Passphrase-protected key files and the unattended mode: a node created
# with CDX_PASSPHRASE_FILE has key files protected by it (no secret in
# clear); without the passphrase, or with a wrong one, or with a passphrase
# file others can read, the node refuses to open; cdx run starts unattended
# from the file and stops cleanly.
. "$(dirname "$0")/lib.sh"

printf 'correct horse battery staple\n' > "$T/pass"; chmod 600 "$T/pass"
export CDX_PASSPHRASE_FILE="$T/pass"
make_node csu 0DF csu
for k in sign box curve; do
    [ "$(head -c 4 "$T/csu/keys/$k.key")" = CDXP ] || fail "$k.key is not protected"
done
unset CDX_PASSPHRASE_FILE
"$CDX" card --home "$T/csu" >/dev/null 2>"$T/err" && fail "opened without the passphrase"
grep -q CDX_PASSPHRASE_FILE "$T/err" || fail "the refusal does not name CDX_PASSPHRASE_FILE"
CDX_PASSPHRASE=wrong "$CDX" card --home "$T/csu" >/dev/null 2>"$T/err" && fail "opened with a wrong passphrase"
grep -q "wrong passphrase" "$T/err" || fail "a wrong passphrase is not named"
cp "$T/pass" "$T/pass644"; chmod 644 "$T/pass644"
CDX_PASSPHRASE_FILE="$T/pass644" "$CDX" card --home "$T/csu" >/dev/null 2>&1 && fail "a passphrase file readable by others was used"
export CDX_PASSPHRASE_FILE="$T/pass"
start csu
wait_until 60 grep -q "listening on" "$T/csu.log" || fail "cdx run did not start unattended"
stop csu
say ok
