/*  resilience: the figures of a node's resilience over a period, read
    from what the node already records: the audit log (starts and stops,
    datasets received, transfers, failovers and drills, backups and
    restores), the store (deliveries, signed manifests, agreements) and
    the directory held (its certificate and DSPT status). cdx report
    resilience prints them (tools/cmd_report.c).

    Where each figure comes from:
    - service: `start` and `stop` entries (actor node). A `start` with no
      `stop` since the previous `start` is an unclean stop (killed, a
      crash, a power cut): its outage runs from the last entry the
      running node wrote (actor node or peer:) before that start to the
      start, so it may be longer than it was, never shorter. The period counts from the node's
      first start if that is later than its beginning.
    - received: `receive` entries allowed (a dataset made available);
      publication is the `created` time of the dataset's signed manifest,
      available the entry's time.
    - failed: deliveries of this node in state failed or expired last
      changed in the period (their recorded error), datasets that arrived
      failed (`receive` and `abandon` entries refused, by rule).
    - transfers: a delivery completed (`deliver`) after an attempt that
      ended "; will retry" (`send` refused) is resumed; a received
      dataset whose `accept` and `receive` entries lie on both sides of a
      `start`, or a delivery queued before a `start` and delivered after
      it, survived a restart (and is resumed too).
    - failovers: entries actor `node`, action `failover`, rule
      `sibling.failover`, allow, detail "MS ms ..."; drills: action
      `drill`, rule `sibling.drill`, allow (passed) or refuse (failed),
      detail "MS ms ...". One whose detail does not start so is left out,
      with a note.
    - backups and restores: `backup` and `restore` entries allowed.
    - audit: node_audit_verify (as cdx audit verify), without a checkpoint.
    - certificate: this node's in the directory held (node_directory_load).
    - agreements: in force now (node_agreement_state), and those of them
      ending within NODE_RES_AGREEMENT_DAYS.
    - throughput: bytes received over the time from `accept` (or the
      restart after it) to `receive`, bytes delivered over each delivery's
      last attempt (started to receipt), each at least a second.

    Not for: printing (tools/), recording anything (reading the report
    writes nothing in the log it reads; a refusal is audited).
    Errors: 0 / -1 with the reason in node_error().
*/
#ifndef NODE_RESILIENCE_H_INCLUDED
#define NODE_RESILIENCE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "node.h"

#define NODE_RES_AGREEMENT_DAYS 30
#define NODE_RES_NOTES_MAX 32          /* notes kept; more are counted */

typedef struct {
    int64_t from, to;          /* out of service from .. to (unix seconds, clipped to the period) */
    int unclean;               /* 1: detected at the next start (no stop written) */
    int ongoing;               /* 1: not running at the end of the period */
} node_res_outage_t;

typedef struct {
    char org[17];
    char name[121];            /* the peer's card name, "" when no longer a peer */
    int64_t datasets;
    int64_t bytes;
    int64_t timed;             /* of them, with a known publication time */
    int64_t median_s, p95_s, worst_s;    /* publication to available (nearest rank) */
} node_res_publisher_t;

typedef struct {
    char kind[12];             /* failed | expired | received (a dataset that arrived failed) */
    char reason[257];          /* the delivery's error, or the refusal's rule */
    int64_t count;
} node_res_reason_t;

typedef struct {
    int64_t seq, at;
    char actor[129];
    char peer[17];             /* the sibling's node address */
    int64_t ms;
    int passed;                /* drills: 1 allow, 0 refuse; failovers: 1 */
} node_res_event_t;

typedef struct {
    char ref[65];
    char peer[17];
    int64_t end;
} node_res_agreement_t;

typedef struct {
    int64_t since, until;      /* the period (unix seconds, inclusive) */
    int64_t generated;
    char org[17];
    char name[121];
    int running;               /* a node runs on the home now */

    int64_t window_from;       /* the period's start, or the node's first start if later; 0: never started */
    int64_t window_s;          /* from window_from to the period's end */
    int64_t in_service_s;
    int64_t starts, clean_stops, unclean_stops;
    node_res_outage_t *outages;
    size_t noutages;

    int64_t received;          /* datasets made available in the period */
    node_res_publisher_t *publishers;    /* by org */
    size_t npublishers;

    int64_t deliveries_failed, deliveries_expired, datasets_failed;
    node_res_reason_t *reasons;          /* most frequent first */
    size_t nreasons;

    int64_t resumed, restarts_survived;

    node_res_event_t *failovers;
    size_t nfailovers;
    node_res_event_t *drills;
    size_t ndrills;
    int64_t drills_passed;

    int64_t backups;
    int64_t last_backup;       /* 0: none in the period */
    int64_t last_restore;      /* the last restore up to the period's end, 0 none */

    node_audit_report_t audit;

    int have_cert;             /* this node is in the directory held */
    char dspt[24], dspt_year[12];
    int dspt_met;
    int64_t cert_not_before, cert_not_after;

    int64_t agreements_in_force;
    node_res_agreement_t *ending;        /* in force, ending within NODE_RES_AGREEMENT_DAYS, soonest first */
    size_t nending;

    int64_t bytes_received, bytes_sent;
    int64_t transfer_s;        /* the time spent transferring them */

    char notes[NODE_RES_NOTES_MAX][160]; /* what was left out, and why */
    size_t nnotes;
    int64_t notes_more;
} node_resilience_t;

/* Fills RES for the period SINCE .. UNTIL (UNTIL 0: now). Needs the
   admin or ig-officer role (a refusal is audited, action report-read).
   node_resilience_free frees RES, also after a failure. 0, or -1
   (node_error, node_refused). */
int node_resilience (node_t *n, int64_t since, int64_t until, node_resilience_t *res);
void node_resilience_free (node_resilience_t *res);

/* The milliseconds at the start of a failover's or drill's DETAIL ("MS
   ms", then the end, a space or a colon: "2103 ms: 0DF/b took over 2
   deliveries"): 0 with *MS, or -1. */
int node_res_parse_ms (const char *detail, int64_t *ms);

/* What needs attention: an audit chain that does not verify, an ended
   certificate, a DSPT status that does not meet the standards. FN gets
   each (KIND: audit, certificate, dspt; the problem in one line); FN
   may be NULL. Returns how many. */
typedef void (node_res_attention_fn) (const char *kind, const char *why, void *arg);
int node_resilience_attention (const node_resilience_t *res, node_res_attention_fn *fn, void *arg);

#endif
