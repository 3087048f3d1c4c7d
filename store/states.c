/*  states.c: the words of the states in states.def, both ways.

    What a row's state is stored and printed as (the name functions) and
    which state a stored word is (the parse functions), from the one list.
    The readers of store/ refuse a word that is not in it; the command line
    prints the words through the name functions.

    Not for: what a state means or which change of state is allowed (the
    node's), nor the schema's CHECK constraints (store.c).
*/
#include "rows.h"

#include <stddef.h>
#include <string.h>

static const char *const s_dataset_words[] = {
#define STORE_DATASET_STATE(id, word) [STORE_DS_##id] = word,
#include "states.def"
};

static const char *const s_sub_words[] = {
#define STORE_SUB_STATE(id, word) [STORE_SUB_##id] = word,
#include "states.def"
};

static const char *const s_delivery_words[] = {
#define STORE_DELIVERY_STATE(id, word) [STORE_DL_##id] = word,
#include "states.def"
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* WORDS[STATE], or NULL if STATE is outside WORDS. */
static const char *s_name (const char *const *words, size_t n, int state)
{
    return state >= 0 && (size_t)state < n ? words[state] : NULL;
}

/* The index of WORD in WORDS, or -1. */
static int s_parse (const char *const *words, size_t n, const char *word)
{
    if (!word) return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp (words[i], word) == 0) return (int)i;
    return -1;
}

/* The name and parse functions of one vocabulary: KIND's WORDS, enum TYPE. */
#define STATE_FUNCTIONS(kind, type, words)                                                         \
    const char *store_##kind##_state_name (type state)                                            \
    {                                                                                              \
        return s_name (words, COUNT (words), (int)state);                                          \
    }                                                                                              \
    int store_##kind##_state_parse (const char *word, type *out)                                  \
    {                                                                                              \
        int i = s_parse (words, COUNT (words), word);                                              \
        if (i < 0) return -1;                                                                      \
        *out = (type)i;                                                                            \
        return 0;                                                                                  \
    }

STATE_FUNCTIONS (dataset, store_dataset_state_t, s_dataset_words)
STATE_FUNCTIONS (sub, store_sub_state_t, s_sub_words)
STATE_FUNCTIONS (delivery, store_delivery_state_t, s_delivery_words)
