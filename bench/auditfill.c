/*  auditfill: N entries appended to a node's audit log through the store
    API (store_audit_append, the chain hashed as the node hashes it), in
    transactions of 1,000, for bench/report.sh. The node must be stopped.

    The entries are a node's life in miniature: every 1,000th a start or
    a stop (start, stop, start, start: half the starts unclean), and, in
    turn, a dataset accepted and received from one of four publishers, a
    delivery interrupted and then delivered, a backup, a failover and a
    drill now and then, and exports.

    Usage: cdx-bench-auditfill HOME N
    Not for: tests (they make entries in their own fixtures), a home in use.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "cx.h"
#include "node.h"

static int s_entry (store_t *db, long i)
{
    static const char *pubs[] = {"0DF", "0AB", "0CD", "0EF"};
    store_audit_t e;
    memset (&e, 0, sizeof e);
    const char *pub = pubs[(i / 7) % 4];
    char id[33];
    snprintf (id, sizeof id, "%032lx", i / 7 + 1);
    snprintf (e.decision, sizeof e.decision, "allow");
    snprintf (e.actor, sizeof e.actor, "node");
    if (i % 1000 == 0) {
        snprintf (e.action, sizeof e.action, (i / 1000) % 3 == 1 ? "stop" : "start");
        snprintf (e.object, sizeof e.object, "node");
        snprintf (e.rule, sizeof e.rule, "local.run");
    } else if (i % 5000 == 1) {
        snprintf (e.action, sizeof e.action, "%s", i % 10000 == 1 ? "failover" : "drill");
        snprintf (e.object, sizeof e.object, "0DF/b");
        snprintf (e.peer, sizeof e.peer, "0DF/b");
        snprintf (e.rule, sizeof e.rule, "%s", i % 10000 == 1 ? "sibling.failover" : "sibling.drill");
        snprintf (e.detail, sizeof e.detail, "%ld ms deliveries taken over", 800 + i % 997);
    } else {
        int k = (int) (i % 7);
        const char *act[] = {"accept", "receive", "send", "deliver", "export", "backup", "subscribe"};
        snprintf (e.action, sizeof e.action, "%s", act[k]);
        snprintf (e.object, sizeof e.object, k == 5 ? "home" : "sus/apc v%ld %s", i / 7 + 1, id);
        snprintf (e.peer, sizeof e.peer, "%s", k == 2 || k == 3 ? "04V" : k < 2 ? pub : "");
        snprintf (e.rule, sizeof e.rule, k == 2 ? "transfer.timeout" : "signature.verified");
        if (k == 2)
            snprintf (e.decision, sizeof e.decision, "refuse");
        snprintf (e.detail, sizeof e.detail, k == 2 ? "no answer for 15 s; will retry" : "%ld bytes", 1000 + i);
    }
    return store_audit_append (db, &e);
}

int main (int argc, char **argv)
{
    if (argc != 3 || cx_init () != 0) {
        fprintf (stderr, "usage: cdx-bench-auditfill HOME N\n");
        return 2;
    }
    long n = strtol (argv[2], NULL, 10);
    char err[NODE_ERR_MAX] = "";
    node_t *node = node_open (argv[1], NULL, err, sizeof err);
    if (!node) {
        fprintf (stderr, "auditfill: %s\n", err);
        return 1;
    }
    store_t *db = node_db (node);
    int rc = 0;
    for (long i = 0; i < n && rc == 0; i += 1000) {
        rc = store_begin (db);
        for (long j = i; j < i + 1000 && j < n && rc == 0; j++)
            rc = s_entry (db, j);
        rc = rc == 0 ? store_commit (db) : (store_rollback (db), -1);
    }
    if (rc != 0)
        fprintf (stderr, "auditfill: %s\n", store_error (db));
    node_close (&node);
    return rc == 0 ? 0 : 1;
}
