/*  status: a node's health in one record, for cdx status and the metrics
    of the running node: whether it runs and since when, its certificate
    and directory, its peers and their queues, the transfers under way,
    the agreements ending soon, the audit log's last checkpoint, the free
    disk of its home; and which of these need attention.

    Everything comes from the store (and statvfs), never from the running
    node's memory, so that any process on the home reads the same: the
    running node records progress, presence and its start in the store
    as it goes (node/run/), at a bounded rate.

    Not for: printing (tools/cmd_status.c), the exposition format
    (node/run/metrics.c), recording anything.
    Errors: 0 / -1 with the reason in node_error().
*/
#ifndef NODE_STATUS_H_INCLUDED
#define NODE_STATUS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "node.h"

#ifndef CDX_VERSION
#define CDX_VERSION "0.1.0"
#endif

/* Agreements in force that end within this many days are listed. */
#define NODE_STATUS_AGREEMENT_DAYS 30

typedef struct {
    char org[17];
    char address[15];         /* the node's (ORG or ORG/LABEL); "" for a subscriber no longer a peer */
    char name[121];
    char trust[16];           /* pinned | certified; "" for a subscriber no longer a peer */
    char dspt[24];            /* "" when pinned by hand */
    int connected;            /* 1, 0, or -1 when no node runs (unknown) */
    int64_t last_seen;        /* unix seconds, 0 never */
    int64_t not_after;        /* its certificate's end, 0 none */
    char barred[48];          /* the rule that bars it (trust.revoked, trust.expired), "" none */
    int64_t queued, sending;  /* deliveries to it */
    int64_t oldest;           /* when the oldest of them was queued, 0 none */
    int64_t failing;          /* of them, those whose last attempt failed */
    int64_t attempts;         /* the most attempts of any of them */
} node_status_peer_t;

typedef struct {
    char direction[8];        /* send | receive */
    char peer[17];            /* the subscriber (send) or the publisher (receive) */
    char dataset[33];
    char topic[129];
    int64_t version;
    int64_t bytes;            /* the dataset's size */
    int64_t done;             /* acknowledged (send) or durable (receive) */
    double rate;              /* bytes/s of the attempt under way, 0 unknown */
    int64_t eta;              /* seconds left at that rate, -1 unknown */
    char status[160];         /* node_delivery_view's words; "receiving" */
} node_status_transfer_t;

typedef struct {
    char ref[65];
    char peer[17];            /* the other party */
    int64_t end;
} node_status_agreement_t;

typedef struct {
    int64_t now;
    int running;              /* a node runs on the home */
    int64_t since;            /* running since (its start entry), 0 unknown */
    int64_t stopped;          /* not running: when it last stopped, 0 unknown */
    char version[32];
    char org[17];
    char address[15];         /* this node's: ORG, or ORG/LABEL (SPEC.md 9.2) */
    char name[121];
    char endpoint[201];
    int64_t cert_not_after;   /* this node's certificate in the directory held, 0 none */
    char cert_dspt[24];
    uint64_t dir_serial;      /* 0: no directory held */
    int64_t dir_expires;
    node_status_peer_t *peers;             /* by org */
    size_t npeers;
    node_status_transfer_t *transfers;     /* sending, then receiving */
    size_t ntransfers;
    node_status_agreement_t *agreements;   /* in force, ending within NODE_STATUS_AGREEMENT_DAYS */
    size_t nagreements;
    int64_t audit_seq;        /* the last entry, 0 none */
    int64_t checkpoint_seq;   /* the last signed checkpoint, 0 none */
    int64_t checkpoint_at;
    int64_t uncovered_since;  /* when the first entry after it was written, 0 none */
    int64_t disk_free;        /* bytes free to this account on the home's file system, -1 unknown */
    int64_t disk_size;
} node_status_t;

/* Fills ST (node_status_free frees it, also after a failure). Any local
   user holding a role on the node may read it: a login with none is
   refused, audited (action status-read, rule role.missing). 0, or -1
   (node_error, node_refused). */
int node_status (node_t *n, node_status_t *st);
/* The same without the role check, for the running node's own metrics;
   with TRANSFERS 0 the transfers are left out (the running node has them
   in memory, and finding the datasets arriving reads every dataset row). */
int node_status_collect (node_t *n, node_status_t *st, int transfers);
void node_status_free (node_status_t *st);

/* When something needs attention (cdx status exits 7): the defaults are
   the documented thresholds of cdx status --help. */
typedef struct {
    int64_t cert_days;        /* certificate ends within (days): 14 */
    int64_t dir_hours;        /* directory expires within (hours): 48 */
    int64_t offline_hours;    /* a peer with deliveries waiting unreachable for: 24 */
    int64_t failing_attempts; /* a delivery whose last attempt failed after: 5 attempts */
    int64_t checkpoint_hours; /* entries not covered by a checkpoint for: 24 */
    int64_t disk_percent;     /* free space of the home's file system below: 5 % */
    int64_t disk_bytes;       /* ... or below: 1 GiB */
} node_status_limits_t;

void node_status_limits_default (node_status_limits_t *l);

/* KIND (not-running, certificate, directory, peer-offline,
   deliveries-failing, checkpoint, disk) and the problem in one line. */
typedef void (node_attention_fn) (const char *kind, const char *why, void *arg);

/* Calls FN (may be NULL) for each thing in ST that needs attention under
   LIMITS, most urgent first; returns how many. Reads nothing else. */
int node_status_attention (const node_status_t *st, const node_status_limits_t *limits, node_attention_fn *fn,
                           void *arg);

#endif
