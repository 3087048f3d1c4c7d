#!/bin/sh
# The benchmark suite (bench/README.md): runs each case on loopback, each
# with its baseline in the same run, and writes a Markdown report with the
# machine's description at the top, plus plots when gnuplot is installed.
# Usage: bench/run.sh BUILD_DIR   (make bench; BENCH_QUICK=1 for a smoke run)
#   full run:  bench/results/latest.md and bench/results/<UTC date>-<git hash>.md
#   quick run: bench/results/quick.md (not kept in git)
# BENCH_CASES="throughput latency ..." runs only those cases (in that order).
# Exits 1 when a case could not run; a missed target is reported, not an error.
set -eu
BUILD=$(cd "${1:-build}" && pwd)
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
RESULTS="$BENCH_DIR/results"
mkdir -p "$RESULTS"
export BENCH_QUICK="${BENCH_QUICK:-0}"
CASES=${BENCH_CASES:-throughput ceilings memory latency fanout idle scrape report}

R=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/cdx-bench-run.XXXXXX")
trap 'rm -rf "$R"' EXIT
trap 'exit 1' INT TERM
export BENCH_DATA="$R/data" BENCH_STATE="$R/state" BENCH_PLOTS="$R/plots"
mkdir -p "$BENCH_DATA" "$BENCH_STATE" "$BENCH_PLOTS"

# The binaries under test, copied: another `make build` in the same tree
# during the run must not swap them between (or within) cases.
mkdir -p "$R/bin"
cp "$BUILD/cdx" "$R/bin/cdx" || { echo "bench: no $BUILD/cdx (make build)" >&2; exit 1; }
cp "$BUILD/cdx-bench-auditfill" "$R/bin/" 2>/dev/null || true     # report.sh's history (it says if missing)
built=$(date -u -r "$BUILD/cdx" '+%Y-%m-%d %H:%M:%S UTC')
BUILD="$R/bin"

stamp=$(date -u +%Y-%m-%dT%H%MZ)
hash=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo nogit)
if [ "$BENCH_QUICK" = 1 ]; then name=quick; mode="quick (BENCH_QUICK=1: small sizes, a smoke run; not for comparison)"
else name="$stamp-$hash"; mode=full; fi

# ---- the machine --------------------------------------------------------------
{
    echo "# cdx benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Mode: $mode. Every case runs on loopback on this one machine, with its baseline measured"
    echo "in the same run: compare ratios, not absolute times, across machines and runs."
    echo
    echo "| | |"
    echo "|---|---|"
    dirty=""; [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] && dirty=" (with uncommitted changes)"
    echo "| commit | \`$hash\`$dirty; cdx built $built |"
    echo "| cores (nproc) | $(nproc) |"
    echo "| CPU | $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort | uniq -c | sed 's/^ *\([0-9]*\) /\1 × /' | paste -sd ';' -) |"
    echo "| memory | $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |"
    echo "| kernel | $(uname -srm) |"
    echo "| OS | $(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}") |"
    echo "| disk free (work dir) | $(df -h "$R" | awk 'NR == 2 { print $4 " free of " $2 " on " $1 }') |"
    echo "| uptime at start | \`$(uptime)\` |"
    echo "| libraries | libsodium $(pkg-config --modversion libsodium 2>/dev/null), libzmq $(pkg-config --modversion libzmq 2>/dev/null), SQLite $(pkg-config --modversion sqlite3 2>/dev/null), $(ssh -V 2>&1 | cut -d, -f1) |"
    echo
    echo "Busiest processes at the start (the load this run shared the machine with):"
    echo
    echo '```'
    ps -eo pcpu,etime,comm --sort=-pcpu | head -n 6
    echo '```'
    echo
} > "$R/head.md"

# ---- the cases ------------------------------------------------------------------
failed=0
: > "$R/rows"; : > "$R/notes"; : > "$R/times"
for c in $CASES; do
    [ -x "$BENCH_DIR/$c.sh" ] || { echo "bench: no case $c" >&2; exit 2; }
    echo "bench: == $c" >&2
    t0=$(date +%s)
    : > "$R/rows.$c"; : > "$R/notes.$c"
    { rc=0; BENCH_ROWS="$R/rows.$c" BENCH_NOTES="$R/notes.$c" "$BENCH_DIR/$c.sh" "$BUILD" 2>&1 || rc=$?
      echo "$rc" > "$R/rc.$c"; } | tee "$R/log.$c" >&2
    rc=$(cat "$R/rc.$c")
    t1=$(date +%s)
    echo "$c $((t1 - t0)) s" >> "$R/times"
    if [ "$rc" -ne 0 ]; then
        failed=1
        echo "| $c | could not run (exit $rc) | — | — | — | ERROR |" >> "$R/rows"
        { echo "### $c: could not run (exit $rc)"; echo; echo '```'
          grep '^bench:' "$R/log.$c" | tail -n 10; echo '[...]'; tail -n 20 "$R/log.$c"; echo '```'; echo; } >> "$R/notes"
    else
        cat "$R/rows.$c" >> "$R/rows"
        cat "$R/notes.$c" >> "$R/notes"
    fi
done

# ---- plots (gnuplot, if installed) ------------------------------------------------
plots=""
if command -v gnuplot >/dev/null 2>&1; then
    P="$BENCH_PLOTS"
    if [ -s "$P/latency-total.dat" ]; then
        gnuplot <<EOF && plots="$plots latency"
set terminal svg size 720,420 dynamic font "sans,12"
set output "$RESULTS/$name-latency.svg"
set title "Latency of a 10 KB dataset: fraction of publishes done within t"
set xlabel "milliseconds from the start of cdx publish"
set ylabel "fraction of samples"
set key bottom right
set grid
set yrange [0:1]
set arrow from 20, graph 0 to 20, graph 1 nohead dashtype 2
set arrow from 100, graph 0 to 100, graph 1 nohead dashtype 2
plot "$P/latency-total.dat" using 1:2 with steps lw 2 title "available at the subscriber", \
     "$P/latency-publish.dat" using 1:2 with steps lw 2 title "cdx publish command returned"
EOF
    fi
    if [ -s "$P/fanout.dat" ]; then
        single=$(cat "$P/fanout-single")
        gnuplot <<EOF && plots="$plots fanout"
set terminal svg size 720,420 dynamic font "sans,12"
set output "$RESULTS/$name-fanout.svg"
set title "Fan-out: when each subscriber had the dataset"
set xlabel "subscribers with the dataset available"
set ylabel "seconds from the start of cdx publish"
set key top left
set grid
set xrange [0:*]
set yrange [0:*]
plot "$P/fanout.dat" using 1:2 with linespoints lw 2 pt 7 ps 0.5 title "fan-out (all at once)", \
     $single * x with lines dashtype 2 lw 2 title "one after another ($single s each, measured)", \
     1.2 * $single * x with lines dashtype 3 title "target bound at the last: 1.2 × that"
EOF
    fi
fi

# ---- the report ---------------------------------------------------------------------
out="$RESULTS/$name.md"
{
    cat "$R/head.md"
    echo "## Results"
    echo
    echo "| case | measured | baseline (same run) | ratio | target | result |"
    echo "|---|---|---|---|---|---|"
    cat "$R/rows"
    echo
    echo "Targets: $(grep -c '| pass[^|]*|$' "$R/rows" || true) pass, $(grep -c '| MISS |$' "$R/rows" || true) miss," \
         "$(grep -c '| ERROR |$' "$R/rows" || true) could not run."
    echo
    for p in $plots; do echo "![$p]($name-$p.svg)"; echo; done
    echo "## Detail"
    echo
    cat "$R/notes"
    echo "Time per case: $(paste -sd ',' "$R/times" | sed 's/,/, /g')."
    echo "Load average at the end: \`$(uptime)\`."
} > "$out"
[ "$name" = quick ] || cp "$out" "$RESULTS/latest.md"
cat "$out"
echo "bench: wrote $out$([ "$name" = quick ] || echo " and $RESULTS/latest.md")" >&2
exit "$failed"
