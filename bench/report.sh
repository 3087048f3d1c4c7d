#!/bin/sh
# The cost of cdx report resilience on a long history: a node whose audit
# log holds 100,000 entries (BENCH_QUICK=1: 10,000) appended through the
# store API (cdx-bench-auditfill: starts, clean and unclean stops,
# datasets accepted and received from four publishers, deliveries
# interrupted and delivered, backups, failovers and drills), the node
# stopped. Measured: cdx report resilience --json, a process each time
# (median of 5); the baseline is cdx audit verify on the same store in
# the same run (the report runs the same verification, then walks the log
# once more for its figures), so the ratio is what the figures cost on top.
# Usage: bench/report.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"

if quick; then N=10000; else N=100000; fi
RUNS=5
FILL="$BUILD/cdx-bench-auditfill"
[ -x "$FILL" ] || die "no $FILL (make build)"

mk_node big 0DF csu
"$FILL" "$W/big" "$N" || die "cannot fill the audit log"
"$CDX" audit verify --home "$W/big" >/dev/null || die "the audit chain written is not valid"

for _ in $(seq 1 "$RUNS"); do
    t0=$(now); "$CDX" audit verify --home "$W/big" >/dev/null || die "cdx audit verify failed"; t1=$(now)
    echo "$(f "($t1 - $t0) * 1000" 3)" >> "$W/verify.ms"
    t0=$(now); rc=0; "$CDX" report resilience --home "$W/big" --since 3650d --json > "$W/report.json" || rc=$?; t1=$(now)
    [ "$rc" -eq 0 ] || [ "$rc" -eq 7 ] || die "cdx report resilience exited $rc"
    echo "$(f "($t1 - $t0) * 1000" 3)" >> "$W/report.ms"
done
$PY - "$W/report.json" "$N" <<'PY' || die "the report does not count the entries written"
import json, sys
r, n = json.load(open(sys.argv[1])), int(sys.argv[2])
sys.exit(0 if r["audit"]["verified"] and r["audit"]["entries"] >= n and r["service"]["starts"] == sum(1 for k in range((n + 999) // 1000) if k % 3 != 1) else 1)
PY
rep=$(median "$W/report.ms"); ver=$(median "$W/verify.ms")
row "cdx report resilience --json, $N audit entries (median of $RUNS)" "$(f "$rep" 0) ms" \
    "cdx audit verify: $(f "$ver" 0) ms" "$(f "$rep / $ver" 2)×" "— (info)" "info"

note "### Resilience report"
note ""
note "cdx report resilience on a stopped node with $N audit entries made through the store API: $(f "$rep" 0) ms"
note "(median of $RUNS), against $(f "$ver" 0) ms for cdx audit verify of the same log. The report runs the"
note "same verification, then walks the log once more, looking up the dataset of each one received."
note ""
