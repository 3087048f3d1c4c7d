/*  home: a node's home directory, its layout and the checks made before
    any of it is trusted; and the removal of what interrupted commands left
    in data/.

    A home is trusted only if nobody but the account running the node (or
    root) could have put or changed anything in it: the home, keys/,
    keys/old/ and data/ are real directories (not symbolic links) owned by
    that account or root and not writable by group or others; store.db
    (and its -wal and -shm) and the key files are regular files owned
    likewise that group and others can neither read nor write (the rule
    crypto/keyfile.c applies to key files); and the keys are the ones on the
    node's card in the store. Every refusal names the path and the fix.

    Not for: reading keys (crypto/keyfile.c) or the store (store/); the
    node's operations (publish.c, export.c, ...).
*/
#ifndef NODE_HOME_H_INCLUDED
#define NODE_HOME_H_INCLUDED

#include <stddef.h>

#include "node.h"

#define NODE_HOME_KEYS "keys"
#define NODE_HOME_OLDKEYS "keys/old"
#define NODE_HOME_DATA "data"
#define NODE_HOME_STORE "store.db"

/* What a cdx init made, so that a failed one removes exactly that. */
typedef struct {
    int home;  /* the home directory itself */
    int keys;  /* keys/ and the key files in it */
    int data;  /* data/ */
    int store; /* store.db and its -wal, -shm, -journal */
} node_home_made_t;

/* Checks HOME as described above (the keys against the card excepted:
   node_home_check_card). 0, or -1 with the path and the fix in ERR. */
int node_home_check (const char *home, char *err, size_t errlen);

/* 1 if this account may not use HOME because of permissions: a
   directory on its path closed to it, HOME itself not searchable, or its
   store not readable and writable by it. ERR then says "cannot read
   HOME: permission denied", whose it is and what to do. 0 if not (HOME
   may still be missing or refused by node_home_check). */
int node_home_denied (const char *home, char *err, size_t errlen);

/* Prepares HOME for cdx init: HOME must not exist, or be an empty
   directory that passes node_home_check's rules for a home. Creates HOME
   (if absent), keys/ and data/, mode 0700 whatever the umask, and records
   them in *MADE (zeroed first). 0, or -1 with the reason in ERR, having
   removed what it made. */
int node_home_make (const char *home, node_home_made_t *made, char *err, size_t errlen);

/* Removes what *MADE records (a failed cdx init), and the key files and
   store files cdx init writes in them. Nothing else is touched. */
void node_home_undo (const char *home, const node_home_made_t *made);

/* 0 if the node's keys are those on its card in the store and the card
   verifies; -1 with the reason and the fix in ERR. */
int node_home_check_card (node_t *n, char *err, size_t errlen);

/* Called on a dataset file (data/ID.sealed.tmp) FD just created: holds it
   until FD is closed, so that node_home_sweep leaves it alone. 0; 1 if a
   sweep removed the file first (create another); -1 on error (errno). */
int node_home_hold (int fd);

/* Removes from data/ the temporaries of interrupted publishes
   (ID.sealed.tmp) and, unless TEMPS_ONLY, the sealed files no dataset row
   names (ID.sealed: one store look-up each, so only at the node's start,
   not on every publish), skipping any file a command holds
   (node_home_hold); logs each and, if any, writes one audit entry (action
   cleanup) with ACTOR. Returns the number of files removed, or -1 if
   data/ could not be read (logged). */
int node_home_sweep (node_t *n, const char *actor, int temps_only);

#endif
