# cdx report resilience, rendered in a real browser: a CSU whose card name
# is hostile (a script element and a quote) delivers datasets to a CCG;
# the CCG is stopped cleanly and started, then killed with SIGKILL in the
# middle of receiving a large version and started again (an unclean stop,
# and a transfer that survives the restart), and backed up. Its report
# (-o r.html and --json) must hold the figures this caused: 3 starts, 1
# clean and 1 unclean stop, 4 datasets from 0DF, 1 restart survived, 1
# backup, the chain verified, no failover or drill recorded. Headless
# Chromium then renders the page: a screenshot that is not blank, a PDF
# whose page is A4, a rendering at 794 px (A4's width at 96 dpi) that is
# no wider, and the DOM, in which every data-k figure equals the JSON at
# its key and the hostile name is text, no script element.
. "$(dirname "$0")/lib.sh"

command -v chromium >/dev/null 2>&1 || skip "chromium is not installed (tools/install-deps.sh installs it)"
command -v pdfinfo >/dev/null 2>&1 || skip "pdfinfo is not installed (poppler-utils: tools/install-deps.sh)"
CHECK="python3 $(dirname "$0")/report_check.py"

HOSTILE='CSU <script>alert(1)</script> "quoted"'
"$CDX" init --home "$T/csu" --org 0DF --role csu --name "$HOSTILE" \
    --endpoint "tcp://127.0.0.1:$(free_port)" >/dev/null || fail "init csu"
grant csu
"$CDX" card --home "$T/csu" > "$T/csu.card" || fail "card csu"
make_node ccg 04V ccg
people rpuser                       # a real login, an analyst: refused the report
pin csu ccg; pin ccg csu; agree csu ccg "sus/*"
"$CDX" subscribe --home "$T/ccg" --from 0DF --topic sus/apc --history 1 >/dev/null
start csu; start ccg
wait_until 20 sub_active ccg 0DF sus/apc || fail "subscription not active"

pub() { "$CDX" publish --home "$T/csu" --topic sus/apc --class aggregate --purpose commissioning "$1"; }
printf 'a,b\n1,2\n' > "$T/v1.csv"; v1=$(pub "$T/v1.csv")
printf 'a,b\n3,4\n' > "$T/v2.csv"; v2=$(pub "$T/v2.csv")
wait_until 20 ds_available ccg "$v2" || fail "v2 not received"

# A clean stop and start (the log's times are whole seconds: the outage
# lasts 2 at least).
stop ccg; sleep 2; start ccg
printf 'a,b\n5,6\n' > "$T/v3.csv"; v3=$(pub "$T/v3.csv")
wait_until 20 ds_available ccg "$v3" || fail "v3 not received"

# Killed while receiving v4 (the subscriber throttled: it runs ~10 ms in
# 1.5 s), then started: the transfer resumes and completes.
head -c $((32 << 20)) /dev/urandom > "$T/v4.bin"
ccg_pid=$(cat "$T/ccg.pid")
( while kill -STOP "$ccg_pid" 2>/dev/null; do sleep 1.5; kill -CONT "$ccg_pid" 2>/dev/null; sleep 0.01; done ) &
throttle=$!
v4=$(pub "$T/v4.bin")
wait_until 60 ds_receiving ccg "$v4" || { kill "$throttle"; fail "v4 not under way: $(ds_state ccg "$v4")"; }
kill "$throttle" 2>/dev/null || true; wait "$throttle" 2>/dev/null || true
stop ccg KILL
kill -CONT "$ccg_pid" 2>/dev/null || true
ds_receiving ccg "$v4" || fail "v4 was not being received when the node was killed: $(ds_state ccg "$v4")"
sleep 2; start ccg
wait_until 120 ds_available ccg "$v4" || fail "v4 not received after the restart"

"$CDX" backup --home "$T/ccg" -o "$T/bk" >/dev/null 2>"$T/backup.err" || fail "backup: $(cat "$T/backup.err")"

# The report, through the running node, and its JSON.
"$CDX" report resilience --home "$T/ccg" -o "$T/r.html" 2>"$T/report.err" ||
    fail "report: exit $?: $(cat "$T/report.err")"
"$CDX" report resilience --home "$T/ccg" --json > "$T/r.json" 2>"$T/report.err" ||
    fail "report --json: exit $?: $(cat "$T/report.err")"
[ "$(stat -c %U "$T/r.html")" = "$(id -un)" ] || fail "the page was not made by the caller"
python3 - "$T/r.json" <<'EOF' || fail "the figures are not those the test caused: $(cat "$T/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["service"]
checks = [
    (s["starts"], 3), (s["clean_stops"], 1), (s["unclean_stops"], 1), (s["running"], True),
    (len(s["outages"]), 2), ([o["unclean"] for o in s["outages"]], [False, True]),
    ([o["seconds"] >= 2 for o in s["outages"]], [True, True]),
    (r["received"]["datasets"], 4), (len(r["received"]["publishers"]), 1),
    (r["received"]["publishers"][0]["org"], "0DF"),
    (r["received"]["publishers"][0]["name"], 'CSU <script>alert(1)</script> "quoted"'),
    (r["received"]["publishers"][0]["datasets"], 4),
    (r["transfers"]["restarts_survived"], 1),
    (r["backups"]["taken"], 1), (r["audit"]["verified"], True), (r["audit"]["problem"], "ok"),
    (r["failovers"]["count"], 0), (r["drills"]["count"], 0), (r["drills"]["last_at"], None),
    (r["ok"], True), (r["attention"], []), (r["org"], "04V"),
]
bad = [(got, want) for got, want in checks if got != want]
if r["throughput"]["bytes_received"] < 32 << 20 or r["received"]["publishers"][0]["worst_s"] is None:
    bad.append(("throughput or latency", r["throughput"], r["received"]["publishers"][0]))
if r["service"]["ratio"] is None or not 0 < r["service"]["ratio"] < 1:
    bad.append(("ratio", r["service"]["ratio"]))
for b in bad:
    print("t_report: got", b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
grep -q 'No failover recorded in the period.' "$T/r.html" || fail "the page does not say no failover was recorded"
grep -q 'CSU &lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot;' "$T/r.html" || fail "the card name is not escaped"
if grep -q '<script' "$T/r.html"; then fail "the page holds a script element"; fi

# A period, operand or output it does not take (exit 2); a login without
# admin or ig-officer (exit 4, audited).
exits() {  # exits CODE PATTERN CMD...
    e_want=$1 e_pat=$2; shift 2
    e_rc=0; "$@" >/dev/null 2>"$T/exits.err" || e_rc=$?
    [ "$e_rc" -eq "$e_want" ] && grep -Eq -- "$e_pat" "$T/exits.err" ||
        fail "$*: exit $e_rc, not $e_want for /$e_pat/: $(cat "$T/exits.err")"
}
exits 2 'a duration' "$CDX" report resilience --home "$T/ccg" --since yesterday --json
exits 2 'resilience' "$CDX" report uptime --home "$T/ccg" --json
exits 2 '-o FILE.html' "$CDX" report resilience --home "$T/ccg"
exits 1 'exists' "$CDX" report resilience --home "$T/ccg" -o "$T/r.html"
"$CDX" user add --home "$T/ccg" "$rpuser" --role analyst >/dev/null
exits 4 'admin' as "$rpuser" report resilience --home "$T/ccg" --json
has_rule ccg report-read refuse role.missing || fail "the refusal is not audited"
"$CDX" report resilience --home "$T/ccg" --since 2020-01-01T00:00:00Z --json > /dev/null ||
    fail "--since with a date is refused"
exits 2 'or a date .YYYY-MM-DD' "$CDX" report resilience --home "$T/ccg" --since 2020-13-01 --json

# ---- headless Chromium -------------------------------------------------------------
browse() { chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
    --user-data-dir="$T/chrome" --hide-scrollbars "$@" 2>>"$T/chromium.log"; }

# (a) a screenshot that is not blank.
browse --window-size=794,1123 --screenshot="$T/shot.png" "file://$T/r.html" >/dev/null ||
    fail "chromium --screenshot: $(tail -5 "$T/chromium.log")"
$CHECK png "$T/shot.png" 8 >/dev/null || fail "the screenshot is blank"

# (b) printed, the page is A4; rendered at 794 px, nothing is wider.
browse --no-pdf-header-footer --print-to-pdf="$T/r.pdf" "file://$T/r.html" >/dev/null ||
    fail "chromium --print-to-pdf: $(tail -5 "$T/chromium.log")"
pdfinfo "$T/r.pdf" > "$T/pdfinfo.txt" || fail "pdfinfo: not a PDF"
# A4 is 595.28 x 841.89 pt; Chromium rounds to its own units (594.96 x 841.92).
awk '/^Page size:/ { ok = $3 > 594 && $3 < 596 && $5 > 841 && $5 < 843 && $7 == "(A4)" } END { exit !ok }' \
    "$T/pdfinfo.txt" ||
    fail "the printed page is not A4: $(grep 'Page size' "$T/pdfinfo.txt")"
# A test-only copy with a script that writes the widths into the DOM.
sed 's|</body>|<script>document.body.setAttribute("data-scroll-width", document.documentElement.scrollWidth); document.body.setAttribute("data-inner-width", window.innerWidth);</script></body>|' \
    "$T/r.html" > "$T/width.html"
browse --window-size=794,1123 --dump-dom "file://$T/width.html" > "$T/width.dom" ||
    fail "chromium --dump-dom (width): $(tail -5 "$T/chromium.log")"
$CHECK width "$T/width.dom" 794 >/dev/null || fail "the page is wider than A4"

# (c) the DOM's figures are the JSON's; the hostile name is text.
browse --dump-dom "file://$T/r.html" > "$T/r.dom" || fail "chromium --dump-dom: $(tail -5 "$T/chromium.log")"
$CHECK dom "$T/r.dom" "$T/r.json" > "$T/figures.txt" || fail "the page's figures differ from the JSON's"
[ "$(wc -l < "$T/figures.txt")" -ge 50 ] || fail "only $(wc -l < "$T/figures.txt") figures in the page"
for want in service.unclean_stops=1 service.starts=3 received.datasets=4 backups.taken=1 \
    transfers.restarts_survived=1 audit.verified=true failovers.count=0 drills.count=0 \
    'received.publishers.0.name=CSU <script>alert(1)</script> "quoted"'; do
    grep -qxF "$want" "$T/figures.txt" || fail "the page does not show $want"
done
# CDX_REPORT_EXAMPLE=DIR: the page and its screenshot kept there
# (docs/examples/ holds the demo's; docs/OPERATIONS.md).
if [ -n "${CDX_REPORT_EXAMPLE:-}" ]; then
    cp "$T/r.html" "$CDX_REPORT_EXAMPLE/resilience.html" && cp "$T/shot.png" "$CDX_REPORT_EXAMPLE/resilience.png" ||
        fail "cannot copy the example to $CDX_REPORT_EXAMPLE"
fi
say "ok: $(wc -l < "$T/figures.txt") figures, $($CHECK png "$T/shot.png" 8)"
