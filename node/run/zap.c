/*  zap.c: who may connect and who is barred: the ZAP handler that admits a
    CURVE key, and the peers loaded from the store (reconnected when their
    card changes, barred when revoked or their certificate ended).

    Not for: what admitted peers may do (the policy, the jobs).
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cert.h"
#include "home.h"
#include "run_internal.h"
#include "trust.h"

/* A peer the authority revoked, or whose certificate ended: its DEALER is
   closed (nothing more is sent to it), a transfer to it in progress is put
   back in line with the reason, and the event is audited once. */
void zap_bar (run_t *r, peer_t *p, const char *rule)
{
    int had = p->dealer != NULL;
    if (p->out.dataset[0])
        out_event (r, p, OUT_EV_BARRED, NULL);
    peer_close (p);
    if (p->connected)
        peer_seen (r, p, 0);
    p->connected = 0;
    if (p->barred && strcmp (p->barred, rule) == 0)
        return;
    p->barred = rule;
    char actor[80];
    peer_actor (p, actor, sizeof actor);
    node_audit (r->n, actor, "disconnect", "peer", p->info.address, "refuse", rule,
                "%s is barred (%s): %sno data is sent to it or accepted from it; deliveries to it are held",
                p->info.address, strcmp (rule, "trust.revoked") == 0 ? "revoked by the authority" : "certificate ended",
                had ? "its connection closed; " : "");
    node_log (r->n, "warn", "peer %s barred (%s)", p->info.address, rule);
}

static int s_load_peer (const store_peer_t *info, void *arg)
{
    run_t *r = arg;
    peer_t *p = peer_find (r, info->address);
    const char *rule = NULL;
    int barred = node_peer_barred (info, (int64_t) time (NULL), &rule);
    if (p && memcmp (p->info.curve_pk, info->curve_pk, 32) == 0 &&
        strcmp (p->info.endpoint, info->endpoint) == 0 && (barred || p->dealer)) {
        p->info = *info;
        if (barred)
            zap_bar (r, p, rule);
        return 0;
    }
    if (p) {                                  /* card replaced: reconnect */
        if (p->out.dataset[0])
            out_event (r, p, OUT_EV_REPLACED, NULL);
        peer_close (p);
        if (p->connected)
            peer_seen (r, p, 0);
    } else {
        peer_t **grown = realloc (r->peers, (r->npeers + 1) * sizeof *grown);
        if (!grown)
            return -2;                        /* out of memory: zap_reload_peers says so */
        r->peers = grown;
        p = peer_new ();
        if (!p)
            return -2;
        r->peers[r->npeers++] = p;
    }
    p->info = *info;
    p->out.fd = -1;
    p->connected = 0;
    p->retry_at = 0;
    p->backoff_ms = 0;
    p->held_noted = 0;
    if (barred) {
        zap_bar (r, p, rule);
        return 0;
    }
    p->barred = NULL;
    if (peer_connect (r, p) != 0)
        node_log (r->n, "error", "peer %s: cannot set up its socket", info->address);
    else
        node_log (r->n, "info", "%s %s (%s) at %s", node_peer_sibling (r->n, info) ? "sibling" : "peer",
                  info->address, info->name, info->endpoint);
    return 0;
}

void zap_reload_peers (run_t *r)
{
    int rc = store_peer_each (node_db (r->n), s_load_peer, r);
    if (rc < 0)
        node_log (r->n, "error", "cannot load peers: %s",
                  rc == -2 ? "out of memory" : store_error (node_db (r->n)));
}

static void s_zap_reply (void *zap, const char *request_id, size_t idlen, const char *status,
                         const char *text, const char *user)
{
    zmq_send (zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send (zap, request_id, idlen, ZMQ_SNDMORE);
    zmq_send (zap, status, strlen (status), ZMQ_SNDMORE);
    zmq_send (zap, text, strlen (text), ZMQ_SNDMORE);
    zmq_send (zap, user, strlen (user), ZMQ_SNDMORE);
    zmq_send (zap, "", 0, 0);
}

void zap_handle (run_t *r)
{
    /* Frames: version, request id, domain, address, routing id, mechanism,
       credentials (the client's CURVE public key). */
    char frames[7][256];
    int sizes[7] = {0};
    int count = 0, more = 1;
    while (more) {
        char buf[256];
        int size = zmq_recv (r->zap, buf, sizeof buf, 0);
        if (size < 0)
            return;
        if (count < 7) {
            int keep = size < (int) sizeof buf ? size : (int) sizeof buf;
            memcpy (frames[count], buf, (size_t) keep);
            sizes[count] = keep;
        }
        count++;
        size_t optlen = sizeof more;
        zmq_getsockopt (r->zap, ZMQ_RCVMORE, &more, &optlen);
    }
    if (count < 2)
        return;
    char address[64] = "";
    if (count > 3)
        snprintf (address, sizeof address, "%.*s", sizes[3] < 63 ? sizes[3] : 63, frames[3]);
    if (count != 7 || sizes[0] != 3 || memcmp (frames[0], "1.0", 3) != 0 || sizes[5] != 5 ||
        memcmp (frames[5], "CURVE", 5) != 0 || sizes[6] != 32) {
        s_zap_reply (r->zap, frames[1], (size_t) sizes[1], "400", "CURVE required", "");
        if (run_limit_pass (r, &r->zap_refusals, ""))
            node_audit (r->n, "node", "connect", "transport", "", "refuse", "zap.mechanism",
                    "connection from %s without CURVE refused", address);
        return;
    }
    store_peer_t peer;
    int found = store_peer_by_curve (node_db (r->n), (const uint8_t *) frames[6], &peer);
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint ((const uint8_t *) frames[6], fpr);
    char actor[64];
    snprintf (actor, sizeof actor, "key:%s", fpr);
    const char *rule = NULL;
    if (found == 0 && node_peer_barred (&peer, (int64_t) time (NULL), &rule)) {
        s_zap_reply (r->zap, frames[1], (size_t) sizes[1], "400",
                     strcmp (rule, "trust.revoked") == 0 ? "revoked" : "certificate ended", "");
        if (!run_limit_pass (r, &r->zap_refusals, ""))
            return;
        char until[32];
        time_t t = (time_t) (strcmp (rule, "trust.revoked") == 0 ? peer.revoked : peer.not_after);
        struct tm tm;
        gmtime_r (&t, &tm);
        strftime (until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", &tm);
        node_log (r->n, "warn", "refused connection from %s (%s): %s", peer.address, address, rule);
        node_audit (r->n, actor, "connect", "transport", peer.address, "refuse", rule,
                    "connection from %s refused: %s's %s at %s", address, peer.address,
                    strcmp (rule, "trust.revoked") == 0 ? "key was revoked by the authority" : "certificate ended",
                    until);
        return;
    }
    if (found == 0) {
        /* User-Id: the node's address (SPEC.md 4.2) */
        s_zap_reply (r->zap, frames[1], (size_t) sizes[1], "200", "OK", peer.address);
        peer_t *p = peer_find (r, peer.address);
        if (p && !p->admitted) {                /* once per peer and run: how it was trusted */
            p->admitted = 1;
            node_audit (r->n, actor, "connect", "transport", peer.address, "allow",
                        strcmp (peer.trust, "certified") == 0 ? "trust.certified" : "trust.pinned",
                        "%s%s admitted from %s (%s%s%s)", node_peer_sibling (r->n, &peer) ? "sibling " : "",
                        peer.address, address,
                        strcmp (peer.trust, "certified") == 0 ? "certified by the authority, DSPT " : "pinned by hand",
                        strcmp (peer.trust, "certified") == 0 ? peer.dspt : "",
                        "");
        }
        return;
    }
    uint8_t apk[32];
    int has_authority = node_authority_key (r->n, apk, NULL, 0) == 0;
    s_zap_reply (r->zap, frames[1], (size_t) sizes[1], "400", "unknown key", "");
    if (!run_limit_pass (r, &r->zap_refusals, ""))
        return;
    node_log (r->n, "warn", "refused connection from %s: CURVE key %s is not a known peer", address, fpr);
    if (has_authority)
        node_audit (r->n, actor, "connect", "transport", "", "refuse", "trust.uncertified",
                    "connection from %s refused: CURVE key %s has no certificate in the authority's directory and "
                    "was not pinned by hand", address, fpr);
    else
        node_audit (r->n, actor, "connect", "transport", "", "refuse", "zap.unknown-key",
                    "connection from %s refused: CURVE key %s belongs to no added peer", address, fpr);
}
