/*  find: datasets this node holds, found as a person names them (topic
    and version, an id or its prefix: node.h) and named as every audit
    entry names them; a dataset's row as its manifest describes it.

    Not for: the listings (store.h), a dataset's content (sealed.h).
*/
#ifndef FIND_H_INCLUDED
#define FIND_H_INCLUDED

#include "core.h"

/* 1 if ID is a dataset id as cdx prints them: 32 lower-case hex digits. */
int node_is_dataset_id (const char *id);

/* The audit object of dataset ID as every entry about it names it,
   "TOPIC vVERSION ID", into OBJECT, and its publisher into PUBLISHER
   (17 bytes; may be NULL), when this node holds it: 1. 0 when it does
   not (or ID is not a dataset id): OBJECT holds ID as given, PUBLISHER
   "". */
int node_dataset_object (node_t *n, const char *id, char *object, size_t cap, char *publisher);

/* The fields of D that manifest M gives (publisher, topic, version, class,
   purpose, file name, size, chunking, hash), and its id ID; the rest of D
   is left as it was. */
void node_dataset_from_manifest (store_dataset_t *d, const proto_manifest_t *m, const char id[33]);

#endif
