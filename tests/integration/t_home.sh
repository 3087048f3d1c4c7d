# A node's home is used only if nobody but the account running cdx (or
# root) could have prepared or changed it: cdx init refuses a directory
# another login made (0777, data a symbolic link to that login's
# directory) or a non-empty one; cdx refuses a home, keys/, keys/old/ or
# data/ writable by group or others, owned by someone else or a symbolic
# link, a store.db (or -wal) group or others can read (like the key
# files), and keys that are not the ones on the node's card in the store.
# A failed cdx init removes what it made, so that the retry works; init
# makes its files private whatever the umask. A real second login
# (useradd) prepares the hostile homes.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to add a second login"
command -v useradd >/dev/null && command -v runuser >/dev/null && command -v prlimit >/dev/null ||
    skip "needs useradd, runuser and prlimit"
OTHER="cdxh$$$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"
useradd -M -s /bin/sh "$OTHER" || fail "useradd $OTHER"
# Removed whatever happens; cleanup (lib.sh) still sees the test's status.
trap 'st=$?; set +e; userdel "$OTHER" >/dev/null 2>&1; (exit $st); cleanup' EXIT

init_at() {   # init_at DIR ORG: cdx init, errors in $T/err
    "$CDX" init --home "$1" --org "$2" --role csu --name "Test $2" \
        --endpoint "tcp://127.0.0.1:$(free_port)" >/dev/null 2>"$T/err"
}
refused() {   # refused HOME PATTERN WHAT: cdx card refuses HOME, saying PATTERN
    "$CDX" card --home "$1" >/dev/null 2>"$T/err" && fail "$3 was accepted"
    grep -q -- "$2" "$T/err" || fail "$3: the refusal does not say '$2': $(cat "$T/err")"
}

# 1. A home another login prepared: 0777, data a link to its own directory.
chmod 711 "$T"
mkdir "$T/o" && chown "$OTHER" "$T/o"
runuser -u "$OTHER" -- sh -c "mkdir -m 0777 '$T/o/home' && chmod 0777 '$T/o/home' &&
    mkdir '$T/o/theirs' && ln -s '$T/o/theirs' '$T/o/home/data'" || fail "the other login's home"
init_at "$T/o/home" 0DF && fail "init used a home another login made"
grep -q "$T/o/home belongs to $OTHER" "$T/err" || fail "the refusal does not name the owner: $(cat "$T/err")"
grep -q "chown" "$T/err" || fail "the refusal does not name the fix: $(cat "$T/err")"
[ "$(ls -A "$T/o/home")" = data ] && [ -z "$(ls -A "$T/o/theirs")" ] || fail "init wrote into the other login's home"
mkdir -m 0777 "$T/wide" && chmod 0777 "$T/wide"
init_at "$T/wide" 0DF && fail "init used a directory anyone can write"
grep -q "mode 0777 lets group or others write in it; chmod 700 $T/wide" "$T/err" || fail "0777: $(cat "$T/err")"
mkdir "$T/full" && ln -s "$T/o/theirs" "$T/full/data"
init_at "$T/full" 0DF && fail "init used a directory holding a link"
grep -q "$T/full is not empty (it holds data)" "$T/err" || fail "non-empty: $(cat "$T/err")"
mkdir -m 0700 "$T/empty"
init_at "$T/empty" 0DF || fail "init in an empty directory of this account: $(cat "$T/err")"

# 2. The other login may run its own node; root does not use it.
runuser -u "$OTHER" -- "$CDX" init --home "$T/o/mine" --org 0DF --role csu --name "Other" \
    --endpoint tcp://127.0.0.1:1 >/dev/null 2>"$T/err" || fail "a login's own init: $(cat "$T/err")"
runuser -u "$OTHER" -- "$CDX" card --home "$T/o/mine" >/dev/null 2>"$T/err" || fail "a login's own node: $(cat "$T/err")"
refused "$T/o/mine" "belongs to $OTHER" "a home of another login, used by root"

# 3. An existing node whose home was loosened or changed.
make_node a 0DF csu
make_node b 04V ccg
H="$T/a"
chmod 644 "$H/store.db"
refused "$H" "$H/store.db: mode 0644 gives access to group or others; chmod 600 $H/store.db" "store.db 0644"
chmod 600 "$H/store.db"
chown "$OTHER" "$H/store.db"
refused "$H" "$H/store.db belongs to $OTHER" "a store.db of another login"
chown root "$H/store.db"
: > "$H/store.db-wal"; chmod 644 "$H/store.db-wal"
refused "$H" "store.db-wal: mode 0644" "store.db-wal 0644"
rm -f "$H/store.db-wal"
chmod 777 "$H"
refused "$H" "$H: mode 0777 lets group or others write in it; chmod 700 $H" "a home 0777"
chmod 700 "$H"
chmod 770 "$H/keys"
refused "$H" "$H/keys: mode 0770" "keys/ 0770"
chmod 700 "$H/keys"
mkdir -m 0700 "$H/keys/old" && chmod 777 "$H/keys/old"
refused "$H" "$H/keys/old: mode 0777" "keys/old/ 0777"
rmdir "$H/keys/old"
chown "$OTHER" "$H/keys/box.key"
refused "$H" "$H/keys/box.key belongs to $OTHER" "a key file of another login"
chown root "$H/keys/box.key"
mv "$H/data" "$H/data.real" && ln -s "$H/data.real" "$H/data"
refused "$H" "$H/data is a symbolic link" "data a symbolic link"
rm "$H/data" && mv "$H/data.real" "$H/data"
"$CDX" card --home "$H" >/dev/null 2>"$T/err" || fail "the restored home: $(cat "$T/err")"

# 4. Keys that are not the node's card's: another node's key file, or
#    another node's store.db under this node's keys.
mkdir "$T/keep" && cp -p "$H/keys/box.key" "$H/store.db" "$T/keep/"
cp -p "$T/b/keys/box.key" "$H/keys/box.key"
refused "$H" "$H/keys/box.key holds box key .* but this node's card in $H/store.db names" "another node's box key"
cp -p "$T/keep/box.key" "$H/keys/box.key"
cp -p "$T/b/store.db" "$H/store.db"
refused "$H" "$H/keys/sign.key holds signing key .* card in $H/store.db names" "another node's store"
cp -p "$T/keep/store.db" "$H/store.db"
"$CDX" card --home "$H" >/dev/null 2>"$T/err" || fail "the node with its own keys: $(cat "$T/err")"

# 5. A failed init (the store cannot be written: a 3000-byte file size
#    limit, SIGXFSZ ignored so that writes fail with EFBIG) removes the
#    keys and directories it made, in a new directory and in an empty one;
#    the retry works.
for dir in "$T/new" "$T/was-empty"; do
    [ "$dir" = "$T/new" ] || mkdir -m 0700 "$dir"
    (trap '' XFSZ; prlimit --fsize=3000 "$CDX" init --home "$dir" --org 0DF --role csu --name x \
        --endpoint tcp://127.0.0.1:1 >/dev/null 2>"$T/err") && fail "init succeeded with a store it cannot write"
    grep -q "store" "$T/err" || fail "the failed init does not name the store: $(cat "$T/err")"
    if [ "$dir" = "$T/new" ]; then
        [ ! -e "$dir" ] || fail "the failed init left $(ls -RA "$dir")"
    else
        [ -d "$dir" ] && [ -z "$(ls -A "$dir")" ] || fail "the failed init left $(ls -RA "$dir")"
    fi
    init_at "$dir" 0DF || fail "the retry of a failed init: $(cat "$T/err")"
done

# 6. Whatever the umask, init makes the home, keys/, data/ 0700 and
#    store.db and the keys 0600.
(umask 000; init_at "$T/u" 0DF) || fail "init with umask 000: $(cat "$T/err")"
for p in "" /keys /data; do
    [ "$(stat -c %a "$T/u$p")" = 700 ] || fail "$T/u$p is $(stat -c %a "$T/u$p") after init with umask 000"
done
for p in store.db keys/sign.key keys/box.key keys/curve.key; do
    [ "$(stat -c %a "$T/u/$p")" = 600 ] || fail "$p is $(stat -c %a "$T/u/$p") after init with umask 000"
done
"$CDX" card --home "$T/u" >/dev/null || fail "the node made with umask 000 does not open"
say ok
