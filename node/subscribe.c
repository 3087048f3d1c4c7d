/*  subscribe.c: the subscriptions an admin asks for (to a peer's topic)
    and ends (as subscriber, or as publisher for one of its subscribers).
    The running node tells the publisher (node/run/); here only the store
    changes, with its audit entry.

    Not for: the publisher's decision on a subscription (policy.c, node/run/serving.c).
*/
#include <stdio.h>
#include <string.h>

#include "core.h"

int node_subscribe (node_t *n, const char *org, const char *topic, int64_t from_version)
{
    /* What flows into the organisation is a decision about the node, as
       peers are: admin. */
    if (node_check_org (n, "--from", org) != 0 || node_check_topic (n, "--topic", topic) != 0)
        return -1;
    if (from_version < 0)
        return node_fail_input (n, "--history: a version is a whole number from 1");
    if (!node_authorize (n, NODE_ROLE_ADMIN, "subscribe", topic))
        return -1;
    store_peer_t peer;
    if (strcmp (org, node_self (n)->org) == 0)
        return node_fail_input (n, "--from %s is this node's own organisation: its nodes hold the same data "
                                "(siblings), they do not subscribe to each other", org);
    int r = store_peer_of_org (node_db (n), org, &peer);
    if (r == STORE_NOTFOUND)
        return node_fail (n, "%s is not a known peer: add its card first with cdx peer add FILE", org);
    if (r != 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    store_sub_t sub;
    memset (&sub, 0, sizeof sub);
    snprintf (sub.publisher, sizeof sub.publisher, "%s", org);
    snprintf (sub.subscriber, sizeof sub.subscriber, "%s", node_self (n)->org);
    snprintf (sub.topic, sizeof sub.topic, "%s", topic);
    sub.state = STORE_SUB_REQUESTED;
    sub.from_version = from_version;
    char actor[160];
    node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
    if (store_begin (node_db (n)) != 0 || store_sub_put (node_db (n), &sub) != 0 ||
        node_audit (n, actor, "subscribe", topic, org, "allow", "local.subscribe",
                    "subscription to %s from %s requested", topic, org) != 0 ||
        store_commit (node_db (n)) != 0) {
        return node_rollback (n, NULL);
    }
    node_kick (n);
    return 0;
}

int node_unsubscribe (node_t *n, const char *org, const char *topic, int as_publisher)
{
    if (node_check_org (n, as_publisher ? "--subscriber" : "--from", org) != 0 ||
        node_check_topic (n, "--topic", topic) != 0)
        return -1;
    if (!node_authorize (n, NODE_ROLE_ADMIN, "unsubscribe", topic))
        return -1;
    store_sub_t sub;
    const char *publisher = as_publisher ? node_self (n)->org : org;
    const char *subscriber = as_publisher ? org : node_self (n)->org;
    int r = store_sub_get (node_db (n), publisher, subscriber, topic, &sub);
    if (r == STORE_NOTFOUND)
        return node_fail (n, "no subscription of %s to %s from %s: cdx subscriptions lists them", subscriber,
                          topic, publisher);
    if (r != 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    char actor[160];
    node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
    if (store_begin (node_db (n)) != 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    /* As subscriber the publisher still has to be told ("ending"); the
       node sends UNSUBSCRIBE and records "ended" on the answer. */
    sub.state = as_publisher ? STORE_SUB_ENDED : STORE_SUB_ENDING;
    sub.origin[0] = '\0';                      /* set here (SPEC.md 11.5) */
    int cancelled = 0;
    if (store_sub_put (node_db (n), &sub) != 0 ||
        (as_publisher &&
         (cancelled = store_delivery_cancel (node_db (n), publisher, topic, subscriber, "unsubscribed")) < 0) ||
        node_audit (n, actor, "unsubscribe", topic, org, "allow", "local.subscribe",
                    "subscription of %s to %s from %s ended%s; %d pending deliveries cancelled", subscriber, topic,
                    publisher, as_publisher ? "" : " (the publisher is told)", cancelled) != 0 ||
        store_commit (node_db (n)) != 0) {
        return node_rollback (n, NULL);
    }
    node_kick (n);
    return 0;
}

