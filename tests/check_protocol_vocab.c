/*  check_protocol_vocab: the vocabularies (purposes.def, classes.def,
    opt_outs.def, dspt.def): their lookups and lists, the refusals that
    name them, and the help texts of tools/ held to them. Not for: the
    text rules of fields (check_protocol_decode.c).
*/
#include "check_protocol.h"
#include "spec_vectors.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- vocabularies: the .def files, their lookups and the help --------- */

START_TEST (test_vocabulary_lookups)
{
    ck_assert_int_eq (PROTO_CLASSES, 3);
    ck_assert (proto_class_known ("pseudonymised"));
    ck_assert (!proto_class_known ("pseudonymized"));
    ck_assert (!proto_class_known (NULL));
    ck_assert_int_eq (proto_class_rank ("aggregate"), PROTO_CLASS_AGGREGATE);
    ck_assert_int_eq (proto_class_rank ("identifiable"), PROTO_CLASS_IDENTIFIABLE);
    ck_assert_int_eq (proto_class_rank ("Identifiable"), -1);
    ck_assert_str_eq (proto_classes_list (), "aggregate, pseudonymised, identifiable");
    ck_assert_str_eq (proto_classes_or (), "aggregate, pseudonymised or identifiable");

    ck_assert_int_eq (PROTO_OPT_OUTS, 3);
    ck_assert (proto_opt_out_known ("statutory-exemption"));
    ck_assert (!proto_opt_out_known ("applied"));
    ck_assert (!proto_opt_out_known (NULL));
    ck_assert_int_eq (proto_opt_out_id ("yes"), PROTO_OPT_OUT_YES);
    ck_assert_int_eq (proto_opt_out_id ("not-identifiable"), PROTO_OPT_OUT_NOT_IDENTIFIABLE);
    ck_assert_int_eq (proto_opt_out_id (""), -1);
    ck_assert_str_eq (proto_opt_outs_list (), "yes, not-identifiable, statutory-exemption");
    ck_assert_str_eq (proto_opt_outs_or (), "yes, not-identifiable or statutory-exemption");

    ck_assert_int_eq (PROTO_DSPTS, 4);
    ck_assert (proto_dspt_known ("approaching-standards"));
    ck_assert (!proto_dspt_known ("standards-mex"));
    ck_assert (proto_dspt_meets ("standards-exceeded"));
    ck_assert (proto_dspt_meets ("standards-met"));
    ck_assert (!proto_dspt_meets ("approaching-standards"));
    ck_assert (!proto_dspt_meets ("standards-not-met"));
    ck_assert (!proto_dspt_meets (""));
    ck_assert (!proto_dspt_meets (NULL));
    ck_assert_str_eq (proto_dspts_list (),
                      "standards-exceeded, standards-met, approaching-standards, standards-not-met");
    ck_assert_str_eq (proto_dspts_or (),
                      "standards-exceeded, standards-met, approaching-standards or standards-not-met");
}
END_TEST

START_TEST (test_vocabulary_refusals_name_the_def)
{
    /* The manifest's rules refuse with the words of the .def files. */
    proto_manifest_t m;
    spec_example_manifest (&m);
    uint8_t buf[4096];
    size_t len = 0;
    strcpy (m.class_, "secret");
    ck_assert_int_ne (proto_manifest_encode (&m, buf, sizeof buf, &len), 0);
    ck_assert_ptr_nonnull (strstr (proto_error (), "not aggregate, pseudonymised or identifiable"));
    spec_example_manifest (&m);
    strcpy (m.opt_out, "applied");
    ck_assert_int_ne (proto_manifest_encode (&m, buf, sizeof buf, &len), 0);
    ck_assert_ptr_nonnull (strstr (proto_error (), "not yes, not-identifiable or statutory-exemption"));
}
END_TEST

/* FILE (under the source tree) as one string with its C string literals
   joined: a '"', a line break, spaces and the next '"' with the spaces
   after it become one space, so a help line split over two literals reads
   as one. Freed by the caller. */
static char *s_source_joined (const char *file)
{
    char *text = check_source_text (file);
    size_t size = strlen (text);
    size_t o = 0;
    for (size_t i = 0; i < size;) {
        if (text[i] == '\\' && text[i + 1] == 'n' && text[i + 2] == '"') {
            size_t j = i + 3;
            while (text[j] == '\n' || text[j] == ' ') j++;
            if (text[j] == '"') {
                j++;
                while (text[j] == ' ') j++;
                text[o++] = ' ';
                i = j;
                continue;
            }
        }
        text[o++] = text[i++];
    }
    text[o] = '\0';
    return text;
}

/* LIST ("a, b, c") with each ", " made SEP, in BUF. */
static const char *s_relist (const char *list, const char *sep, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *p = list; *p && o + 8 < len;) {
        if (p[0] == ',' && p[1] == ' ') {
            o += (size_t) snprintf (buf + o, len - o, "%s", sep);
            p += 2;
        } else
            buf[o++] = *p++;
    }
    buf[o] = '\0';
    return buf;
}

START_TEST (test_vocabulary_help_agrees)
{
    /* cdx's help is static text: each list it spells out must be the .def's. */
    char *cdx = s_source_joined ("tools/cdx.c");
    char want[512];
    const char *needles[] = {
        s_relist (proto_classes_list (), " | ", (char[256]){0}, 256),
        s_relist (proto_classes_list (), " < ", (char[256]){0}, 256),
        s_relist (proto_purposes_list (), " | ", (char[256]){0}, 256),
        s_relist (proto_dspts_list (), " | ", (char[256]){0}, 256),
    };
    const char *where[] = {"publish --class", "agreement propose --class", "publish --purpose",
                           "authority certify --dspt"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        ck_assert_msg (strstr (cdx, needles[i]) != NULL, "cdx help (%s) does not list \"%s\"", where[i],
                       needles[i]);
    /* --opt-out is described value by value, in the order that reads best. */
    snprintf (want, sizeof want, "--opt-out STATUS   National Data Opt-outs: %s (applied) | %s | %s (the default",
              "yes", "statutory-exemption", "not-identifiable");
    ck_assert_msg (strstr (cdx, want) != NULL, "cdx publish --opt-out help changed: check it against opt_outs.def");
    ck_assert_int_eq (PROTO_OPT_OUTS, 3);
    ck_assert (proto_opt_out_known ("yes") && proto_opt_out_known ("statutory-exemption") &&
               proto_opt_out_known ("not-identifiable"));
    free (cdx);

    /* cdx-gen-apc stands alone (no protocol library): its class table and
       help must still name exactly the classes of classes.def. */
    char *gen = s_source_joined ("tests/data/gen/columns.c");
    size_t entries = 0;
    for (const char *p = strstr (gen, "\", CLASS_"); p; p = strstr (p + 1, "\", CLASS_")) {
        p += strlen ("\", CLASS_");
        while ((*p >= 'A' && *p <= 'Z') || *p == '_') p++;
        entries += *p == '}';
    }
    ck_assert_int_eq (entries, PROTO_CLASSES);
    char names[256];
    snprintf (names, sizeof names, "%s", proto_classes_list ());
    for (char *save = NULL, *name = strtok_r (names, ", ", &save); name; name = strtok_r (NULL, ", ", &save)) {
        char row[64];
        snprintf (row, sizeof row, "{\"%s\", CLASS_", name);
        ck_assert_msg (strstr (gen, row) != NULL, "cdx-gen-apc has no class %s", name);
    }
    ck_assert_ptr_nonnull (strstr (gen, "--class CLASS        pseudonymised (default), identifiable, or aggregate"));
    free (gen);
}
END_TEST

void check_vocab_tests (TCase *t)
{
    tcase_add_test (t, test_vocabulary_lookups);
    tcase_add_test (t, test_vocabulary_refusals_name_the_def);
    tcase_add_test (t, test_vocabulary_help_agrees);
}
