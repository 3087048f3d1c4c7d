/*  agree: what the running node does with the agreements peers send
    (agree.c), for the event loop: take one in, make room for proposals,
    record a revocation, carry one in a message. The commands are in
    node.h.

    Not for: the document's format (agreement.h), the decisions made under
    an agreement (policy.h).
*/
#ifndef AGREE_H_INCLUDED
#define AGREE_H_INCLUDED

#include "core.h"

/* Verifies the signatures carried, merges them into the copy held (FROM:
   the peer it came from, or NULL), signs it too with SIGN, stores it and
   audits a change. OUT (may be NULL) receives the copy held; *CHANGED
   whether it changed. */
int node_agreement_take (node_t *n, const uint8_t *doc, size_t doc_len, const uint8_t sig_p[64],
                         const uint8_t sig_r[64], const char *from, int sign, store_agreement_t *out,
                         int *changed);
/* 0 if peer FROM may hand this node the agreement DOC (with signatures
   SIG_P, SIG_R): it is not a new proposal, or FROM has fewer proposals
   here awaiting this node's signature than the limit. -1 with the reason
   (node_error) if FROM is at that limit, or on a store error. A document
   that does not decode passes: node_agreement_take refuses it. */
int node_agreement_room (node_t *n, const uint8_t *doc, size_t doc_len, const uint8_t sig_p[64],
                         const uint8_t sig_r[64], const char *from);
/* Records A as revoked by BY (an org code) and audits it; nothing if it
   was already. PUSHED: whether the other party knows already. */
int node_agreement_mark_revoked (node_t *n, store_agreement_t *a, const char *by, const char *reason,
                                 int pushed);
/* Fills M with the AGREEMENT message carrying A. */
void node_agreement_message (const store_agreement_t *a, proto_msg_t *m);

#endif
