/*  check_session: the two session tables (node/run/session.c) and
    protocol/SPEC.md section 12, which states them.

    Every row of both tables is reached by its state, event and guard and
    leads to its next state; an event with no row is refused and leaves
    the state as it was; an event an action raises is handled where the
    table says (an exception in the state the session was in, any other in
    the row's next state). And the tables of SPEC 12.1 and 12.2, parsed,
    are the C tables, row for row, both ways.

    Not for: what the actions do (the integration tests run real nodes).
*/
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

static const session_machine_t *const s_machines[] = {&session_out, &session_in};

/* ---- the tables driven ---------------------------------------------------- */

static int s_only (int guard, void *ctx)
{
    return guard == *(const int *) ctx;
}

START_TEST (test_every_row_is_reached_by_its_guard)
{
    for (size_t k = 0; k < 2; k++) {
        const session_machine_t *m = s_machines[k];
        for (size_t i = 0; i < m->nrows; i++) {
            const session_row_t *row = &m->rows[i];
            int guard = row->guard;
            const session_row_t *found = session_find (m, row->state, row->event, s_only, &guard);
            ck_assert_msg (found == row, "%s: %s on %s [%s] reaches row %zd, not %zu", m->name,
                           m->states[row->state], m->events[row->event], m->guards[row->guard],
                           found ? found - m->rows : -1, i);
        }
    }
}
END_TEST

START_TEST (test_every_state_and_event_has_at_most_one_unguarded_row)
{
    for (size_t k = 0; k < 2; k++) {
        const session_machine_t *m = s_machines[k];
        for (size_t i = 0; i < m->nrows; i++)
            for (size_t j = i + 1; j < m->nrows; j++)
                ck_assert_msg (!(m->rows[i].state == m->rows[j].state && m->rows[i].event == m->rows[j].event &&
                                 m->rows[i].guard == m->rows[j].guard),
                               "%s: rows %zu and %zu are the same", m->name, i, j);
    }
}
END_TEST

START_TEST (test_an_event_without_a_row_is_refused)
{
    int refusals = 0;
    for (size_t k = 0; k < 2; k++) {
        const session_machine_t *m = s_machines[k];
        for (int s = 0; s < m->nstates; s++)
            for (int e = 1; e < m->nevents; e++) {
                if (session_accepts (m, s, e))
                    continue;
                int state = s, refused = -7;
                ck_assert_int_eq (session_run (m, &state, e, NULL, NULL, NULL, &refused), -1);
                ck_assert_int_eq (state, s);
                ck_assert_int_eq (refused, e);
                refusals++;
            }
    }
    ck_assert_int_gt (refusals, 0);
    /* The ones that matter: credit before ACCEPT, anything once final. */
    ck_assert (!session_accepts (&session_out, OUT_OFFERED, OUT_EV_CREDIT));
    ck_assert (!session_accepts (&session_out, OUT_DELIVERED, OUT_EV_RECEIPT));
    ck_assert (!session_accepts (&session_in, IN_AVAILABLE, IN_EV_START));
}
END_TEST

START_TEST (test_final_states_have_no_rows)
{
    for (size_t k = 0; k < 2; k++) {
        const session_machine_t *m = s_machines[k];
        for (size_t i = 0; i < m->nrows; i++)
            ck_assert_msg (!m->final[m->rows[i].state], "%s: a row leaves final state %s", m->name,
                           m->states[m->rows[i].state]);
    }
}
END_TEST

/* Actions that raise one event each, in turn, from a script. */
typedef struct {
    const int *raise;
    int n, at;
    int actions[8];
} script_t;

static int s_script (int action, void *ctx)
{
    script_t *s = ctx;
    s->actions[s->at < 8 ? s->at : 7] = action;
    return s->at < s->n ? s->raise[s->at++] : 0;
}

static int s_none (int guard, void *ctx)
{
    (void) guard;
    (void) ctx;
    return 0;
}

START_TEST (test_an_exception_is_handled_where_the_session_was)
{
    const int fault[] = {OUT_EV_FAULT};
    script_t s = {fault, 1, 0, {0}};
    int state = OUT_QUEUED, refused;
    ck_assert_int_eq (session_run (&session_out, &state, OUT_EV_START, s_none, s_script, &s, &refused), 0);
    ck_assert_int_eq (state, OUT_QUEUED);                   /* not OFFERED: the offer could not go */
    ck_assert_int_eq (s.actions[1], OUT_A_RETRY);
    const int refusal[] = {OUT_EV_REFUSED};
    script_t t = {refusal, 1, 0, {0}};
    state = OUT_SENDING;
    ck_assert_int_eq (session_run (&session_out, &state, OUT_EV_CREDIT, s_none, s_script, &t, &refused), 0);
    ck_assert_int_eq (state, OUT_FAILED);
}
END_TEST

START_TEST (test_a_raised_event_goes_on_from_the_next_state)
{
    const int sent[] = {OUT_EV_ALL_SENT};
    script_t s = {sent, 1, 0, {0}};
    int state = OUT_OFFERED, refused;
    ck_assert_int_eq (session_run (&session_out, &state, OUT_EV_ACCEPT, s_none, s_script, &s, &refused), 0);
    ck_assert_int_eq (state, OUT_AWAIT_RECEIPT);
    const int chain[] = {IN_EV_START, IN_EV_COMPLETE, IN_EV_HASH};
    script_t t = {chain, 3, 0, {0}};
    state = IN_IDLE;
    ck_assert_int_eq (session_run (&session_in, &state, IN_EV_OFFER, s_none, s_script, &t, &refused), 0);
    ck_assert_int_eq (state, IN_FAILED);
    ck_assert_int_eq (t.actions[0], IN_A_RECORD);
    ck_assert_int_eq (t.actions[1], IN_A_START);
    ck_assert_int_eq (t.actions[2], IN_A_COMPLETE);
    ck_assert_int_eq (t.actions[3], IN_A_HASH);
}
END_TEST

/* ---- SPEC.md section 12 ----------------------------------------------------- */

typedef struct {
    int state, event, guard, next;
} spec_row_t;

static char *s_read_spec (void)
{
    FILE *f = fopen (CDX_SOURCE_DIR "/protocol/SPEC.md", "r");
    ck_assert_ptr_nonnull (f);
    static char buf[1 << 20];
    size_t len = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf[len] = '\0';
    return buf;
}

/* The cells of one table line "| a | b | ... |" into CELLS (trimmed, in
   BUF). How many. */
static int s_cells (const char *line, char cells[8][512])
{
    int n = 0;
    const char *p = strchr (line, '|');
    while (p && n < 8) {
        const char *q = strchr (p + 1, '|');
        if (!q)
            break;
        while (p + 1 < q && isspace ((unsigned char) p[1]))
            p++;
        const char *e = q;
        while (e > p + 1 && isspace ((unsigned char) e[-1]))
            e--;
        snprintf (cells[n++], 512, "%.*s", (int) (e - p - 1), p + 1);
        p = q;
    }
    return n;
}

/* The names in a cell "A, B, C (unchanged)" as values of NAMES: how many. */
static int s_names (const char *cell, const char *const *names, int nnames, int *out, const char *what)
{
    char copy[512];
    snprintf (copy, sizeof copy, "%s", cell);
    char *paren = strchr (copy, '(');
    if (paren)
        *paren = '\0';
    int n = 0;
    for (char *tok = strtok (copy, ", "); tok; tok = strtok (NULL, ", ")) {
        int v = session_lookup_name (names, nnames, tok);
        ck_assert_msg (v >= 0, "SPEC 12: unknown %s \"%s\" in \"%s\"", what, tok, cell);
        out[n++] = v;
    }
    return n;
}

/* The rows of the table under HEADING in SPEC 12, expanded (one per state). */
static size_t s_spec_rows (const char *spec, const char *heading, const session_machine_t *m, spec_row_t *rows,
                           size_t cap)
{
    const char *p = strstr (spec, heading);
    ck_assert_msg (p != NULL, "SPEC.md has no \"%s\"", heading);
    const char *end = strstr (p + 1, "\n### ");
    const char *end13 = strstr (p, "\n## 13.");
    if (!end || (end13 && end13 < end))
        end = end13;
    size_t n = 0;
    while ((p = strstr (p, "\n|")) && p < end) {
        p++;
        const char *eol = strchr (p, '\n');
        char line[2048];
        snprintf (line, sizeof line, "%.*s", (int) (eol - p), p);
        char cells[8][512];
        if (s_cells (line, cells) != 5 || strcmp (cells[0], "State") == 0 || cells[0][0] == '-')
            continue;
        int states[8], nexts[8];
        int ns = s_names (cells[0], m->states, m->nstates, states, "state");
        int nn = s_names (cells[4], m->states, m->nstates, nexts, "state");
        int unchanged = strstr (cells[4], "(unchanged)") != NULL;
        ck_assert_msg (unchanged ? nn == ns : nn == 1, "SPEC 12: next state of \"%s\"", line);
        char event[64];
        sscanf (cells[1], "%63[A-Za-z-]", event);
        int ev = session_lookup_name (m->events, m->nevents, event);
        ck_assert_msg (ev > 0, "SPEC 12: unknown event \"%s\"", event);
        int guard = 0;
        const char *tick = strchr (cells[2], '`');
        if (tick) {
            char name[64];
            sscanf (tick + 1, "%63[^`]", name);
            guard = session_lookup_name (m->guards, m->nguards, name);
            ck_assert_msg (guard > 0, "SPEC 12: unknown guard \"%s\"", name);
        }
        for (int i = 0; i < ns; i++) {
            ck_assert (n < cap);
            rows[n++] = (spec_row_t){states[i], ev, guard, unchanged ? nexts[i] : nexts[0]};
        }
    }
    return n;
}

static int s_same (const spec_row_t *a, const session_row_t *b)
{
    return a->state == b->state && a->event == b->event && a->guard == b->guard && a->next == b->next;
}

static void s_compare (const char *heading, const session_machine_t *m)
{
    static spec_row_t rows[512];
    size_t n = s_spec_rows (s_read_spec (), heading, m, rows, 512);
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t j = 0; j < m->nrows && !found; j++)
            found = s_same (&rows[i], &m->rows[j]);
        ck_assert_msg (found, "SPEC %s: %s on %s [%s] -> %s is not in the %s table", heading,
                       m->states[rows[i].state], m->events[rows[i].event], m->guards[rows[i].guard],
                       m->states[rows[i].next], m->name);
    }
    for (size_t j = 0; j < m->nrows; j++) {
        int found = 0;
        for (size_t i = 0; i < n && !found; i++)
            found = s_same (&rows[i], &m->rows[j]);
        ck_assert_msg (found, "the %s table's %s on %s [%s] -> %s is not in SPEC %s", m->name,
                       m->states[m->rows[j].state], m->events[m->rows[j].event], m->guards[m->rows[j].guard],
                       m->states[m->rows[j].next], heading);
    }
    ck_assert_int_eq (n, m->nrows);
}

START_TEST (test_spec_12_1_is_the_outgoing_table)
{
    s_compare ("### 12.1 ", &session_out);
}
END_TEST

START_TEST (test_spec_12_2_is_the_incoming_table)
{
    s_compare ("### 12.2 ", &session_in);
}
END_TEST

int main (void)
{
    Suite *s = suite_create ("session");
    TCase *tc = tcase_create ("tables");
    tcase_add_test (tc, test_every_row_is_reached_by_its_guard);
    tcase_add_test (tc, test_every_state_and_event_has_at_most_one_unguarded_row);
    tcase_add_test (tc, test_an_event_without_a_row_is_refused);
    tcase_add_test (tc, test_final_states_have_no_rows);
    tcase_add_test (tc, test_an_exception_is_handled_where_the_session_was);
    tcase_add_test (tc, test_a_raised_event_goes_on_from_the_next_state);
    suite_add_tcase (s, tc);
    tc = tcase_create ("spec");
    tcase_add_test (tc, test_spec_12_1_is_the_outgoing_table);
    tcase_add_test (tc, test_spec_12_2_is_the_incoming_table);
    suite_add_tcase (s, tc);
    SRunner *sr = srunner_create (s);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed ? 1 : 0;
}
