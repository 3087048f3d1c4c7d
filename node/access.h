/*  access: the local user acting on a node, for the other node files:
    who it is (node_identify, at every node_open), what is recorded when a
    role is missing, and the roles read again at the end of long work.
    The user's login and roles are access.c's own (struct node_acting).

    Not for: the public checks (node_authorize, node_actor, node_login,
    node.h), the users table's SQL (store/).
*/
#ifndef ACCESS_H_INCLUDED
#define ACCESS_H_INCLUDED

#include "core.h"

/* Sets the user acting: LOGIN, with the roles the store gives it (none
   if it is not a user of the node). 0, or -1 (node_error). */
int node_identify (node_t *n, const char *login);
/* Frees what node_identify made. */
void node_acting_release (node_t *n);

/* node_authorize (node.h) recording what was asked: CLAIM's action,
   object, peer, purpose and note (before the reason) in the refusal's
   entry. The role held, or 0 (audited, role.missing; node_error). */
unsigned node_authorize_claim (node_t *n, unsigned any, const node_claim_t *claim);

/* Reads again, from the store, the roles of the user acting, for a
   decision taken again at the end of long work. 0, or -1 (node_error). */
int node_refresh_roles (node_t *n);

#endif
