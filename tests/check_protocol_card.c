/*  check_protocol_card: the identity card (card.c, kv.c): its one text
    and golden vector, and every way a card text can deviate from it.
    Not for: certificates (check_cert.c), signatures
    (check_protocol_vectors.c).
*/
#include "check_protocol.h"
#include "spec_vectors.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- identity card ---------------------------------------------------------- */

static void s_card_fixture (card_t *c)
{
    memset (c, 0, sizeof *c);
    strcpy (c->org, "0DF");
    strcpy (c->role, "csu");
    strcpy (c->name, "Example CSU");
    strcpy (c->endpoint, "tcp://127.0.0.1:7101");
    spec_fill (c->sign_pk, 32, 0x00);
    spec_fill (c->box_pk, 32, 0x40);
    spec_fill (c->curve_pk, 32, 0x80);
    strcpy (c->created, "2026-11-25T21:00:00Z");
    spec_fill (c->sig, 64, 0xc0);
}

static const char CARD_TEXT[] =
    "cdx-card: 1\n"
    "org: 0DF\n"
    "role: csu\n"
    "name: Example CSU\n"
    "endpoint: tcp://127.0.0.1:7101\n"
    "sign-key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    "box-key: QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\n"
    "curve-key: gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8=\n"
    "created: 2026-11-25T21:00:00Z\n"
    "signature: "
    "wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\n";

/* Formats the fixture; BUF holds CARD_MAX_BYTES + 1. */
static size_t s_card_text (char *buf)
{
    card_t c;
    size_t len;
    s_card_fixture (&c);
    ck_assert_msg (card_format (&c, buf, CARD_MAX_BYTES + 1, &len) == 0, "%s", card_error ());
    return len;
}

START_TEST (test_card_round_trip_and_golden)
{
    card_t in, out;
    char text[CARD_MAX_BYTES + 1], body[CARD_MAX_BYTES + 1];
    size_t len, body_len, signed_len = 0;
    s_card_fixture (&in);
    ck_assert_int_eq (card_format_body (&in, body, sizeof body, &body_len), 0);
    ck_assert_int_eq (card_format (&in, text, sizeof text, &len), 0);
    ck_assert_uint_eq (strlen (text), len);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== card\n%s", text);
    ck_assert_msg (strcmp (text, CARD_TEXT) == 0, "card formats as\n%s", text);
    ck_assert_int_eq (card_parse (text, len, &out, &signed_len), 0);
    ck_assert_uint_eq (signed_len, body_len);
    ck_assert_uint_eq (signed_len, 275); /* as SPEC.md 18.12 says */
    ck_assert (memcmp (text, body, body_len) == 0);
    ck_assert (strncmp (text + signed_len, "signature: ", 11) == 0);
    ck_assert (memcmp (&in, &out, sizeof in) == 0);

    /* every accepted role and a UTF-8 name with an IPv6 endpoint */
    static const char *const roles[] = {"csu", "ccg", "icb", "dscro"};
    for (size_t i = 0; i < 4; i++) {
        s_card_fixture (&in);
        memset (in.endpoint, 0, sizeof in.endpoint); /* so memcmp sees no old bytes */
        strcpy (in.role, roles[i]);
        strcpy (in.name, "Commissioning Support \xe2\x80\x94 North & East");
        strcpy (in.endpoint, "tcp://[::1]:65535");
        ck_assert_int_eq (card_format (&in, text, sizeof text, &len), 0);
        ck_assert_msg (card_parse (text, len, &out, NULL) == 0, "%s", card_error ());
        ck_assert (memcmp (&in, &out, sizeof in) == 0);
    }
}
END_TEST

/* Replaces the first FROM in the fixture card by TO, then parses. */
static int s_card_mutated (const char *from, const char *to)
{
    char text[CARD_MAX_BYTES + 1], out[2 * CARD_MAX_BYTES + 64];
    size_t len = s_card_text (text);
    const char *at = strstr (text, from);
    ck_assert_msg (at != NULL, "\"%s\" not in the card", from);
    size_t head = (size_t)(at - text), fl = strlen (from), tl = strlen (to);
    memcpy (out, text, head);
    memcpy (out + head, to, tl);
    memcpy (out + head + tl, at + fl, len - head - fl);
    size_t n = len - fl + tl;
    card_t c;
    size_t signed_len;
    return card_parse (out, n, &c, &signed_len);
}

START_TEST (test_card_refuses_line_changes)
{
    /* missing line */
    ck_assert_int_eq (s_card_mutated ("role: csu\n", ""), -1);
    ck_assert_int_eq (s_card_mutated ("cdx-card: 1\n", ""), -1);
    /* extra line */
    ck_assert_int_eq (s_card_mutated ("role: csu\n", "role: csu\nextra: x\n"), -1);
    ck_assert_int_eq (s_card_mutated ("role: csu\n", "role: csu\n\n"), -1);
    /* reordered */
    ck_assert_int_eq (s_card_mutated ("org: 0DF\nrole: csu\n", "role: csu\norg: 0DF\n"), -1);
    ck_assert_ptr_nonnull (strstr (card_error (), "out of order"));
    /* duplicated */
    ck_assert_int_eq (s_card_mutated ("org: 0DF\n", "org: 0DF\norg: 0DF\n"), -1);
    ck_assert_ptr_nonnull (strstr (card_error (), "repeated"));
    /* spacing and case of keys */
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "org:0DF"), -1);
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "org:  0DF"), -1);
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "Org: 0DF"), -1);
    ck_assert_int_eq (s_card_mutated ("org: 0DF\n", "org: 0DF\r\n"), -1);
    /* version */
    ck_assert_int_eq (s_card_mutated ("cdx-card: 1", "cdx-card: 2"), -1);
}
END_TEST

START_TEST (test_card_refuses_bad_ends)
{
    char text[CARD_MAX_BYTES + 8];
    card_t c;
    size_t len = s_card_text (text), sl;
    ck_assert_int_eq (card_parse (text, len, &c, &sl), 0);
    /* missing final newline */
    ck_assert_int_eq (card_parse (text, len - 1, &c, &sl), -1);
    /* anything after the signature line */
    memcpy (text + len, "x", 2);
    ck_assert_int_eq (card_parse (text, len + 1, &c, &sl), -1);
    memcpy (text + len, "\n", 2);
    ck_assert_int_eq (card_parse (text, len + 1, &c, &sl), -1);
    memcpy (text + len, "signature: x\n", 14);
    ck_assert_int_eq (card_parse (text, len + 13, &c, &sl), -1);
    /* every prefix is refused */
    for (size_t n = 0; n < len; n++)
        ck_assert_msg (card_parse (text, n, &c, &sl) == -1, "prefix of %zu accepted", n);
    /* a NUL byte anywhere */
    len = s_card_text (text);
    text[20] = 0;
    ck_assert_int_eq (card_parse (text, len, &c, &sl), -1);
    ck_assert_ptr_nonnull (strstr (card_error (), "NUL"));
    /* too big */
    static char big[CARD_MAX_BYTES + 1];
    memset (big, 'a', sizeof big);
    ck_assert_int_eq (card_parse (big, sizeof big, &c, &sl), -1);
    ck_assert_int_eq (card_parse (NULL, 0, &c, &sl), -1);
}
END_TEST

START_TEST (test_card_refuses_bad_values)
{
    char name[CARD_NAME_MAX + 16], endpoint[CARD_ENDPOINT_MAX + 32];
    /* over-long values */
    memset (name, 'n', CARD_NAME_MAX + 1);
    strcpy (name + CARD_NAME_MAX + 1, "\n");
    ck_assert_int_eq (s_card_mutated ("Example CSU\n", name), -1);
    name[CARD_NAME_MAX] = '\n';
    name[CARD_NAME_MAX + 1] = 0;
    ck_assert_int_eq (s_card_mutated ("Example CSU\n", name), 0);
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "org: 0DF0DF0DF0DF0DF0DF0DF"), -1);
    strcpy (endpoint, "tcp://");
    memset (endpoint + 6, 'h', CARD_ENDPOINT_MAX);
    strcpy (endpoint + 6 + CARD_ENDPOINT_MAX, ":1");
    ck_assert_int_eq (s_card_mutated ("tcp://127.0.0.1:7101", endpoint), -1);
    ck_assert_int_eq (s_card_mutated ("role: csu", "role: dscrodscro"), -1);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2026-11-25T21:00:00Z0123456789abc"),
                      -1);
    /* values outside their rules */
    ck_assert_int_eq (s_card_mutated ("name: Example CSU", "name: "), -1);
    ck_assert_int_eq (s_card_mutated ("Example CSU", "Example\tCSU"), -1);
    ck_assert_int_eq (s_card_mutated ("Example CSU", "Example \xe2\x80\xae"
                                                     "CSU"),
                      -1);
    ck_assert_int_eq (s_card_mutated ("Example CSU", "Example \xff"), -1);
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "org: 0df"), -1);
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "org: 0D"), -1);
    ck_assert_int_eq (s_card_mutated ("role: csu", "role: nhs"), -1);
    ck_assert_int_eq (s_card_mutated ("tcp://127.0.0.1:7101", "udp://127.0.0.1:7101"), -1);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2026-02-30T21:00:00Z"), -1);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2026-11-25 21:00:00Z"), -1);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2026-11-25T24:00:00Z"), -1);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2028-02-29T00:00:00Z"), 0);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2100-02-29T00:00:00Z"), -1);
}
END_TEST

START_TEST (test_card_refuses_bad_base64)
{
    card_t c;
    char text[CARD_MAX_BYTES + 1];
    s_card_text (text);
    ck_assert_int_eq (card_parse (text, strlen (text), &c, NULL), 0);
    /* sign-key of 0x00..0x1f is "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" */
    const char *k = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    ck_assert_ptr_nonnull (strstr (text, k));
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=="), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*="), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-="), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAR EhMUFRYXGBkaGxwdHh8="), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8AAAA="), -1);
    ck_assert_int_eq (s_card_mutated ("signature: ", "signature: A"), -1);
}
END_TEST

START_TEST (test_card_format_refusals)
{
    card_t c;
    char text[CARD_MAX_BYTES + 1];
    size_t len, need;
    s_card_fixture (&c);
    ck_assert_int_eq (card_format (&c, text, sizeof text, &need), 0);
    for (size_t cap = 0; cap <= need; cap++) /* the NUL needs a byte too */
        ck_assert_int_eq (card_format (&c, text, cap, &len), -1);
    ck_assert_int_eq (card_format (&c, text, need + 1, &len), 0);

    s_card_fixture (&c);
    strcpy (c.name, "two\nlines");
    ck_assert_int_eq (card_format (&c, text, sizeof text, &len), -1);
    s_card_fixture (&c);
    strcpy (c.role, "gp");
    ck_assert_int_eq (card_format_body (&c, text, sizeof text, &len), -1);
    s_card_fixture (&c);
    strcpy (c.created, "yesterday");
    ck_assert_int_eq (card_format (&c, text, sizeof text, &len), -1);
    s_card_fixture (&c);
    memset (c.org, 'A', sizeof c.org);
    ck_assert_int_eq (card_format (&c, text, sizeof text, &len), -1);
}
END_TEST

START_TEST (test_card_validators)
{
    static const char *const good_ep[] = {
        "tcp://127.0.0.1:7101",    "tcp://node-1.example.nhs.uk:1", "tcp://[::1]:7101",
        "tcp://[fe80::1:2]:65535", "tcp://[::ffff:10.0.0.1]:80",    "tcp://h:9"};
    static const char *const bad_ep[] = {"",
                                         "tcp://",
                                         "tcp://:7101",
                                         "tcp://host",
                                         "tcp://host:",
                                         "tcp://host:0",
                                         "tcp://host:65536",
                                         "tcp://host:07101",
                                         "tcp://host:71a",
                                         "tcp://ho st:1",
                                         "tcp://host:1/",
                                         "tcp://[]:1",
                                         "tcp://[::1:1",
                                         "tcp://[::1]",
                                         "tcp://[zz::1]:1",
                                         "tcp://[1.2.3.4]:1",
                                         "ipc:///tmp/x",
                                         "TCP://host:1",
                                         "tcp://*:7101",
                                         "tcp://host:123456",
                                         "tcp://host:-1",
                                         "tcp://host_1:1"};
    for (size_t i = 0; i < sizeof good_ep / sizeof *good_ep; i++)
        ck_assert_msg (card_valid_endpoint (good_ep[i]) == 0, "%s: %s", good_ep[i], card_error ());
    for (size_t i = 0; i < sizeof bad_ep / sizeof *bad_ep; i++)
        ck_assert_msg (card_valid_endpoint (bad_ep[i]) == -1, "%s accepted", bad_ep[i]);
    ck_assert_int_eq (card_valid_endpoint (NULL), -1);

    ck_assert_int_eq (card_valid_org ("0DF"), 0);
    ck_assert_int_eq (card_valid_org ("04V"), 0);
    ck_assert_int_eq (card_valid_org ("RX1A2"), 0);
    ck_assert_int_eq (card_valid_org ("ABCD"), 0);
    ck_assert_int_eq (card_valid_org ("AB"), -1);
    ck_assert_int_eq (card_valid_org ("ABCDEF"), -1);
    ck_assert_int_eq (card_valid_org ("0df"), -1);
    ck_assert_int_eq (card_valid_org ("0D-F"), -1);
    ck_assert_int_eq (card_valid_org (""), -1);
    ck_assert_int_eq (card_valid_org (NULL), -1);

    ck_assert_int_eq (card_valid_role ("csu"), 0);
    ck_assert_int_eq (card_valid_role ("ccg"), 0);
    ck_assert_int_eq (card_valid_role ("icb"), 0);
    ck_assert_int_eq (card_valid_role ("dscro"), 0);
    ck_assert_int_eq (card_valid_role ("CSU"), -1);
    ck_assert_int_eq (card_valid_role ("csu "), -1);
    ck_assert_int_eq (card_valid_role (""), -1);
    ck_assert_int_eq (card_valid_role (NULL), -1);
}
END_TEST

/* ---- format 2: a labelled node (SPEC.md 9.2) ------------------------------- */

static const char CARD2_TEXT[] =
    "cdx-card: 2\n"
    "org: 0DF\n"
    "node: b\n"
    "role: csu\n"
    "name: Example CSU\n"
    "endpoint: tcp://127.0.0.1:7101\n"
    "sign-key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    "box-key: QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\n"
    "curve-key: gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8=\n"
    "created: 2026-11-25T21:00:00Z\n"
    "signature: "
    "wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\n";

/* CARD2_TEXT with FROM replaced by TO, parsed: card_parse's answer. */
static int s_card2_mutated (const char *from, const char *to)
{
    char out[CARD_MAX_BYTES + 64];
    const char *at = strstr (CARD2_TEXT, from);
    ck_assert_ptr_nonnull (at);
    size_t pre = (size_t)(at - CARD2_TEXT);
    int n = snprintf (out, sizeof out, "%.*s%s%s", (int)pre, CARD2_TEXT, to, at + strlen (from));
    card_t c;
    return card_parse (out, (size_t)n, &c, NULL);
}

START_TEST (test_card2_round_trip_and_golden)
{
    card_t in, out;
    char text[CARD_MAX_BYTES + 1];
    size_t len, signed_len = 0;
    s_card_fixture (&in);
    strcpy (in.node, "b");
    ck_assert_int_eq (card_format_version (&in.identity), 2);
    ck_assert_int_eq (card_format (&in, text, sizeof text, &len), 0);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== card format 2\n%s", text);
    ck_assert_msg (strcmp (text, CARD2_TEXT) == 0, "card formats as\n%s", text);
    ck_assert_int_eq (card_parse (text, len, &out, &signed_len), 0);
    ck_assert_uint_eq (signed_len, 283); /* format 1's 275 and "node: b\n" */
    ck_assert (memcmp (&in, &out, sizeof in) == 0);
    ck_assert_str_eq (out.node, "b");

    /* the longest label, digits after the letter */
    s_card_fixture (&in);
    strcpy (in.node, "a2345678");
    ck_assert_int_eq (card_format (&in, text, sizeof text, &len), 0);
    ck_assert_msg (card_parse (text, len, &out, NULL) == 0, "%s", card_error ());
    ck_assert_str_eq (out.node, "a2345678");

    /* no label: format 1, byte for byte the card of before */
    s_card_fixture (&in);
    ck_assert_int_eq (card_format_version (&in.identity), 1);
    ck_assert_int_eq (card_format (&in, text, sizeof text, &len), 0);
    ck_assert_str_eq (text, CARD_TEXT);
    ck_assert_int_eq (card_parse (text, len, &out, NULL), 0);
    ck_assert_str_eq (out.node, "");
}
END_TEST

START_TEST (test_card2_refusals)
{
    ck_assert_int_eq (s_card2_mutated ("", ""), 0);
    /* a format 2 card without a node line */
    ck_assert_int_eq (s_card2_mutated ("node: b\n", ""), -1);
    ck_assert_ptr_nonnull (strstr (card_error (), "node: LABEL"));
    /* a format 1 card with one */
    ck_assert_int_eq (s_card2_mutated ("cdx-card: 2", "cdx-card: 1"), -1);
    ck_assert_ptr_nonnull (strstr (card_error (), "format 1 card has no \"node\""));
    /* the node line out of its place, twice, empty, or a bad label */
    ck_assert_int_eq (s_card2_mutated ("node: b\nrole: csu\n", "role: csu\nnode: b\n"), -1);
    ck_assert_int_eq (s_card2_mutated ("node: b\n", "node: b\nnode: b\n"), -1);
    static const char *const bad[] = {"node: \n", "node: B\n", "node: 1a\n", "node: a-b\n",
                                      "node: a23456789\n", "node: a b\n", "node: \xc3\xa9\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg (s_card2_mutated ("node: b\n", bad[i]) == -1, "accepted %s", bad[i]);
    ck_assert_int_eq (s_card2_mutated ("cdx-card: 2", "cdx-card: 3"), -1);

    /* the writer refuses a bad label rather than writing it */
    card_t c;
    char text[CARD_MAX_BYTES + 1];
    size_t len;
    s_card_fixture (&c);
    strcpy (c.node, "Bad");
    ck_assert_int_eq (card_format (&c, text, sizeof text, &len), -1);
    ck_assert_ptr_nonnull (strstr (card_error (), "node:"));
}
END_TEST

START_TEST (test_card_address)
{
    char addr[CARD_ADDR_MAX + 1], org[CARD_ORG_MAX + 1], label[CARD_LABEL_MAX + 1];
    ck_assert_int_eq (card_address ("0DF", "", addr), 0);
    ck_assert_str_eq (addr, "0DF");
    ck_assert_int_eq (card_address ("0DF", NULL, addr), 0);
    ck_assert_str_eq (addr, "0DF");
    ck_assert_int_eq (card_address ("ABCDE", "abcdefgh", addr), 0);
    ck_assert_str_eq (addr, "ABCDE/abcdefgh"); /* the longest: 14 bytes */
    ck_assert_uint_eq (strlen (addr), CARD_ADDR_MAX);
    ck_assert_int_eq (card_address ("0df", "b", addr), -1);
    ck_assert_str_eq (addr, "");
    ck_assert_int_eq (card_address ("0DF", "B", addr), -1);

    ck_assert_int_eq (card_address_split ("0DF/b", org, label), 0);
    ck_assert_str_eq (org, "0DF");
    ck_assert_str_eq (label, "b");
    ck_assert_int_eq (card_address_split ("04V", org, label), 0);
    ck_assert_str_eq (org, "04V");
    ck_assert_str_eq (label, "");
    static const char *const bad[] = {"", "0DF/", "/b", "0DF/b/c", "0DF/B", "0df/b",
                                      "0DF//b", "ABCDEF/a", "ABCDE/abcdefghi", "0DF b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg (card_address_split (bad[i], org, label) == -1, "accepted \"%s\"", bad[i]);
        ck_assert_str_eq (org, "");
    }
    ck_assert_int_eq (card_address_split (NULL, org, label), -1);

    ck_assert_int_eq (card_valid_label ("a"), 0);
    ck_assert_int_eq (card_valid_label ("z9"), 0);
    ck_assert_int_eq (card_valid_label (""), -1);
    ck_assert_int_eq (card_valid_label ("9"), -1);
    ck_assert_int_eq (card_valid_label (NULL), -1);
}
END_TEST

/* A copy to a sibling is told from a delivery by its subscriber: the
   address of a node of this organisation, labelled or not. */
START_TEST (test_card_address_of_org)
{
    ck_assert_int_eq (card_address_of_org ("0DF/b", "0DF"), 1);
    ck_assert_int_eq (card_address_of_org ("0DF", "0DF"), 1);      /* an unlabelled sibling */
    ck_assert_int_eq (card_address_of_org ("04V", "0DF"), 0);      /* another organisation */
    ck_assert_int_eq (card_address_of_org ("0DFX/a", "0DF"), 0);   /* a prefix is not the org */
    ck_assert_int_eq (card_address_of_org ("0D", "0DF"), 0);
    ck_assert_int_eq (card_address_of_org ("0DF/", "0DF"), 0);     /* malformed */
    ck_assert_int_eq (card_address_of_org ("0DF/B", "0DF"), 0);
    ck_assert_int_eq (card_address_of_org (NULL, "0DF"), 0);
    ck_assert_int_eq (card_address_of_org ("0DF", NULL), 0);
}
END_TEST

void check_card_tests (TCase *t)
{
    tcase_add_test (t, test_card_address_of_org);
    tcase_add_test (t, test_card_round_trip_and_golden);
    tcase_add_test (t, test_card_refuses_line_changes);
    tcase_add_test (t, test_card_refuses_bad_ends);
    tcase_add_test (t, test_card_refuses_bad_values);
    tcase_add_test (t, test_card_refuses_bad_base64);
    tcase_add_test (t, test_card_format_refusals);
    tcase_add_test (t, test_card_validators);
    tcase_add_test (t, test_card2_round_trip_and_golden);
    tcase_add_test (t, test_card2_refusals);
    tcase_add_test (t, test_card_address);
}
