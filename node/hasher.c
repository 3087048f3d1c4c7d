/*  hasher.c: the hashing thread of node_publish and of a running node's
    incoming transfers (hasher.h). A mutex, a condition variable and one
    job slot; the thread sleeps on the condition when there is nothing to
    hash, so an idle node pays nothing for it.

    Not for: a queue of jobs (one in hand is all the overlap two cores
    give), or any other work.
*/
#include "hasher.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct node_hasher {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    cx_hash_t *hash;             /* the job in hand; NULL when idle */
    const uint8_t *data;
    size_t len;
    int quit;
};

static void *s_main (void *arg)
{
    node_hasher_t *h = arg;
    pthread_mutex_lock (&h->mu);
    for (;;) {
        while (!h->hash && !h->quit)
            pthread_cond_wait (&h->cv, &h->mu);
        if (!h->hash)
            break;                               /* told to quit, nothing in hand */
        cx_hash_t *hash = h->hash;
        const uint8_t *data = h->data;
        size_t len = h->len;
        pthread_mutex_unlock (&h->mu);
        (void) cx_hash_update (hash, data, len);
        pthread_mutex_lock (&h->mu);
        h->hash = NULL;
        pthread_cond_broadcast (&h->cv);
    }
    pthread_mutex_unlock (&h->mu);
    return NULL;
}

node_hasher_t *node_hasher_new (void)
{
    node_hasher_t *h = calloc (1, sizeof *h);
    if (!h)
        return NULL;
    int e = pthread_mutex_init (&h->mu, NULL);
    if (e == 0) {
        e = pthread_cond_init (&h->cv, NULL);
        if (e == 0) {
            e = pthread_create (&h->thread, NULL, s_main, h);
            if (e == 0)
                return h;
            pthread_cond_destroy (&h->cv);
        }
        pthread_mutex_destroy (&h->mu);
    }
    free (h);
    errno = e;
    return NULL;
}

void node_hasher_wait (node_hasher_t *h)
{
    pthread_mutex_lock (&h->mu);
    while (h->hash)
        pthread_cond_wait (&h->cv, &h->mu);
    pthread_mutex_unlock (&h->mu);
}

void node_hasher_post (node_hasher_t *h, cx_hash_t *hash, const uint8_t *data, size_t len)
{
    pthread_mutex_lock (&h->mu);
    while (h->hash)
        pthread_cond_wait (&h->cv, &h->mu);
    h->hash = hash;
    h->data = data;
    h->len = len;
    pthread_cond_broadcast (&h->cv);
    pthread_mutex_unlock (&h->mu);
}

void node_hasher_destroy (node_hasher_t **h_p)
{
    if (!h_p || !*h_p)
        return;
    node_hasher_t *h = *h_p;
    pthread_mutex_lock (&h->mu);
    h->quit = 1;
    pthread_cond_broadcast (&h->cv);
    pthread_mutex_unlock (&h->mu);
    pthread_join (h->thread, NULL);
    pthread_cond_destroy (&h->cv);
    pthread_mutex_destroy (&h->mu);
    free (h);
    *h_p = NULL;
}
