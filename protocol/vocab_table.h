/*  vocab_table.h: one vocabulary of vocab.c, made from its .def file: its
    words in order, their list ("a, b, c") and the s_vocab_t over both,
    and (if VOCAB_FITS is defined) a compile-time check that every word
    fits the field that holds it. The one shape of every vocabulary.

    Included by vocab.c only, once per vocabulary, after defining
    VOCAB_FILE (the .def), VOCAB_VAR (the s_vocab_t to define) and
    VOCAB_WORD (the word among an X line's arguments); it undefines them.
    No include guard, on purpose. Not for: anything else.
*/
#define VOCAB_CAT_(a, b) a##b
#define VOCAB_CAT(a, b) VOCAB_CAT_ (a, b)

static const char *const VOCAB_CAT (VOCAB_VAR, _words)[] = {
#define X(...) VOCAB_WORD (__VA_ARGS__),
#include VOCAB_FILE
#undef X
};

static const char VOCAB_CAT (VOCAB_VAR, _list)[] =
#define X(...) ", " VOCAB_WORD (__VA_ARGS__)
#include VOCAB_FILE
#undef X
    ;

static const s_vocab_t VOCAB_VAR = {
    VOCAB_CAT (VOCAB_VAR, _words),
    sizeof VOCAB_CAT (VOCAB_VAR, _words) / sizeof VOCAB_CAT (VOCAB_VAR, _words)[0],
    VOCAB_CAT (VOCAB_VAR, _list) + 2 /* the first ", " */
};

#ifdef VOCAB_FITS
#define X(...)                                                                                     \
    _Static_assert (sizeof VOCAB_WORD (__VA_ARGS__) <= VOCAB_FITS,                                 \
                    "a word of " VOCAB_FILE " fits the field that holds it");
#include VOCAB_FILE
#undef X
#undef VOCAB_FITS
#endif

#undef VOCAB_CAT
#undef VOCAB_CAT_
#undef VOCAB_FILE
#undef VOCAB_VAR
#undef VOCAB_WORD
