/*  drill.c: `cdx drill failover` from the command's side (SPEC.md 11.5):
    the request (admin, the node running, a sibling connected, one drill
    at a time) as HOME/drill.req and a kick; the phases the running node
    reports in HOME/drill.state; the outcome read back from the audit log
    (action drill, rule sibling.drill), which the running node wrote.
    And the two files' format, which node/run/drill.c shares (drill.h).

    Why files and a kick: the command runs in another process (a request
    child, or directly as the home's owner) and the running node's loop
    already wakes on a kick and reads the home; a request file in the
    home (0700, the node's own login) needs no new socket, and made with
    O_EXCL it is also the lock that keeps to one drill at a time.

    Not for: going dark and back (node/run/drill.c), what is printed
    (tools/cmd_drill.c).
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "drill.h"

#define S_MAGIC "cdx-drill/1"
#define S_FILE_MAX 512

static const char *const s_phases[] = {"asked", "dark", "back", "done", "refused"};

static int64_t s_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the files --------------------------------------------------------------- */

static int s_path (node_t *n, const char *name, char *buf, size_t cap)
{
    if (node_join (buf, cap, node_home (n), name) != 0)
        return node_fail (n, "home path %s is too long", node_home (n));
    return 0;
}

static int s_format (const node_drill_file_t *f, char *buf, size_t cap)
{
    int len = snprintf (buf, cap, S_MAGIC " %s %s %" PRId64 " %" PRId64 " %" PRId64 "\n%s\n", f->id,
                        s_phases[f->phase], f->seconds, f->takeover_ms, f->at, f->reason);
    return len < 0 || (size_t) len >= cap ? -1 : len;
}

static int s_hex16 (const char *s)
{
    if (strlen (s) != 16)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

int node_drill_read (node_t *n, const char *name, node_drill_file_t *f)
{
    char path[NODE_PATH_MAX], buf[S_FILE_MAX + 1];
    memset (f, 0, sizeof *f);
    if (s_path (n, name, path, sizeof path) != 0)
        return -1;
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 1 : node_fail (n, "cannot read %s: %s", path, strerror (errno));
    ssize_t got = read (fd, buf, S_FILE_MAX);
    int saved = errno;
    close (fd);
    if (got < 0)
        return node_fail (n, "cannot read %s: %s", path, strerror (saved));
    buf[got] = 0;
    char *nl = strchr (buf, '\n');
    if (!nl || !strchr (nl + 1, '\n'))
        return 1;                               /* still being written */
    *nl = 0;
    char id[32], phase[16], magic[16];
    int64_t seconds, takeover, at;
    int end = 0;
    if (sscanf (buf, "%15s %31s %15s %" SCNd64 " %" SCNd64 " %" SCNd64 "%n", magic, id, phase, &seconds, &takeover,
                &at, &end) != 6 ||
        buf[end] != 0 || strcmp (magic, S_MAGIC) != 0 || !s_hex16 (id) || seconds < 0 || takeover < 0 || at < 0)
        return node_fail (n, "%s is not a drill's file (remove it if no drill is under way)", path);
    int known = -1;
    for (int i = 0; i < (int) (sizeof s_phases / sizeof *s_phases); i++)
        if (strcmp (phase, s_phases[i]) == 0)
            known = i;
    if (known < 0)
        return node_fail (n, "%s names no phase of a drill: %s", path, phase);
    char *reason = nl + 1;
    reason[strcspn (reason, "\n")] = 0;
    memcpy (f->id, id, 17);
    f->phase = (node_drill_phase_t) known;
    f->seconds = seconds;
    f->takeover_ms = takeover;
    f->at = at;
    snprintf (f->reason, sizeof f->reason, "%s", reason);
    return 0;
}

int node_drill_write_state (node_t *n, const node_drill_file_t *f)
{
    char path[NODE_PATH_MAX], tmp[NODE_PATH_MAX + 8], buf[S_FILE_MAX];
    int len = s_format (f, buf, sizeof buf);
    if (s_path (n, NODE_DRILL_STATE, path, sizeof path) != 0 || len < 0)
        return len < 0 ? node_fail (n, "a drill's state too long to record") : -1;
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return node_fail (n, "cannot write %s: %s", tmp, strerror (errno));
    int ok = write (fd, buf, (size_t) len) == len;
    int saved = errno;
    if (close (fd) != 0 || !ok || rename (tmp, path) != 0) {
        if (ok)
            saved = errno;
        unlink (tmp);
        return node_fail (n, "cannot write %s: %s", path, strerror (saved));
    }
    return 0;
}

void node_drill_remove (node_t *n, const char *name)
{
    char path[NODE_PATH_MAX];
    if (node_join (path, sizeof path, node_home (n), name) == 0)
        unlink (path);
}

/* ---- the request ------------------------------------------------------------ */

/* 0 if a sibling is connected (the running node says so in the store),
   else -1 naming what to do. */
static int s_sibling_up (node_t *n)
{
    node_siblings_t *s = malloc (sizeof *s);
    if (!s)
        return node_fail (n, "out of memory");
    int rc = node_siblings (n, s);
    if (rc == 0 && s->count == 0)
        rc = node_fail (n,
                        "%s has no sibling: a drill needs another node of %s certified by the authority, "
                        "whose deliveries it can take over (cdx init --node LABEL there, cdx authority certify "
                        "its card, then cdx directory import here)",
                        node_address (n), node_self (n)->org);
    int up = 0;
    char down[200] = "";
    for (int i = 0; rc == 0 && i < s->count && !up; i++) {
        store_peer_t p;
        if (store_peer_get (node_db (n), s->address[i], &p) == 0 && p.connected)
            up = 1;
        else {
            size_t len = strlen (down);
            snprintf (down + len, sizeof down - len, "%s%s", len ? ", " : "", s->address[i]);
        }
    }
    if (rc == 0 && !up)
        rc = node_fail (n,
                        "no sibling is connected (%s): a drill needs one to take over; start it (cdx run at that "
                        "node), check that this node connects to it (cdx peers), then drill again",
                        down);
    free (s);
    return rc;
}

/* 1 if HOME/drill.req is a request the running node never took (its
   kick lost) and the command that made it gave up on: older than
   NODE_DRILL_STALE_MS, and drill.state does not show it under way. The
   running node refuses such a request too, so either may remove it. */
static int s_stale (node_t *n)
{
    node_drill_file_t req, state;
    if (node_drill_read (n, NODE_DRILL_REQ, &req) != 0 || req.phase != NODE_DRILL_ASKED ||
        s_wall_ms () - req.at <= NODE_DRILL_STALE_MS)
        return 0;
    int rc = node_drill_read (n, NODE_DRILL_STATE, &state);
    return !(rc == 0 && strcmp (state.id, req.id) == 0 &&
             (state.phase == NODE_DRILL_DARK || state.phase == NODE_DRILL_BACK));
}

int node_drill_ask (node_t *n, int64_t seconds, node_drill_t *d)
{
    memset (d, 0, sizeof *d);
    if (seconds < 0 || seconds > NODE_DRILL_MAX_S)
        return node_fail_input (n, "--seconds: from 1 to %d", NODE_DRILL_MAX_S);
    if (!node_authorize (n, NODE_ROLE_ADMIN, "drill", "failover"))
        return -1;
    if (!node_running (n))
        return node_fail (n,
                          "no node runs on %s: a drill is made by the running node (cdx run --home %s, or "
                          "systemctl start cdx@NAME)",
                          node_home (n), node_home (n));
    if (s_sibling_up (n) != 0)
        return -1;
    store_audit_t last;
    int rc = store_audit_last (node_db (n), &last);
    if (rc != 0 && rc != STORE_NOTFOUND)
        return node_fail (n, "cannot read the audit log: %s", store_error (node_db (n)));
    d->after_seq = rc == 0 ? last.seq : 0;
    uint8_t rnd[8];
    cx_random (rnd, sizeof rnd);
    cx_hex (rnd, sizeof rnd, d->id);
    d->asked_ms = s_wall_ms ();

    char path[NODE_PATH_MAX], buf[S_FILE_MAX];
    node_drill_file_t f = {.phase = NODE_DRILL_ASKED, .seconds = seconds, .at = d->asked_ms};
    memcpy (f.id, d->id, sizeof f.id);
    int len = s_format (&f, buf, sizeof buf);
    if (s_path (n, NODE_DRILL_REQ, path, sizeof path) != 0 || len < 0)
        return -1;
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST && s_stale (n)) {
        node_drill_remove (n, NODE_DRILL_REQ);
        fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0 && errno == EEXIST)
        return node_fail (n,
                          "a drill is under way at this node (%s): wait for it to end (a node stopped "
                          "during one removes the file when it starts again)",
                          path);
    if (fd < 0)
        return node_fail (n, "cannot write %s: %s", path, strerror (errno));
    int ok = write (fd, buf, (size_t) len) == len;
    int saved = errno;
    if (close (fd) != 0 || !ok) {
        unlink (path);
        return node_fail (n, "cannot write %s: %s", path, strerror (ok ? errno : saved));
    }
    char actor[160];
    node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
    char dark[48] = "the takeover time + 15 s";
    if (seconds)
        snprintf (dark, sizeof dark, "%" PRId64 " s", seconds);
    if (node_audit (n, actor, "drill", "failover", "", "allow", "local.drill",
                    "failover drill %s asked for: this node unreachable on purpose for %s", d->id, dark) != 0) {
        unlink (path);
        return -1;
    }
    node_kick (n);
    return 0;
}

/* ---- following it ------------------------------------------------------------ */

typedef struct {
    node_drill_t *d;
    int found;
} s_find_t;

static int s_outcome (const store_audit_t *e, void *arg)
{
    s_find_t *f = arg;
    if (strcmp (e->actor, "node") != 0 || strcmp (e->action, "drill") != 0 || strcmp (e->rule, "sibling.drill") != 0)
        return 0;
    node_drill_t *d = f->d;
    d->passed = strcmp (e->decision, "allow") == 0;
    d->seq = e->seq;
    snprintf (d->detail, sizeof d->detail, "%s", e->detail);
    snprintf (d->by, sizeof d->by, "%s", d->passed ? e->peer : "");
    /* "MS ms: ADDR took over N deliveries" or "MS ms: no sibling took over within S s" */
    int64_t ms = 0, count = 0;
    sscanf (e->detail, "%" SCNd64, &ms);
    const char *over = strstr (e->detail, " took over ");
    if (d->passed && over)
        sscanf (over, " took over %" SCNd64, &count);
    d->ms = ms;
    d->deliveries = count;
    f->found = 1;
    return 1;
}

int node_drill_poll (node_t *n, node_drill_t *d)
{
    node_drill_file_t f;
    int rc = node_drill_read (n, NODE_DRILL_STATE, &f);
    if (rc < 0)
        return -1;
    if (rc == 0 && strcmp (f.id, d->id) == 0) {
        d->dark_s = f.seconds;
        d->takeover_ms = f.takeover_ms;
        d->phase_at = f.at;
        snprintf (d->reason, sizeof d->reason, "%s", f.reason);
        if (f.phase == NODE_DRILL_DONE) {
            s_find_t find = {d, 0};
            if (store_audit_each_from (node_db (n), d->after_seq + 1, s_outcome, &find) < 0)
                return node_fail (n, "cannot read the audit log: %s", store_error (node_db (n)));
            if (!find.found)
                return node_fail (n, "the drill ended but its outcome is not in the audit log (cdx audit)");
        }
        d->phase = f.phase;
        return 0;
    }
    if (!node_running (n))
        return node_fail (n, "the node stopped before the drill ended (its log says why)");
    return 0;
}
