/*  node_internal: every internal header of node/ at once, for the event
    loop (run.c) and reconciliation (reconcile.c) until each includes the
    ones it uses. New files include those by name (core.h, keys.h, ...).
*/
#ifndef NODE_INTERNAL_H_INCLUDED
#define NODE_INTERNAL_H_INCLUDED

#include "access.h"
#include "agree.h"
#include "core.h"
#include "find.h"
#include "keys.h"
#include "kick.h"
#include "sealed.h"
#include "trust.h"

#endif
