/*  policy: decides whether one disclosure of data may happen, deny by
    default, and names the rule that decided.

    The same function is asked (a) by a publisher before it offers or sends
    a dataset to a subscriber, (b) by a subscriber before it accepts an
    OFFER, and (c) by a publisher when a subscription is requested. It reads
    the store (agreements, peers) and nothing else; the caller records the
    decision in the audit log and tells the peer. docs/IG-RULES.md lists
    every rule and the tests that prove it.

    Not for: checking signatures (agreements are verified when they are
    stored), the audit log, the wire.
*/
#ifndef POLICY_H_INCLUDED
#define POLICY_H_INCLUDED

#include <stdint.h>

#include "store.h"

typedef enum {
    POLICY_SEND,          /* this node is the provider, about to offer or send */
    POLICY_RECEIVE,       /* this node is the recipient of an OFFER */
    POLICY_SUBSCRIBE,     /* this node is the provider; a subscription is asked for */
    POLICY_PUBLISH        /* this node publishes data it received (policy_onward only) */
} policy_stage_t;

typedef struct {
    policy_stage_t stage;
    const char *provider;     /* publisher's org code */
    const char *recipient;    /* subscriber's org code */
    const char *topic;
    const char *class_;       /* the dataset's class; NULL at POLICY_SUBSCRIBE */
    const char *purpose;      /* the dataset's purpose; NULL at POLICY_SUBSCRIBE */
    const char *legal_basis;  /* from the manifest ("" if none) */
    const char *opt_out;      /* from the manifest */
    const char *source;       /* the agreement the data was received under, or "" */
    int64_t now;              /* unix seconds */
} policy_request_t;

typedef struct {
    int allow;                /* 1 allowed, 0 refused */
    char rule[48];            /* e.g. "policy.allow", "policy.no-agreement" */
    char reason[256];         /* for a person; sent to the peer on refusal */
    char agreement[65];       /* the agreement that allowed it (or was nearest) */
    int64_t until;            /* allowed: the agreement ends then (unix seconds) */
} policy_decision_t;

/* Decides Q into D. 0 when D holds a decision (allowed or not); -1 if the
   store could not be read (D then refuses with rule policy.error). A
   send or receive whose provider is its recipient is a copy between
   nodes of one organisation (SPEC.md 11.5): allowed, rule sibling.copy,
   with no agreement or subscription asked for. */
int policy_decide (store_t *s, const policy_request_t *q, policy_decision_t *d);

/* The onward-sharing rule, the one place it is decided: data HOLDER
   received under agreement SOURCE may go further only if HOLDER holds
   that agreement and is its recipient, and the agreement allows onward
   sharing and is in force at NOW (signed by both, not revoked, started,
   not ended). D's rule is policy.onward, its reason worded for STAGE:
   POLICY_SEND, a dataset about to be offered; POLICY_PUBLISH, a publish
   naming --agreement, before anything is written. 0 when D holds the
   decision; -1 if the store could not be read or memory ran out: D then
   refuses (POLICY_SEND: as an agreement not held; POLICY_PUBLISH: rule
   policy.error, the reason the error). */
int policy_onward (store_t *s, policy_stage_t stage, const char *holder, const char *source, int64_t now,
                   policy_decision_t *d);

/* 1 if a DSPT assessment of YEAR ("2025/26") is still current at NOW: an
   assessment is due by 30 June after its year and stands until the next
   one is due a year later. */
int policy_dspt_current (const char *year, int64_t now);

#endif
