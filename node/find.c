/*  find.c: a dataset as a person names it: the newest (or a given)
    version of a topic, an id or the first digits of one; and a dataset
    as the audit log names it ("TOPIC vN ID"); a dataset's row as its
    manifest describes it.

    Not for: the listings (store/), what a listing says of a delivery
    (progress.c).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "find.h"

typedef struct {
    const char *publisher, *topic;
    int64_t version, best;
    char id[33];
} s_find_t;

static int s_find_one (const store_dataset_t *d, void *arg)
{
    s_find_t *f = arg;
    if (strcmp (d->topic, f->topic) != 0 || (f->publisher && strcmp (d->publisher, f->publisher) != 0))
        return 0;
    if ((f->version && d->version == f->version) || (!f->version && d->version > f->best)) {
        f->best = d->version;
        memcpy (f->id, d->id, sizeof f->id);
    }
    return 0;
}

int node_find (node_t *n, const char *publisher, const char *topic, int64_t version, char id_out[33])
{
    if ((publisher && node_check_org (n, "--from", publisher) != 0) || node_check_topic (n, "--topic", topic) != 0)
        return -1;
    if (version < 0)
        return node_fail_input (n, "--version: a version is a whole number from 1");
    s_find_t f = {publisher, topic, version, 0, ""};
    if (store_dataset_each (node_db (n), s_find_one, &f) < 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    if (!f.id[0]) {
        if (version)
            return node_fail (n, "no version %lld of %s here: cdx datasets lists what this node holds",
                              (long long) version, topic);
        return node_fail (n, "no dataset of topic %s here: cdx datasets lists what this node holds", topic);
    }
    memcpy (id_out, f.id, 33);
    return 0;
}

/* Datasets whose id starts with a prefix: how many, and the first few. */
#define S_CANDIDATES_SHOWN 4
typedef struct {
    char prefix[33];
    size_t len;
    int count;
    char ids[S_CANDIDATES_SHOWN][33];
    char what[S_CANDIDATES_SHOWN][160];
} s_prefix_t;

static int s_prefix_one (const store_dataset_t *d, void *arg)
{
    s_prefix_t *p = arg;
    if (strncmp (d->id, p->prefix, p->len) != 0)
        return 0;
    if (p->count < S_CANDIDATES_SHOWN) {
        memcpy (p->ids[p->count], d->id, 33);
        snprintf (p->what[p->count], sizeof p->what[0], "%s v%lld", d->topic, (long long) d->version);
    }
    p->count++;
    return 0;
}

int node_resolve_id (node_t *n, const char *text, char id_out[33])
{
    size_t len = text ? strlen (text) : 0;
    s_prefix_t p = {.len = len};
    for (size_t i = 0; i < len && i < 32; i++)
        p.prefix[i] = (char) ((text[i] >= 'A' && text[i] <= 'F') ? text[i] - 'A' + 'a' : text[i]);
    if (len < NODE_ID_PREFIX_MIN || len > 32 || strspn (p.prefix, "0123456789abcdef") != len)
        return node_fail_input (n, "ID: a dataset id is 32 hex digits, or its first %d or more (cdx datasets "
                                "lists them), not \"%.40s\"", NODE_ID_PREFIX_MIN, text ? text : "");
    if (len == 32) {                         /* whole: it may not be here yet (cdx wait) */
        memcpy (id_out, p.prefix, 33);
        return 0;
    }
    if (store_dataset_each (node_db (n), s_prefix_one, &p) < 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    if (p.count == 0)
        return node_fail (n, "no dataset here has an id starting %s: cdx datasets lists what this node holds",
                          p.prefix);
    if (p.count > 1) {
        char list[S_CANDIDATES_SHOWN * 200] = "";
        for (int i = 0; i < p.count && i < S_CANDIDATES_SHOWN; i++)
            snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s (%s)", i ? ", " : "", p.ids[i],
                      p.what[i]);
        return node_fail_input (n, "ID %s is ambiguous: %d datasets start with it: %s%s; give more digits",
                                p.prefix, p.count, list, p.count > S_CANDIDATES_SHOWN ? ", ..." : "");
    }
    memcpy (id_out, p.ids[0], 33);
    return 0;
}


int node_is_dataset_id (const char *id)
{
    if (!id || strlen (id) != 32)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int node_dataset_object (node_t *n, const char *id, char *object, size_t cap, char *publisher)
{
    snprintf (object, cap, "%s", id ? id : "");
    if (publisher)
        publisher[0] = 0;
    store_dataset_t *d = node_is_dataset_id (id) ? malloc (sizeof *d) : NULL;
    if (!d)
        return 0;
    int held = store_dataset_get (node_db (n), id, d) == 0;
    if (held) {
        snprintf (object, cap, "%s v%lld %s", d->topic, (long long) d->version, d->id);
        if (publisher)
            snprintf (publisher, 17, "%s", d->publisher);
    }
    free (d);
    return held;
}

void node_dataset_from_manifest (store_dataset_t *d, const proto_manifest_t *m, const char id[33])
{
    memcpy (d->id, id, sizeof d->id);
    snprintf (d->publisher, sizeof d->publisher, "%s", m->publisher);
    snprintf (d->topic, sizeof d->topic, "%s", m->topic);
    d->version = (int64_t) m->version;
    snprintf (d->class_, sizeof d->class_, "%s", m->class_);
    snprintf (d->purpose, sizeof d->purpose, "%s", m->purpose);
    snprintf (d->filename, sizeof d->filename, "%s", m->filename);
    d->bytes = (int64_t) m->bytes;
    d->chunk_size = m->chunk_size;
    d->chunks = (int64_t) m->chunks;
    memcpy (d->hash, m->hash, sizeof d->hash);
}
