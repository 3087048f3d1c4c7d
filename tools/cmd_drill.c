/*  cmd_drill.c: cdx drill failover: asks the running node to go dark on
    purpose (node_drill_ask), follows it (node_drill_poll every 100 ms,
    progress on a terminal) and prints the outcome the node recorded.

    Not for: the drill itself (node/run/drill.c), the request's checks
    (node/drill.c).
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "show.h"

#define S_POLL_NS 100000000L
#define S_TAKE_S  15          /* the running node takes the request within this */
#define S_SLACK_S 15          /* ... and reports each phase this long after it is due */

/* V with its thousands apart ("15 250") into BUF. */
static const char *s_grouped (int64_t v, char *buf, size_t cap)
{
    char digits[24];
    snprintf (digits, sizeof digits, "%" PRId64, v < 0 ? 0 : v);
    size_t len = strlen (digits), out = 0;
    for (size_t i = 0; i < len && out + 2 < cap; i++) {
        if (i && (len - i) % 3 == 0)
            buf[out++] = ' ';
        buf[out++] = digits[i];
    }
    buf[out] = 0;
    return buf;
}

static int64_t s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_progress (int tty, const node_drill_t *d)
{
    if (!tty)
        return;
    if (d->phase == NODE_DRILL_DARK)
        fprintf (stderr,
                 "going dark for %" PRId64 " s: no peer reaches this node and it sends nothing; a sibling "
                 "takes over its deliveries after %" PRId64 " ms\n",
                 d->dark_s, d->takeover_ms);
    else if (d->phase == NODE_DRILL_BACK)
        fprintf (stderr,
                 "back: listening and connecting again; waiting up to 30 s for a sibling to report its "
                 "takeover (FAILOVER)\n");
}

static void s_json (const node_drill_t *d)
{
    printf ("{\"passed\":%s,", d->passed ? "true" : "false");
    if (d->passed) {
        printf ("\"took_ms\":%" PRId64 ",\"by\":", d->ms);
        show_json (stdout, d->by);
        printf (",\"deliveries\":%" PRId64 ",", d->deliveries);
    } else {
        printf ("\"took_ms\":null,\"by\":null,\"deliveries\":null,");
    }
    printf ("\"dark_s\":%" PRId64 "}\n", d->dark_s);
}

/* Follows D until it is done: 0, or the exit code after saying why not. */
static int s_follow (node_t *n, node_drill_t *d)
{
    int tty = isatty (STDERR_FILENO);
    node_drill_phase_t shown = NODE_DRILL_ASKED;
    int64_t since = s_mono_ms ();
    for (;;) {
        if (node_drill_poll (n, d) != 0)
            return cli_fail ("%s", node_error (n));
        if (d->phase == NODE_DRILL_DONE)
            return 0;
        if (d->phase == NODE_DRILL_REFUSED)
            return cli_fail ("the running node did not start the drill: %s", d->reason);
        if (d->phase != shown) {
            s_progress (tty, d);
            shown = d->phase;
            since = s_mono_ms ();
        }
        int64_t due = shown == NODE_DRILL_ASKED  ? S_TAKE_S
                      : shown == NODE_DRILL_DARK ? d->dark_s + S_SLACK_S
                                                 : 30 + S_SLACK_S;
        if (s_mono_ms () - since > due * 1000) {
            fprintf (stderr, "cdx: the running node has not reported the drill's %s within %" PRId64
                             " s: see its log (the drill may still end; cdx audit shows its outcome)\n",
                     shown == NODE_DRILL_ASKED ? "start" : shown == NODE_DRILL_DARK ? "return" : "outcome", due);
            return CLI_EXIT_TIMEOUT;
        }
        struct timespec ts = {0, S_POLL_NS};
        nanosleep (&ts, NULL);
    }
}

int cmd_drill (cli_t *cli, int argc, char **argv)
{
    enum { O_SECONDS, O_JSON, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {{"seconds", 1, 0, "failover"}, {"json", 0, 0, "failover"}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "drill", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    if (argc - optind != 1 || strcmp (argv[optind], "failover") != 0)
        return cli_usage ("drill");
    if ((rc = cli_forms ("drill", "failover", opts, O_COUNT, got)) != 0)
        return rc;
    cli->json = got[O_JSON] != NULL;
    int64_t seconds = 0;
    if (got[O_SECONDS] && cli_number ("--seconds", got[O_SECONDS], 1, NODE_DRILL_MAX_S, &seconds) != 0)
        return CLI_EXIT_USAGE;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    node_drill_t d;
    if (node_drill_ask (n, seconds, &d) != 0) {
        rc = cli_refused (n);
        node_close (&n);
        return rc;
    }
    rc = s_follow (n, &d);
    node_close (&n);
    if (rc != 0)
        return rc;
    char ms[32];
    if (cli->json)
        s_json (&d);
    else if (d.passed)
        show_printf (stdout, "failover drill passed: %s took over %" PRId64 " %s in %s ms\n", d.by, d.deliveries,
                     d.deliveries == 1 ? "delivery" : "deliveries", s_grouped (d.ms, ms, sizeof ms));
    else {
        const char *why = strstr (d.detail, " ms: ");
        show_printf (stdout, "failover drill failed: %s (this node was dark for %s ms)\n", why ? why + 5 : d.detail,
                     s_grouped (d.ms, ms, sizeof ms));
    }
    if (!d.passed)
        fprintf (stderr, "cdx: no sibling reported taking over while this node was dark: check that a sibling runs "
                         "and is connected (cdx peers), that its takeover time is shorter than the drill, and its log\n");
    return d.passed ? CLI_EXIT_OK : CLI_EXIT_ATTENTION;
}
