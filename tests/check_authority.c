/*  check_authority: the authority's own side (node/authority.c) with
    several nodes per organisation (SPEC.md 9.2): a real authority home
    under mkdtemp, real Ed25519 and X25519 keys, real signed cards.

    What it proves: two labelled nodes of one organisation and one
    unlabelled node of another are each certified and all listed in the
    directory (format 2, one certificate per node); a card of the same
    org and label replaces that node's certificate, a key certified for
    one node is refused for another (naming it); revoking one node by its
    address leaves its sibling current, revoking an organisation revokes
    every node of it; a network of single nodes still gets format 1.
    Not for: what nodes do with the directory (integration
    t_siblings_trust, t_trust).
*/
#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "cert.h"
#include "cx.h"
#include "node.h"

static char s_root[PATH_MAX];
static char s_auth[PATH_MAX + 16];

typedef struct {
    cx_keypair_t *kp[3];
    char card[CARD_MAX_BYTES + 1];
} s_node_t;

/* A signed card for ORG/LABEL with fresh keys (or the keys of KEYS). */
static void s_card (s_node_t *nd, const char *org, const char *label, const s_node_t *keys)
{
    static const cx_keytype_t types[3] = {CX_KEY_SIGN, CX_KEY_BOX, CX_KEY_CURVE};
    card_t c;
    memset (&c, 0, sizeof c);
    for (int i = 0; i < 3; i++) {
        nd->kp[i] = keys ? NULL : cx_keypair_new (types[i]);
        ck_assert (keys || nd->kp[i]);
    }
    cx_keypair_t *const *kp = keys ? keys->kp : nd->kp;
    snprintf (c.org, sizeof c.org, "%s", org);
    snprintf (c.node, sizeof c.node, "%s", label);
    snprintf (c.role, sizeof c.role, "csu");
    snprintf (c.name, sizeof c.name, "Node %s %s", org, label);
    snprintf (c.endpoint, sizeof c.endpoint, "tcp://127.0.0.1:7101");
    memcpy (c.sign_pk, cx_keypair_public (kp[0]), 32);
    memcpy (c.box_pk, cx_keypair_public (kp[1]), 32);
    memcpy (c.curve_pk, cx_keypair_public (kp[2]), 32);
    snprintf (c.created, sizeof c.created, "2026-11-25T21:00:00Z");
    char body[CARD_MAX_BYTES + 1];
    size_t blen, len;
    ck_assert_int_eq (card_format_body (&c, body, sizeof body, &blen), 0);
    ck_assert_int_eq (cx_sign (kp[0], (const uint8_t *) body, blen, c.sig), 0);
    ck_assert_int_eq (card_format (&c, nd->card, sizeof nd->card, &len), 0);
}

static void s_free (s_node_t *nd)
{
    for (int i = 0; i < 3; i++)
        cx_keypair_destroy (&nd->kp[i]);
}

/* Certifies ND's card: the return of node_authority_certify; *REFUSED and ERR as it set them. */
static int s_certify (const s_node_t *nd, int *refused, char *err, size_t errlen)
{
    node_certify_t o = {nd->card, strlen (nd->card), "standards-met", "2025/26", 30, NULL, NULL};
    char cert[4096];
    return node_authority_certify (s_auth, &o, cert, sizeof cert, refused, err, errlen);
}

static void s_certify_ok (const s_node_t *nd)
{
    char err[NODE_ERR_MAX];
    int refused = 0;
    ck_assert_msg (s_certify (nd, &refused, err, sizeof err) == 0, "certify: %s", err);
}

/* The directory the authority signs now, parsed (cert_dir_free it). */
static void s_directory (cert_dir_t *d, int *format)
{
    char *text = NULL, err[NODE_ERR_MAX];
    size_t len;
    uint64_t serial;
    ck_assert_msg (node_authority_directory (s_auth, 7, NULL, &text, &len, &serial, err, sizeof err) == 0, "%s", err);
    *format = strncmp (text, "cdx-directory: 2\n", 17) == 0 ? 2 : 1;
    ck_assert_msg (cert_dir_parse (text, len, d) == 0, "%s", cert_error ());
    free (text);
}

/* The directory's certificate of ORG/LABEL, or NULL. */
static const cert_t *s_cert_of (const cert_dir_t *d, const char *org, const char *label)
{
    for (size_t i = 0; i < d->ncerts; i++)
        if (strcmp (d->certs[i].org, org) == 0 && strcmp (d->certs[i].node, label) == 0)
            return &d->certs[i];
    return NULL;
}

typedef struct {
    char lines[16][64];
    int n;
} s_list_t;

static int s_row (const node_issued_t *c, void *arg)
{
    s_list_t *l = arg;
    if (l->n < 16)
        snprintf (l->lines[l->n++], sizeof l->lines[0], "%s %s", c->address, c->state);
    return 0;
}

static int s_listed (const char *line)
{
    s_list_t l = {0};
    char err[NODE_ERR_MAX];
    ck_assert_msg (node_authority_list (s_auth, s_row, &l, err, sizeof err) == 0, "%s", err);
    for (int i = 0; i < l.n; i++)
        if (strcmp (l.lines[i], line) == 0)
            return 1;
    return 0;
}

static int s_rm (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void) sb, (void) flag, (void) ftw;
    return remove (path);
}

static void s_setup (void)
{
    ck_assert_int_eq (cx_init (), 0);
    const char *tmp = getenv ("TMPDIR");
    snprintf (s_root, sizeof s_root, "%s/cdx-authority-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull (mkdtemp (s_root));
    snprintf (s_auth, sizeof s_auth, "%s/auth", s_root);
    char err[NODE_ERR_MAX];
    ck_assert_msg (node_authority_init (s_auth, "Test Authority", err, sizeof err) == 0, "%s", err);
}

static void s_teardown (void)
{
    nftw (s_root, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

START_TEST (test_two_nodes_of_one_org_are_certified_and_listed)
{
    s_node_t a, b, ccg;
    s_card (&a, "0DF", "a", NULL);
    s_card (&b, "0DF", "b", NULL);
    s_card (&ccg, "04V", "", NULL);
    s_certify_ok (&a);
    s_certify_ok (&b);
    s_certify_ok (&ccg);
    cert_dir_t d;
    int format;
    s_directory (&d, &format);
    ck_assert_int_eq (format, 2);
    ck_assert_uint_eq (d.ncerts, 3);
    ck_assert_ptr_nonnull (s_cert_of (&d, "0DF", "a"));
    ck_assert_ptr_nonnull (s_cert_of (&d, "0DF", "b"));
    ck_assert_ptr_nonnull (s_cert_of (&d, "04V", ""));
    ck_assert (memcmp (s_cert_of (&d, "0DF", "b")->sign_pk, cx_keypair_public (b.kp[0]), 32) == 0);
    cert_dir_free (&d);
    ck_assert (s_listed ("0DF/a current") && s_listed ("0DF/b current") && s_listed ("04V current"));

    /* Node b again with new keys: its certificate is replaced, not added. */
    s_node_t b2;
    s_card (&b2, "0DF", "b", NULL);
    s_certify_ok (&b2);
    s_directory (&d, &format);
    ck_assert_uint_eq (d.ncerts, 3);
    ck_assert (memcmp (s_cert_of (&d, "0DF", "b")->sign_pk, cx_keypair_public (b2.kp[0]), 32) == 0);
    cert_dir_free (&d);
    ck_assert (s_listed ("0DF/b replaced") && s_listed ("0DF/b current"));

    /* A key certified for 0DF/b, in a card for node c or for another org: refused, naming 0DF/b. */
    s_node_t c, other;
    s_card (&c, "0DF", "c", &b2);
    s_card (&other, "05X", "", &b2);
    char err[NODE_ERR_MAX];
    int refused = 0;
    ck_assert_int_eq (s_certify (&c, &refused, err, sizeof err), -1);
    ck_assert_int_eq (refused, 1);
    ck_assert_msg (strstr (err, "trust.wrong-key") && strstr (err, "certified for 0DF/b"), "%s", err);
    refused = 0;
    ck_assert_int_eq (s_certify (&other, &refused, err, sizeof err), -1);
    ck_assert_int_eq (refused, 1);
    ck_assert_msg (strstr (err, "certified for 0DF/b"), "%s", err);

    /* The newer key revoked: the node has no current certificate; the
       one it replaced does not come back. */
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (cx_keypair_public (b2.kp[0]), fpr);
    node_revoke_t key = {.key = fpr};
    int count = 0;
    ck_assert_msg (node_authority_revoke (s_auth, &key, &count, err, sizeof err) == 0, "%s", err);
    s_directory (&d, &format);
    ck_assert_uint_eq (d.ncerts, 2);
    ck_assert_ptr_null (s_cert_of (&d, "0DF", "b"));
    cert_dir_free (&d);
    ck_assert (s_listed ("0DF/b replaced") && !s_listed ("0DF/b current"));
    s_free (&a), s_free (&b), s_free (&b2), s_free (&ccg);
}
END_TEST

START_TEST (test_revoking_one_node_leaves_its_sibling)
{
    s_node_t a, b, ccg;
    s_card (&a, "0DF", "a", NULL);
    s_card (&b, "0DF", "b", NULL);
    s_card (&ccg, "04V", "", NULL);
    s_certify_ok (&a);
    s_certify_ok (&b);
    s_certify_ok (&ccg);
    char err[NODE_ERR_MAX];
    int count = 0;
    node_revoke_t one = {.node = "0DF/a", .reason = "retired"};
    ck_assert_msg (node_authority_revoke (s_auth, &one, &count, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq (count, 1);
    cert_dir_t d;
    int format;
    s_directory (&d, &format);
    ck_assert_ptr_null (s_cert_of (&d, "0DF", "a"));
    ck_assert_ptr_nonnull (s_cert_of (&d, "0DF", "b"));
    ck_assert_uint_eq (d.nrevoked, 1);
    ck_assert_str_eq (d.revoked[0].org, "0DF");
    ck_assert_str_eq (d.revoked[0].node, "a");
    ck_assert (memcmp (d.revoked[0].sign_pk, cx_keypair_public (a.kp[0]), 32) == 0);
    cert_dir_free (&d);
    ck_assert (s_listed ("0DF/a revoked") && s_listed ("0DF/b current"));
    /* again: nothing left to revoke */
    ck_assert_int_eq (node_authority_revoke (s_auth, &one, &count, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "--node 0DF/a"), "%s", err);

    /* the whole organisation: node b too; the CCG stays */
    node_revoke_t org = {.org = "0DF"};
    ck_assert_msg (node_authority_revoke (s_auth, &org, &count, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq (count, 1);
    s_directory (&d, &format);
    ck_assert_uint_eq (d.ncerts, 1);
    ck_assert_ptr_nonnull (s_cert_of (&d, "04V", ""));
    ck_assert_uint_eq (d.nrevoked, 2);
    ck_assert_int_eq (format, 2);            /* its revocations name labelled nodes */
    cert_dir_free (&d);

    /* one of --node, --org, --key; an address in its grammar */
    node_revoke_t two = {.org = "0DF", .node = "0DF/b"};
    ck_assert_int_eq (node_authority_revoke (s_auth, &two, &count, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "give one of"), "%s", err);
    node_revoke_t bad = {.node = "0DF/B"};
    ck_assert_int_eq (node_authority_revoke (s_auth, &bad, &count, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "--node"), "%s", err);
    s_free (&a), s_free (&b), s_free (&ccg);
}
END_TEST

START_TEST (test_single_nodes_keep_format_1)
{
    s_node_t csu, ccg;
    s_card (&csu, "0DF", "", NULL);
    s_card (&ccg, "04V", "", NULL);
    s_certify_ok (&csu);
    s_certify_ok (&ccg);
    char err[NODE_ERR_MAX];
    int count = 0;
    node_revoke_t one = {.node = "04V"};     /* an unlabelled node's address is its org code */
    ck_assert_msg (node_authority_revoke (s_auth, &one, &count, err, sizeof err) == 0, "%s", err);
    cert_dir_t d;
    int format;
    s_directory (&d, &format);
    ck_assert_int_eq (format, 1);
    ck_assert_uint_eq (d.ncerts, 1);
    ck_assert_str_eq (d.revoked[0].org, "04V");
    ck_assert_str_eq (d.revoked[0].node, "");
    cert_dir_free (&d);
    s_free (&csu), s_free (&ccg);
}
END_TEST

int main (void)
{
    Suite *s = suite_create ("authority");
    TCase *t = tcase_create ("nodes");
    tcase_add_checked_fixture (t, s_setup, s_teardown);
    tcase_add_test (t, test_two_nodes_of_one_org_are_certified_and_listed);
    tcase_add_test (t, test_revoking_one_node_leaves_its_sibling);
    tcase_add_test (t, test_single_nodes_keep_format_1);
    suite_add_tcase (s, t);
    SRunner *sr = srunner_create (s);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
