/*  check_audit_entries.c: the audit verifier (node/audit.c) against
    damage to the entries themselves: each hashed field edited, before a
    checkpoint and after, a seq changed, a row unreadable; entries deleted
    from the middle (and the rest renumbered), swapped, inserted (with a
    copied hash or one of their own), appended; the log cut short after a
    checkpoint, or emptied; and an intact log.

    Not for: the chain rewritten consistently, the checkpoints, the known
    gaps (check_audit_checkpoints.c).
*/
#include "check_audit.h"

/* ---- an intact log ----------------------------------------------------------- */

START_TEST (test_intact_log_passes)
{
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_str_eq (node_audit_problem_name (r.problem), "ok");
    ck_assert_int_eq (r.entries, LAST);
    ck_assert_int_eq (r.last_seq, LAST);
    ck_assert_int_eq (r.checkpoints, 2);
    ck_assert_int_eq (r.checkpoint_seq, LAST);
    ck_assert_int_eq (r.uncovered, 0);
    ck_assert_str_eq (r.reason, "");
}
END_TEST

START_TEST (test_intact_log_reports_entries_not_yet_covered)
{
    append_until (LAST + 3);
    node_audit_report_t r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoint_seq, LAST);
    ck_assert_int_eq (r.uncovered, 3);
    checkpoint ();
    r = verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 3);
    ck_assert_int_eq (r.uncovered, 0);
}
END_TEST

/* ---- entries edited ---------------------------------------------------------------- */

/* Each field the chain hash covers (store_audit_encode), and the stored
   hash itself, changed in entry MID alone: the hashes after it left. */
static const struct {
    const char *field;
    const char *set;
} s_edits[] = {
    {"at", "at = at + 1"},
    {"actor", "actor = 'user:mallory (admin)'"},
    {"action", "action = 'receive'"},
    {"object", "object = 'sus/apc v4'"},
    {"peer", "peer = '05D'"},
    {"purpose", "purpose = 'invoice-validation'"},
    {"decision", FLIP_DECISION},
    {"rule", "rule = 'policy.allow'"},
    {"detail", "detail = 'nothing happened'"},
    {"hash", "hash = zeroblob (32)"},
};

START_TEST (test_field_edited_is_named)
{
    edit (MID, s_edits[_i].set);
    node_audit_report_t r = verify ();
    ck_assert_msg (r.problem == NODE_AUDIT_HASH && r.seq == MID,
                   "%s edited: expected hash at seq %d, got %s at seq %lld: %s", s_edits[_i].field,
                   MID, node_audit_problem_name (r.problem), (long long)r.seq, r.reason);
    ASSERT_REASON_HAS (r, "entry 9 does not match its hash");
    ASSERT_REASON_HAS (r, "edited");
}
END_TEST

/* Before any checkpoint too: the link to the next entry breaks. */
START_TEST (test_field_edited_before_any_checkpoint_is_named)
{
    edit (EARLY, s_edits[_i].set);
    node_audit_report_t r = verify ();
    ck_assert_msg (r.problem == NODE_AUDIT_HASH && r.seq == EARLY,
                   "%s edited: expected hash at seq %d, got %s at seq %lld: %s", s_edits[_i].field,
                   EARLY, node_audit_problem_name (r.problem), (long long)r.seq, r.reason);
    ck_assert_int_eq (r.checkpoints, 0);
}
END_TEST

/* The seq is hashed too, but a changed seq is first of all a hole. */
START_TEST (test_seq_changed_is_a_gap)
{
    ck_assert_int_eq (tamper ("UPDATE audit SET seq = 100 WHERE seq = %d", MID), 1);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, MID);
    ck_assert_int_eq (r.other, MID);
    ASSERT_REASON_HAS (r, "entry 9 is missing");
}
END_TEST

/* A row the store refuses to read (a hash of the wrong size, written past
   the table's CHECK) is named, not skipped. */
START_TEST (test_unreadable_entry_is_named)
{
    tamper ("PRAGMA ignore_check_constraints = ON; UPDATE audit SET hash = X'00' WHERE seq = %d",
            MID);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_UNREADABLE, MID);
    ASSERT_REASON_HAS (r, "audit entry 9");
}
END_TEST

/* ---- entries deleted, swapped, inserted ---------------------------------------------- */

START_TEST (test_deleted_from_the_middle_is_a_gap)
{
    ck_assert_int_eq (tamper ("DELETE FROM audit WHERE seq = %d", MID), 1);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, MID);
    ck_assert_int_eq (r.other, MID);
    ASSERT_REASON_HAS (r, "entry 9 is missing (deleted)");
}
END_TEST

START_TEST (test_several_deleted_from_the_middle_is_a_gap)
{
    ck_assert_int_eq (tamper ("DELETE FROM audit WHERE seq BETWEEN %d AND %d", MID, MID + 1), 2);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, MID);
    ck_assert_int_eq (r.other, MID + 1);
    ASSERT_REASON_HAS (r, "entries 9 to 10 are missing");
}
END_TEST

/* The hole closed by renumbering the entries after it. */
START_TEST (test_deleted_and_renumbered_is_a_gap)
{
    tamper ("DELETE FROM audit WHERE seq = %d;"
            "UPDATE audit SET seq = seq + 1000 WHERE seq > %d;"
            "UPDATE audit SET seq = seq - 1001 WHERE seq > 1000;",
            MID, MID);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, MID);
    ck_assert_int_eq (r.other, MID);
    ASSERT_REASON_HAS (r, "1 entry from seq 9 was deleted");
}
END_TEST

START_TEST (test_first_deleted_and_renumbered_is_a_gap)
{
    tamper ("DELETE FROM audit WHERE seq = 1;"
            "UPDATE audit SET seq = seq + 1000;"
            "UPDATE audit SET seq = seq - 1001;");
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, 1);
    ASSERT_REASON_HAS (r, "from seq 1 was deleted");
}
END_TEST

/* Neighbours swapped whole, hashes moving with them. */
START_TEST (test_neighbours_swapped_is_reordered)
{
    swap (MID, MID + 1, 1);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_MOVED, MID);
    ck_assert_int_eq (r.other, MID + 1);
    ASSERT_REASON_HAS (r, "entry 9 holds the entry written as seq 10");
}
END_TEST

/* Two distant entries' contents swapped, the hashes left in place. */
START_TEST (test_contents_swapped_is_reordered)
{
    swap (EARLY, MID, 0);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_MOVED, EARLY);
    ck_assert_int_eq (r.other, MID);
    ASSERT_REASON_HAS (r, "entry 3 holds the entry written as seq 9");
}
END_TEST

START_TEST (test_rows_swapped_is_reordered)
{
    swap (EARLY, MID, 1);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_MOVED, EARLY);
    ck_assert_int_eq (r.other, MID);
}
END_TEST

/* A forged entry at MID, the entries from there moved up one; its hash
   copied from the entry before (the forger cannot know a better one
   without recomputing the rest). */
START_TEST (test_inserted_and_renumbered_is_named)
{
    tamper ("UPDATE audit SET seq = seq + 1000 WHERE seq >= %d;"
            "UPDATE audit SET seq = seq - 999 WHERE seq > 1000;"
            "INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule, "
            "detail, hash) SELECT %d, at, 'user:mallory', 'export', object, peer, purpose, 'allow',"
            " 'local.export', 'exported nothing', hash FROM audit WHERE seq = %d;",
            MID, MID, MID - 1);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_HASH, MID);
    ASSERT_REASON_HAS (r, "it was inserted, and the entries after it renumbered");
}
END_TEST

/* A forged entry with a correct hash of its own, the entries after it
   moved up one with theirs: the first broken link is the entry after it,
   which holds the one written at MID. */
START_TEST (test_inserted_with_its_own_hash_is_named)
{
    tamper ("UPDATE audit SET seq = seq + 1000 WHERE seq >= %d;"
            "UPDATE audit SET seq = seq - 999 WHERE seq > 1000;"
            "INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule, "
            "detail, hash) SELECT %d, at, 'user:mallory', 'export', object, peer, purpose, 'allow',"
            " 'local.export', 'exported nothing', zeroblob (32) FROM audit WHERE seq = %d;",
            MID, MID, MID - 1);
    /* the forged entry's hash, computed as the store would */
    audit_entries_t all = all_entries ();
    ck_assert_uint_eq (all.n, LAST + 1);
    uint8_t buf[STORE_AUDIT_ENCODED_MAX], h[STORE_HASHBYTES];
    size_t len = store_audit_encode (all.e[MID - 2].hash, &all.e[MID - 1], buf, sizeof buf);
    ck_assert_uint_gt (len, 0);
    ck_assert_int_eq (cx_hash_buf (buf, len, h), 0);
    free (all.e);
    char hex[2 * STORE_HASHBYTES + 1];
    cx_hex (h, sizeof h, hex);
    tamper ("UPDATE audit SET hash = X'%s' WHERE seq = %d", hex, MID);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_MOVED, MID + 1);
    ck_assert_int_eq (r.other, MID);
    ASSERT_REASON_HAS (r, "renumbered around an inserted or deleted entry");
}
END_TEST

/* One more entry at the end whose hash the forger did not recompute. */
START_TEST (test_appended_without_its_hash_is_named)
{
    tamper ("INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule, "
            "detail, hash) SELECT %d, at, 'user:mallory', 'export', object, peer, purpose, 'allow',"
            " 'local.export', 'exported nothing', hash FROM audit WHERE seq = %d;",
            LAST + 1, LAST);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_HASH, LAST + 1);
}
END_TEST

/* An entry put before the first, at seq 0 (written past the table's
   CHECK): named as inserted there. It was once named a gap at seq 1
   ("entries 1 to -1 are missing"), an entry that is there and intact. */
START_TEST (test_inserted_before_the_first_is_named)
{
    tamper ("PRAGMA ignore_check_constraints = ON;"
            "INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule, "
            "detail, hash) SELECT 0, at, 'user:mallory', 'export', object, peer, purpose, 'allow',"
            " 'local.export', 'exported nothing', hash FROM audit WHERE seq = 1;");
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_HASH, 0);
    ASSERT_REASON_HAS (r, "entry 0 comes before the log's first entry (seq 1): it was inserted");
}
END_TEST

/* ---- the log cut short --------------------------------------------------------- */

START_TEST (test_truncated_after_a_checkpoint_is_named)
{
    ck_assert_int_eq (tamper ("DELETE FROM audit WHERE seq > %d", LAST - 2), 2);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_TRUNCATED, LAST);
    ASSERT_REASON_HAS (r, "covers entry 12, but the log ends at 10");
    ck_assert_int_eq (r.checkpoints, 1);
}
END_TEST

START_TEST (test_truncated_to_nothing_is_named)
{
    ck_assert_int_eq (tamper ("DELETE FROM audit"), LAST);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_TRUNCATED, CP1);
    ASSERT_REASON_HAS (r, "the log is empty");
}
END_TEST

/* Without any checkpoint, an empty log still cannot be a node's. */
START_TEST (test_emptied_without_checkpoints_is_a_gap)
{
    ck_assert_int_eq (tamper ("DELETE FROM audit"), LAST);
    node_audit_report_t r = verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, 1);
    ASSERT_REASON_HAS (r, "the log is empty");
}
END_TEST

void audit_entries_tcases (Suite *s)
{
    TCase *tc = audit_tcase ("intact", 1);
    tcase_add_test (tc, test_intact_log_passes);
    tcase_add_test (tc, test_intact_log_reports_entries_not_yet_covered);
    suite_add_tcase (s, tc);
    tc = audit_tcase ("edited", 1);
    tcase_add_loop_test (tc, test_field_edited_is_named, 0, N (s_edits));
    tcase_add_test (tc, test_seq_changed_is_a_gap);
    tcase_add_test (tc, test_unreadable_entry_is_named);
    suite_add_tcase (s, tc);
    tc = audit_tcase ("edited-uncovered", 0);
    tcase_add_loop_test (tc, test_field_edited_before_any_checkpoint_is_named, 0, N (s_edits));
    tcase_add_test (tc, test_emptied_without_checkpoints_is_a_gap);
    suite_add_tcase (s, tc);
    tc = audit_tcase ("moved", 1);
    tcase_add_test (tc, test_deleted_from_the_middle_is_a_gap);
    tcase_add_test (tc, test_several_deleted_from_the_middle_is_a_gap);
    tcase_add_test (tc, test_deleted_and_renumbered_is_a_gap);
    tcase_add_test (tc, test_first_deleted_and_renumbered_is_a_gap);
    tcase_add_test (tc, test_neighbours_swapped_is_reordered);
    tcase_add_test (tc, test_contents_swapped_is_reordered);
    tcase_add_test (tc, test_rows_swapped_is_reordered);
    tcase_add_test (tc, test_inserted_and_renumbered_is_named);
    tcase_add_test (tc, test_inserted_with_its_own_hash_is_named);
    tcase_add_test (tc, test_appended_without_its_hash_is_named);
    tcase_add_test (tc, test_inserted_before_the_first_is_named);
    suite_add_tcase (s, tc);
    tc = audit_tcase ("truncated", 1);
    tcase_add_test (tc, test_truncated_after_a_checkpoint_is_named);
    tcase_add_test (tc, test_truncated_to_nothing_is_named);
    suite_add_tcase (s, tc);
}
