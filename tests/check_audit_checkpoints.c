/*  check_audit_checkpoints.c: the audit verifier (node/audit.c) against a
    chain rewritten consistently behind signed checkpoints, and against the
    checkpoints themselves: signature, hash or seq altered, signed by a key
    this node never had, by a key it had before a rotation, beyond the end
    of the log, unreadable; the running node's own check before it signs;
    and the limits SECURITY.md lists, as tests of what verify does today.

    Not for: damage to single entries (check_audit_entries.c).
*/
#include "check_audit.h"

/* ---- the chain rewritten consistently, behind signed checkpoints -------------------- */

/* Edited between the two checkpoints and every hash recomputed: the
   chain is whole again, the checkpoint after the edit no longer matches. */
START_TEST (test_rechained_after_a_checkpoint_is_named)
{
    edit (MID, FLIP_DECISION);
    rechain ();
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_HASH, LAST);
    ASSERT_REASON_HAS (r, "entry 12 differs from the signed checkpoint");
    ASSERT_REASON_HAS (r, "entries after 6 (the checkpoint before) up to 12 were rewritten");
    ck_assert_int_eq (r.checkpoints, 1); /* the one at CP1 still held */
}
END_TEST

/* Edited before the first checkpoint: that checkpoint is the one named. */
START_TEST (test_rechained_before_the_first_checkpoint_is_named)
{
    edit (EARLY, "detail = 'rewritten'");
    rechain ();
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_HASH, CP1);
    ASSERT_REASON_HAS (r, "entries up to 6 were rewritten");
    ck_assert_int_eq (r.checkpoints, 0);
}
END_TEST

/* An entry deleted, the rest renumbered and rechained: a consistent chain
   one entry shorter, which the checkpoints no longer match. */
START_TEST (test_deleted_renumbered_and_rechained_is_named)
{
    tamper ("DELETE FROM audit WHERE seq = %d;"
            "UPDATE audit SET seq = seq + 1000 WHERE seq > %d;"
            "UPDATE audit SET seq = seq - 1001 WHERE seq > 1000;",
            EARLY, EARLY);
    rechain ();
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_HASH, CP1);
}
END_TEST

/* ---- checkpoints damaged or forged ----------------------------------------------- */

START_TEST (test_checkpoint_signature_altered_is_named)
{
    store_checkpoint_t c;
    ck_assert_int_eq (store_checkpoint_last (node_db (fx_node), &c), 0);
    ck_assert_int_eq (c.seq, LAST);
    c.sig[17] ^= 0x01;
    char hex[2 * 64 + 1];
    cx_hex (c.sig, sizeof c.sig, hex);
    ck_assert_int_eq (tamper ("UPDATE audit_checkpoints SET sig = X'%s' WHERE seq = %d", hex, LAST),
                      1);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_SIG, LAST);
    ASSERT_REASON_HAS (r, "the checkpoint at seq 12 does not carry this node's signature");
}
END_TEST

/* The checkpoint's hash changed to match a rechained log: its signature
   no longer covers it. */
START_TEST (test_checkpoint_hash_altered_is_named)
{
    edit (MID, "detail = 'rewritten'");
    rechain ();
    uint8_t h[STORE_HASHBYTES];
    stored_hash (LAST, h);
    char hex[2 * STORE_HASHBYTES + 1];
    cx_hex (h, sizeof h, hex);
    ck_assert_int_eq (
        tamper ("UPDATE audit_checkpoints SET hash = X'%s' WHERE seq = %d", hex, LAST), 1);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_SIG, LAST);
}
END_TEST

/* A checkpoint moved to another seq: the seq is signed too. */
START_TEST (test_checkpoint_seq_altered_is_named)
{
    ck_assert_int_eq (tamper ("UPDATE audit_checkpoints SET seq = %d WHERE seq = %d", MID, CP1), 1);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_SIG, MID);
}
END_TEST

/* Well formed, over the right message and the entry's real hash, but
   signed by a key this node never had. */
START_TEST (test_checkpoint_by_a_stranger_is_named)
{
    cx_keypair_t *stranger = cx_keypair_new (CX_KEY_SIGN);
    ck_assert_ptr_nonnull (stranger);
    uint8_t h[STORE_HASHBYTES];
    stored_hash (MID, h);
    store_checkpoint_t c = signed_cp (stranger, MID, h);
    cx_keypair_destroy (&stranger);
    put_cp (&c);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_SIG, MID);
    ASSERT_REASON_HAS (r, "a forged or altered checkpoint");
    ck_assert_int_eq (r.checkpoints, 1); /* CP1, before it */
}
END_TEST

/* The same message signed with this node's own key verifies: the test
   above fails for the key, not for the message. */
START_TEST (test_checkpoint_by_this_node_over_the_same_message_passes)
{
    uint8_t h[STORE_HASHBYTES];
    stored_hash (MID, h);
    store_checkpoint_t c = signed_cp (node_sign_key (fx_node), MID, h);
    put_cp (&c);
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 3);
}
END_TEST

/* A forged checkpoint beyond the end is named as forged, not as the log
   having been cut. */
START_TEST (test_checkpoint_by_a_stranger_beyond_the_log_is_named)
{
    cx_keypair_t *stranger = cx_keypair_new (CX_KEY_SIGN);
    ck_assert_ptr_nonnull (stranger);
    uint8_t h[STORE_HASHBYTES] = {7};
    store_checkpoint_t c = signed_cp (stranger, LAST + 5, h);
    cx_keypair_destroy (&stranger);
    put_cp (&c);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_SIG, LAST + 5);
}
END_TEST

/* Signed before a key rotation, verified after it, by the same node
   handle and by one opened afresh (the old key read from keys/old/). */
START_TEST (test_checkpoint_by_a_rotated_key_is_accepted)
{
    uint8_t before[32];
    memcpy (before, cx_keypair_public (node_sign_key (fx_node)), 32);
    ck_assert_msg (node_keys_rotate (fx_node, NULL, 0) == 0, "rotate: %s", node_error (fx_node));
    ck_assert_int_ne (memcmp (before, cx_keypair_public (node_sign_key (fx_node)), 32), 0);
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 2);
    ck_assert_int_eq (r.checkpoint_seq, LAST);
    node_close (&fx_node);
    reopen ();
    r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 2);
    checkpoint (); /* the new key's, after the old ones */
    r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 3);
    ck_assert_int_eq (r.uncovered, 0);
}
END_TEST

/* This node's own signature over a seq the log does not reach: entries it
   covered were deleted. */
START_TEST (test_checkpoint_beyond_the_log_is_truncation)
{
    uint8_t h[STORE_HASHBYTES] = {7};
    store_checkpoint_t c = signed_cp (node_sign_key (fx_node), LAST + 5, h);
    put_cp (&c);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_TRUNCATED, LAST + 5);
    ASSERT_REASON_HAS (r, "covers entry 17, but the log ends at 12");
}
END_TEST

/* A checkpoint row the store refuses to read is named in the reason. */
START_TEST (test_unreadable_checkpoint_is_named)
{
    tamper ("PRAGMA ignore_check_constraints = ON;"
            "UPDATE audit_checkpoints SET sig = X'00' WHERE seq = %d",
            LAST);
    node_audit_report_t r = verify ();
    ck_assert_msg (r.problem == NODE_AUDIT_UNREADABLE, "got %s: %s",
                   node_audit_problem_name (r.problem), r.reason);
    ASSERT_REASON_HAS (r, "audit checkpoint at seq 12");
}
END_TEST

/* ---- the running node's own check before it signs ---------------------------------

   Holding the run lock, a node signs a checkpoint once
   NODE_AUDIT_CHECKPOINT_EVERY entries have been appended since the last,
   after walking them; over a broken link it signs nothing. */

static void s_append_running (int count)
{
    ck_assert_msg (node_lock_run (fx_node) == 0, "%s", node_error (fx_node));
    for (int i = 0; i < count; i++)
        ck_assert_int_eq (node_audit (fx_node, "node", "receive", "sus/apc", "04V", "allow",
                                      "policy.allow", "running %d", i),
                          0);
    node_unlock_run (fx_node);
}

START_TEST (test_running_node_signs_an_intact_log)
{
    s_append_running (NODE_AUDIT_CHECKPOINT_EVERY);
    store_checkpoint_t c;
    ck_assert_int_eq (store_checkpoint_last (node_db (fx_node), &c), 0);
    ck_assert_int_eq (c.seq, LAST + NODE_AUDIT_CHECKPOINT_EVERY);
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 3);
}
END_TEST

START_TEST (test_running_node_does_not_sign_over_an_edited_entry)
{
    s_append_running (NODE_AUDIT_CHECKPOINT_EVERY / 2);
    edit (LAST + 3, FLIP_DECISION);
    s_append_running (NODE_AUDIT_CHECKPOINT_EVERY / 2);
    ck_assert_int_eq (node_checkpoint_tried (fx_node), LAST + NODE_AUDIT_CHECKPOINT_EVERY); /* it looked */
    store_checkpoint_t c;
    ck_assert_int_eq (store_checkpoint_last (node_db (fx_node), &c), 0);
    ck_assert_int_eq (c.seq, LAST);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_HASH, LAST + 3);
}
END_TEST

/* The entry the last checkpoint signed deleted: the next one appended
   takes its seq, and is not the one signed. */
START_TEST (test_running_node_does_not_sign_after_its_anchor_was_cut)
{
    ck_assert_int_eq (tamper ("DELETE FROM audit WHERE seq = %d", LAST), 1);
    s_append_running (NODE_AUDIT_CHECKPOINT_EVERY + 1);
    ck_assert_int_eq (node_checkpoint_tried (fx_node), LAST + NODE_AUDIT_CHECKPOINT_EVERY); /* it looked */
    store_checkpoint_t c;
    ck_assert_int_eq (store_checkpoint_last (node_db (fx_node), &c), 0);
    ck_assert_int_eq (c.seq, LAST);
}
END_TEST

/* ---- known gaps (SECURITY.md, known gaps: the audit log's limits) ----------------

   What the verifier cannot see without a checkpoint held outside the
   node. Each test asserts that verify passes today: if one starts to
   fail, a gap was closed, and SECURITY.md and this test change together. */

/* Entries after the last signed checkpoint cut off the end. */
START_TEST (test_known_gap_tail_cut)
{
    append_until (LAST + 4);
    ck_assert_int_eq (tamper ("DELETE FROM audit WHERE seq > %d", LAST), 4);
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.last_seq, LAST);
    ck_assert_int_eq (r.uncovered, 0);
}
END_TEST

/* A suffix of entries deleted together with the checkpoints covering it. */
START_TEST (test_known_gap_tail_cut_with_its_checkpoints)
{
    ck_assert_int_eq (tamper ("DELETE FROM audit WHERE seq > %d", CP1), LAST - CP1);
    ck_assert_int_eq (tamper ("DELETE FROM audit_checkpoints WHERE seq > %d", CP1), 1);
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.last_seq, CP1);
    ck_assert_int_eq (r.checkpoint_seq, CP1);
}
END_TEST

/* The checkpoints are in the same file: deleted, they cover nothing, and
   what they covered is after the last checkpoint left, editable as above.
   Only a checkpoint held elsewhere shows it. */
START_TEST (test_known_gap_rechained_behind_deleted_checkpoints)
{
    edit (MID, FLIP_DECISION);
    rechain ();
    ck_assert_int_eq (tamper ("DELETE FROM audit_checkpoints WHERE seq > %d", CP1), 1);
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoint_seq, CP1);
    ck_assert_int_eq (r.uncovered, LAST - CP1);
}
END_TEST

/* An entry edited before the first checkpoint, every later hash
   recomputed. */
START_TEST (test_known_gap_rechained_before_any_checkpoint)
{
    edit (MID, FLIP_DECISION);
    rechain ();
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 0);
    ck_assert_int_eq (r.uncovered, LAST);
}
END_TEST

/* The same after the last checkpoint: entries not yet covered, edited and
   rechained, or forged and appended with their hashes, pass as not yet
   covered (SECURITY.md names cutting them; editing them is the same
   limit). */
START_TEST (test_known_gap_rechained_after_the_last_checkpoint)
{
    append_until (LAST + 3);
    edit (LAST + 2, FLIP_DECISION);
    rechain ();
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoint_seq, LAST);
    ck_assert_int_eq (r.uncovered, 3);
}
END_TEST

/* Whoever can write the home's key files can sign: a key put into
   keys/old/ is taken for one this node had (the signature is checked
   against the keys in the node's own home). */
START_TEST (test_known_gap_key_planted_in_keys_old)
{
    cx_keypair_t *planted = cx_keypair_new (CX_KEY_SIGN);
    ck_assert_ptr_nonnull (planted);
    char path[PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/keys/old", fx_home);
    mkdir (path, 0700);
    snprintf (path, sizeof path, "%s/keys/old/sign-planted.key", fx_home);
    ck_assert_int_eq (cx_keypair_save (planted, path), 0);
    edit (MID, FLIP_DECISION);
    rechain ();
    uint8_t h[STORE_HASHBYTES];
    stored_hash (LAST, h);
    /* the checkpoint at LAST replaced by one over the rewritten chain */
    ck_assert_int_eq (tamper ("DELETE FROM audit_checkpoints WHERE seq = %d", LAST), 1);
    store_checkpoint_t c = signed_cp (planted, LAST, h);
    cx_keypair_destroy (&planted);
    put_cp (&c);
    node_close (&fx_node);
    reopen ();
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 2);
}
END_TEST

void audit_checkpoints_tcases (Suite *s)
{
    TCase *tc = audit_tcase ("rechained", 1);
    tcase_add_test (tc, test_rechained_after_a_checkpoint_is_named);
    tcase_add_test (tc, test_rechained_before_the_first_checkpoint_is_named);
    tcase_add_test (tc, test_deleted_renumbered_and_rechained_is_named);
    suite_add_tcase (s, tc);
    tc = audit_tcase ("checkpoints", 1);
    tcase_add_test (tc, test_checkpoint_signature_altered_is_named);
    tcase_add_test (tc, test_checkpoint_hash_altered_is_named);
    tcase_add_test (tc, test_checkpoint_seq_altered_is_named);
    tcase_add_test (tc, test_checkpoint_by_a_stranger_is_named);
    tcase_add_test (tc, test_checkpoint_by_this_node_over_the_same_message_passes);
    tcase_add_test (tc, test_checkpoint_by_a_stranger_beyond_the_log_is_named);
    tcase_add_test (tc, test_checkpoint_by_a_rotated_key_is_accepted);
    tcase_add_test (tc, test_checkpoint_beyond_the_log_is_truncation);
    tcase_add_test (tc, test_unreadable_checkpoint_is_named);
    suite_add_tcase (s, tc);
    tc = audit_tcase ("running", 1);
    tcase_add_test (tc, test_running_node_signs_an_intact_log);
    tcase_add_test (tc, test_running_node_does_not_sign_over_an_edited_entry);
    tcase_add_test (tc, test_running_node_does_not_sign_after_its_anchor_was_cut);
    suite_add_tcase (s, tc);
    tc = audit_tcase ("known-gaps", 1);
    tcase_add_test (tc, test_known_gap_tail_cut);
    tcase_add_test (tc, test_known_gap_tail_cut_with_its_checkpoints);
    tcase_add_test (tc, test_known_gap_rechained_after_the_last_checkpoint);
    tcase_add_test (tc, test_known_gap_rechained_behind_deleted_checkpoints);
    tcase_add_test (tc, test_known_gap_key_planted_in_keys_old);
    suite_add_tcase (s, tc);
    tc = audit_tcase ("known-gaps-uncovered", 0);
    tcase_add_test (tc, test_known_gap_rechained_before_any_checkpoint);
    suite_add_tcase (s, tc);
}
