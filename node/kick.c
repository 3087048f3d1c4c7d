/*  kick.c: whether a node runs on this home (run.lock held) and the nudge
    a command gives it, one datagram on kick.ipc, to look at the store
    again.

    Not for: the running node's side of the socket (node/run/).
*/
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kick.h"

int node_running (node_t *n)
{
    char path[NODE_PATH_MAX];
    if (node_join (path, sizeof path, node_home (n), NODE_LOCK_FILE) != 0)
        return 0;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int running = 0;
    if (flock (fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
        running = 1;
    close (fd);
    return running;
}

void node_kick (node_t *n)
{
    if (node_holds_run (n) || !node_running (n))
        return;
    /* One datagram on a local socket: no ZeroMQ context, I/O threads or
       linger to wait for, so a publish returns as soon as it is recorded.
       Lost kicks cost nothing: the node rescans the store on any kick and
       on its timers. */
    struct sockaddr_un addr;
    if (node_kick_addr (n, &addr) != 0)
        return;
    int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    (void) sendto (fd, "kick", 4, MSG_DONTWAIT, (const struct sockaddr *) &addr, sizeof addr);
    close (fd);
}

int node_kick_addr (const node_t *n, struct sockaddr_un *addr)
{
    memset (addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    int len = snprintf (addr->sun_path, sizeof addr->sun_path, "%s/%s", node_home (n), NODE_KICK_FILE);
    return (len < 0 || (size_t) len >= sizeof addr->sun_path) ? -1 : 0;
}
