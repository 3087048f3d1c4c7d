/*  audit: what the other node files use of the audit log beyond the
    public node_audit and node_audit_purpose (node.h).

    Not for: the chain's checks and checkpoints (node.h, audit.c).
*/
#ifndef AUDIT_H_INCLUDED
#define AUDIT_H_INCLUDED

#include "core.h"

/* The refusal just set (node_fail) audited under ACTOR with its rule, the
   reason as the entry's detail and the reason kept (unless the entry
   cannot be written), for "return node_audit_refusal (...)": -1. */
int node_audit_refusal (node_t *n, const char *actor, const char *action, const char *object, const char *peer,
                        const char *rule);

#endif
