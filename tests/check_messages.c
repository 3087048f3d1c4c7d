/*  check_messages: protocol/messages.def against protocol/SPEC.md, both
    ways, and the codec's lookups against messages.def.

    Every row of SPEC.md's message table (section 6: id, name, fields,
    payload, direction, the socket that accepts it) and every msgpack shape
    below it must be a message of messages.def with the same values, and
    every message of messages.def must be in both; the sentences of section
    3 that say what a ROUTER and a DEALER accept must name the same
    messages. So the spec, the codec, the fixtures and the test peer
    cannot drift apart without a test failing here. Not for: encodings
    (check_protocol_codec.c).
*/
#include "check_protocol.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages.def, read as the codec reads it ------------------------- */

typedef struct {
    int id;
    const char *name;
    proto_from_t from;
    unsigned on;         /* proto_socket_t flags */
    int payload;
    const char *fields;  /* "topic, number" */
} def_msg_t;

#define S_ON_ROUTER PROTO_ROUTER
#define S_ON_DEALER PROTO_DEALER
#define S_ON_BOTH (PROTO_ROUTER | PROTO_DEALER)

static const def_msg_t DEF_MSGS[] = {
#define FIELD(...)
#define MSG(id, name, from, on, payload, ...)                                                      \
    {id, #name, PROTO_FROM_##from, S_ON_##on, payload, #__VA_ARGS__},
#include "messages.def"
#undef MSG
#undef FIELD
};
#define N_DEF_MSGS (sizeof DEF_MSGS / sizeof DEF_MSGS[0])

typedef struct {
    const char *name;
    const char *type; /* UINT, STR, BIN, VBIN */
    uint64_t min, max;
} def_field_t;

static const def_field_t DEF_FIELDS[] = {
#define FIELD(name, type, min, max, rule) {#name, #type, min, max},
#define MSG(...)
#include "messages.def"
#undef MSG
#undef FIELD
};
#define N_DEF_FIELDS (sizeof DEF_FIELDS / sizeof DEF_FIELDS[0])

static const def_msg_t *s_def_msg (int id)
{
    for (size_t i = 0; i < N_DEF_MSGS; i++)
        if (DEF_MSGS[i].id == id) return &DEF_MSGS[i];
    return NULL;
}

/* The msgpack type SPEC.md's shapes give a field kind: "uint", "str",
   "bin" (any length) or "bin16" (exactly 16 bytes). */
static void s_wire_type (const char *field, char *out, size_t len)
{
    for (size_t i = 0; i < N_DEF_FIELDS; i++) {
        const def_field_t *f = &DEF_FIELDS[i];
        if (strcmp (f->name, field) != 0) continue;
        if (strcmp (f->type, "BIN") == 0) {
            ck_assert_uint_eq (f->min, f->max);
            snprintf (out, len, "bin%" PRIu64, f->min);
        } else if (strcmp (f->type, "VBIN") == 0) {
            snprintf (out, len, "bin");
        } else {
            snprintf (out, len, "%s", strcmp (f->type, "UINT") == 0 ? "uint" : "str");
        }
        return;
    }
    ck_abort_msg ("messages.def: no FIELD %s", field);
}

/* ---- SPEC.md, read as a person reads it ------------------------------- */

/* Section SECTION ("## 6. Messages") of SPEC.md, up to the next "## ".
   Freed by the caller. */
static char *s_spec_section (const char *section)
{
    char *spec = check_source_text ("protocol/SPEC.md");
    char *start = strstr (spec, section);
    ck_assert_msg (start != NULL, "SPEC.md has no \"%s\"", section);
    char *end = strstr (start + strlen (section), "\n## ");
    size_t n = end ? (size_t)(end - start) : strlen (start);
    memmove (spec, start, n);
    spec[n] = 0;
    return spec;
}

/* S without its leading and trailing blanks, in place. */
static char *s_trim (char *s)
{
    while (*s == ' ') s++;
    size_t n = strlen (s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n')) s[--n] = 0;
    return s;
}

#define ROW_CELLS 6 /* id, name, fields, payload, direction, accepted on */
#define ROWS_MAX 64

typedef struct {
    int id;
    char cell[ROW_CELLS][256];
} spec_row_t;

/* The rows of section 6's table whose first cell is a number. */
static size_t s_spec_rows (spec_row_t *rows, size_t max)
{
    char *text = s_spec_section ("## 6. Messages");
    size_t n = 0;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        if (line[0] != '|' || !isdigit ((unsigned char)s_trim (line + 1)[0])) continue;
        ck_assert_uint_lt (n, max);
        spec_row_t *r = &rows[n++];
        memset (r, 0, sizeof *r);
        char *p = line + 1;
        for (int c = 0; c < ROW_CELLS; c++) {
            char *bar = strchr (p, '|');
            ck_assert_msg (bar != NULL, "SPEC.md 6: a row of %d cells, %d expected", c, ROW_CELLS);
            *bar = 0;
            snprintf (r->cell[c], sizeof r->cell[c], "%s", s_trim (p));
            p = bar + 1;
        }
        r->id = atoi (r->cell[0]);
    }
    free (text);
    return n;
}

/* A Fields cell ("dataset, doc (= manifest), sig (...)") as the list of
   field names ("dataset, doc, sig"). SPEC.md calls SUBSCRIBED's reason
   str its status (section 6); the codec names the field reason. */
static void s_field_names (const char *cell, char *out, size_t len)
{
    size_t o = 0;
    int depth = 0;
    for (const char *p = cell; *p && o + 1 < len; p++) {
        if (*p == '(') depth++;
        else if (*p == ')') depth--;
        else if (depth == 0 && *p != '`') out[o++] = *p;
    }
    out[o] = 0;
    char *w;
    while ((w = strstr (out, "  "))) memmove (w, w + 1, strlen (w));
    while ((w = strstr (out, " ,"))) memmove (w, w + 1, strlen (w));
    if ((w = strstr (out, "status"))) memcpy (w, "reason", 6);
    char *t = s_trim (out);
    memmove (out, t, strlen (t) + 1);
}

static proto_from_t s_direction (const char *cell)
{
    if (strncmp (cell, "either", 6) == 0) return PROTO_FROM_EITHER;
    if (strcmp (cell, "subscriber → publisher") == 0) return PROTO_FROM_SUBSCRIBER;
    if (strcmp (cell, "publisher → subscriber") == 0) return PROTO_FROM_PUBLISHER;
    if (strcmp (cell, "sibling → sibling") == 0) return PROTO_FROM_SIBLING;
    ck_abort_msg ("SPEC.md 6: direction \"%s\"", cell);
    return PROTO_FROM_NONE;
}

static unsigned s_accepted (const char *cell)
{
    if (strcmp (cell, "ROUTER") == 0) return PROTO_ROUTER;
    if (strcmp (cell, "DEALER") == 0) return PROTO_DEALER;
    if (strcmp (cell, "both") == 0) return PROTO_ROUTER | PROTO_DEALER;
    ck_abort_msg ("SPEC.md 6: accepted on \"%s\"", cell);
    return 0;
}

/* ---- the table, both ways ---------------------------------------------- */

START_TEST (test_spec_table_row_is_defined)
{
    spec_row_t rows[ROWS_MAX];
    size_t n = s_spec_rows (rows, ROWS_MAX);
    ck_assert_uint_gt (n, 0);
    for (size_t i = 0; i < n; i++) {
        const spec_row_t *r = &rows[i];
        const def_msg_t *d = s_def_msg (r->id);
        char names[256];
        ck_assert_msg (d != NULL, "SPEC.md 6: message %d (%s) is not in messages.def", r->id,
                       r->cell[1]);
        ck_assert_str_eq (d->name, r->cell[1]);
        s_field_names (r->cell[2], names, sizeof names);
        ck_assert_msg (strcmp (names, d->fields) == 0, "%s: SPEC.md's fields \"%s\", messages.def's \"%s\"",
                       d->name, names, d->fields);
        ck_assert_msg (d->payload == (strncmp (r->cell[3], "yes", 3) == 0), "%s: payload", d->name);
        ck_assert_msg (d->from == s_direction (r->cell[4]), "%s: direction", d->name);
        ck_assert_msg (d->on == s_accepted (r->cell[5]), "%s: accepted on", d->name);
    }
}
END_TEST

START_TEST (test_defined_message_is_in_spec_table)
{
    spec_row_t rows[ROWS_MAX];
    size_t n = s_spec_rows (rows, ROWS_MAX);
    for (size_t i = 0; i < N_DEF_MSGS; i++) {
        size_t j = 0;
        while (j < n && rows[j].id != DEF_MSGS[i].id) j++;
        ck_assert_msg (j < n, "messages.def: %s (%d) is not in SPEC.md's table", DEF_MSGS[i].name,
                       DEF_MSGS[i].id);
        ck_assert_str_eq (rows[j].cell[1], DEF_MSGS[i].name);
    }
    char *text = s_spec_section ("## 6. Messages");
    char want[64];
    snprintf (want, sizeof want, "Message ids are 1 to %d;", PROTO_MSG_MAX);
    ck_assert_msg (strstr (text, want) != NULL, "SPEC.md 6 does not say \"%s\"", want);
    free (text);
}
END_TEST

/* ---- the msgpack shapes, both ways ----------------------------------- */

/* The shape line of message NAME in section 6 ("    NAME = [1, 3, ...]"),
   as the items after version and id with their types ("dataset:bin16"),
   each type made a list "bin16, bin, ..."; its id in *ID. 0 if none. */
static int s_spec_shape (const char *text, const char *name, int *id, char *types, size_t len)
{
    char key[64];
    snprintf (key, sizeof key, "\n    %s ", name);
    const char *p = strstr (text, key);
    if (!p) return 0;
    p = strchr (p, '[');
    const char *end = p ? strchr (p, ']') : NULL;
    ck_assert_msg (p && end, "SPEC.md 6: the shape of %s has no [...]", name);
    int version = 0;
    ck_assert_int_eq (sscanf (p, "[%d, %d", &version, id), 2);
    ck_assert_msg ((unsigned) version == proto_msg_version ((unsigned) *id),
                   "SPEC.md 6: the shape of %s is in version %d, proto_msg_version says %u", name, version,
                   proto_msg_version ((unsigned) *id));
    size_t o = 0;
    types[0] = 0;
    for (const char *c = strchr (p, ','); c && c < end; c = strchr (c + 1, ',')) {
        size_t item = strcspn (c + 1, ",]");
        const char *colon = memchr (c + 1, ':', item);
        if (!colon) continue; /* the id */
        int tl = (int)(item - (size_t)(colon + 1 - (c + 1)));
        o += (size_t)snprintf (types + o, len - o, "%s%.*s", o ? ", " : "", tl, colon + 1);
    }
    return 1;
}

START_TEST (test_spec_shapes_match_the_fields)
{
    char *text = s_spec_section ("## 6. Messages");
    for (size_t i = 0; i < N_DEF_MSGS; i++) {
        const def_msg_t *d = &DEF_MSGS[i];
        char spec[256], def[256] = "", fields[256], type[16];
        int id = 0;
        ck_assert_msg (s_spec_shape (text, d->name, &id, spec, sizeof spec),
                       "SPEC.md 6 gives no msgpack shape for %s", d->name);
        ck_assert_int_eq (id, d->id);
        snprintf (fields, sizeof fields, "%s", d->fields);
        size_t o = 0;
        for (char *f = strtok (fields, ", "); f; f = strtok (NULL, ", ")) {
            s_wire_type (f, type, sizeof type);
            o += (size_t)snprintf (def + o, sizeof def - o, "%s%s", o ? ", " : "", type);
        }
        ck_assert_msg (strcmp (spec, def) == 0, "%s: SPEC.md's shape has \"%s\", messages.def \"%s\"",
                       d->name, spec, def);
    }
    /* and every shape is a defined message */
    for (const char *p = strstr (text, "\n    "); p; p = strstr (p + 1, "\n    ")) {
        char name[32];
        int id;
        if (sscanf (p + 5, "%31[A-Z] = [%*d, %d", name, &id) != 2) continue;
        const def_msg_t *d = s_def_msg (id);
        ck_assert_msg (d && strcmp (d->name, name) == 0, "SPEC.md 6: shape %s (%d) is not in messages.def",
                       name, id);
    }
    free (text);
}
END_TEST

/* ---- section 3: what a ROUTER and a DEALER accept --------------------- */

/* The names listed after WHO ("A `ROUTER` accepts ") up to the ';', as
   the set of their messages.def ids (bit id). */
static uint64_t s_spec_accepts (const char *text, const char *who)
{
    const char *p = strstr (text, who);
    ck_assert_msg (p != NULL, "SPEC.md 3 no longer says \"%s\"", who);
    p += strlen (who);
    uint64_t set = 0;
    while (*p && *p != ';') {
        char name[32];
        int n = 0;
        if (sscanf (p, "%31[A-Z]%n", name, &n) == 1) {
            size_t i = 0;
            while (i < N_DEF_MSGS && strcmp (DEF_MSGS[i].name, name) != 0) i++;
            ck_assert_msg (i < N_DEF_MSGS, "SPEC.md 3: %s accepts %s, not in messages.def", who, name);
            set |= (uint64_t)1 << DEF_MSGS[i].id;
            p += n;
        } else {
            p++;
        }
    }
    return set;
}

START_TEST (test_spec_sockets_accept_as_defined)
{
    char *text = s_spec_section ("## 3. Sockets and roles");
    for (char *c = text; *c; c++)
        if (*c == '\n') *c = ' ';
    uint64_t router = s_spec_accepts (text, "A `ROUTER` accepts ");
    uint64_t dealer = s_spec_accepts (text, "A `DEALER` accepts ");
    free (text);
    for (size_t i = 0; i < N_DEF_MSGS; i++) {
        const def_msg_t *d = &DEF_MSGS[i];
        ck_assert_msg (!!(router >> d->id & 1) == !!(d->on & PROTO_ROUTER), "%s on a ROUTER", d->name);
        ck_assert_msg (!!(dealer >> d->id & 1) == !!(d->on & PROTO_DEALER), "%s on a DEALER", d->name);
    }
}
END_TEST

/* ---- the codec's lookups follow messages.def -------------------------- */

START_TEST (test_lookups_follow_the_def)
{
    ck_assert_int_eq (PROTO_MSG_MAX, (int)N_DEF_MSGS);
    for (int id = -1; id <= 300; id++) {
        const def_msg_t *d = s_def_msg (id);
        for (unsigned s = PROTO_ROUTER; s <= PROTO_DEALER; s <<= 1)
            ck_assert_int_eq (proto_accepted_on (id, (proto_socket_t)s), d ? !!(d->on & s) : 0);
        ck_assert_int_eq (proto_sender (id), d ? d->from : PROTO_FROM_NONE);
        if (id < 0 || id > 255) continue;
        ck_assert_str_eq (proto_name ((uint8_t)id), d ? d->name : "UNKNOWN");
        ck_assert_int_eq (proto_has_payload ((uint8_t)id), d ? d->payload : 0);
    }
    ck_assert (!proto_accepted_on (PROTO_ERROR, PROTO_ROUTER)); /* logged, never answered */
    ck_assert (proto_accepted_on (PROTO_ERROR, PROTO_DEALER));
}
END_TEST

/* ---- the examples (spec_examples.c) cover messages.def ---------------- */

START_TEST (test_every_message_has_an_example)
{
    proto_msg_t m;
    for (size_t i = 0; i < N_DEF_MSGS; i++) {
        ck_assert_msg (spec_example_msg (DEF_MSGS[i].id, &m) == 0, "no example of %s: %s",
                       DEF_MSGS[i].name, proto_error ());
        ck_assert_int_eq (m.id, DEF_MSGS[i].id);
    }
    ck_assert_int_eq (spec_example_msg (0, &m), -1);
    ck_assert_int_eq (spec_example_msg (PROTO_MSG_MAX + 1, &m), -1);
}
END_TEST

TCase *check_messages_tcase (void)
{
    TCase *t = tcase_create ("messages-def");
    tcase_add_test (t, test_spec_table_row_is_defined);
    tcase_add_test (t, test_defined_message_is_in_spec_table);
    tcase_add_test (t, test_spec_shapes_match_the_fields);
    tcase_add_test (t, test_spec_sockets_accept_as_defined);
    tcase_add_test (t, test_lookups_follow_the_def);
    tcase_add_test (t, test_every_message_has_an_example);
    return t;
}
