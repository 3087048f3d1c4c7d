#!/bin/sh
# make deb: builds the Debian package from the working tree (its files
# known to git, committed or not; outside git, all but build*/) in a copy
# under OUT (default build-deb/), so that dpkg-buildpackage, which writes
# to the parent of the tree it builds, writes there too; then runs lintian on it. The .deb is
# OUT/cdx_VERSION_ARCH.deb; lintian's report OUT/lintian.txt. Exit 1 if
# the build fails or lintian reports an error.
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-build-deb}
version=$(dpkg-parsechangelog -S Version)
src="$OUT/src/cdx-$version"
rm -rf "$OUT/src" "$OUT"/cdx_* "$OUT"/cdx-dbgsym_*
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard | xargs -0 sh -c '
        for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh | tar -c --null -T - -f - | tar -x -C "$src" -f -
else                                   # a tree without git: all but the builds
    tar -c --exclude='./build*' --exclude=./.git -f - . | tar -x -C "$src" -f -
fi
start=$(date +%s)
( cd "$src" && dpkg-buildpackage -b -uc -us ) > "$OUT/build.log" 2>&1 ||
    { tail -n 40 "$OUT/build.log"; echo "deb: the build failed (log in $OUT/build.log)" >&2; exit 1; }
mv "$OUT"/src/cdx_* "$OUT"/src/cdx-dbgsym_* "$OUT"/ 2>/dev/null || true
deb=$(ls "$OUT"/cdx_"$version"_*.deb)
echo "deb: $deb built in $(( $(date +%s) - start )) s"
lintian --tag-display-limit 0 --display-info "$OUT"/cdx_"$version"_*.changes > "$OUT/lintian.txt" 2>&1 || true
cat "$OUT/lintian.txt"
if grep -q '^E:' "$OUT/lintian.txt"; then
    echo "deb: lintian reports errors (above, and in $OUT/lintian.txt)" >&2
    exit 1
fi
echo "deb: lintian: no errors ($(grep -c '^W:' "$OUT/lintian.txt" || true) warnings, in $OUT/lintian.txt)"
