/*  kick: how a command nudges the running node of its home, one datagram
    on HOME/kick.ipc, and how it knows one runs (HOME/run.lock held).

    Not for: the socket the running node reads (node/run/), peers (ZeroMQ).
*/
#ifndef KICK_H_INCLUDED
#define KICK_H_INCLUDED

#include <sys/un.h>

#include "core.h"

#define NODE_KICK_FILE "kick.ipc"

/* The address of HOME/kick.ipc, the running node's local datagram socket
   that CLI commands nudge (node_kick). -1 if the path is too long for a
   local socket. */
int node_kick_addr (const node_t *n, struct sockaddr_un *addr);

#endif
