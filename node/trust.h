/*  trust: the authority a node trusts and the peers it certified, for
    the other node files (the commands are in node.h).

    Not for: the authority's own side (authority.c), the formats (cert.h).
*/
#ifndef TRUST_H_INCLUDED
#define TRUST_H_INCLUDED

#include "cert.h"
#include "core.h"

/* The trusted authority's key (and name): 0, STORE_NOTFOUND if none is
   trusted, -1 on error (node_error). */
int node_authority_key (node_t *n, uint8_t pk[32], char *name, size_t cap);

/* The directory held, parsed into D (cert_dir_free it): 0, STORE_NOTFOUND
   if none is held, -1 on error (node_error). */
int node_directory_load (node_t *n, cert_dir_t *d);

/* 1 if the authority has certified some node of ORG (a peer), current,
   revoked or expired: such an organisation's nodes are known from the
   directory alone, never pinned by hand. */
int node_org_certified (node_t *n, const char *org);

/* 0 if SIG over MSG verifies with the signing key of some node of ORG
   that is not barred (revoked or expired; this node's own for its own
   org): a signature by an organisation (SPEC.md 9.2). -1 otherwise. */
int node_org_verify (node_t *n, const char *org, const uint8_t *msg, size_t len, const uint8_t sig[64]);

/* Adds the peer of a certificate file (node_peer_add's other half). */
int node_cert_add (node_t *n, const char *text, size_t len, store_peer_t *out);

#endif
