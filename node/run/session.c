/*  session.c: the outgoing and incoming session tables (SPEC.md section
    12) and the lookup that moves a session through one.

    Each row says: in this state, on this event, if this guard holds, run
    this action and go to this state. The rows of one state and event are
    tried in order, so a guarded row comes before the row without a guard.

    Not for: the actions (outgoing.c, incoming.c, receive.c), or anything
    with I/O: this file is data and a few pure functions.
*/
#include <string.h>

#include "session.h"

/* ---- outgoing (SPEC 12.1) ----------------------------------------------- */

#define R(s, e, g, a, n) {OUT_##s, OUT_EV_##e, OUT_G_##g, OUT_A_##a, OUT_##n}
/* The rows every state of an attempt under way has. */
#define UNDER_WAY(s)                                                 \
    R (s, ACCEPT, PAST_END, REFUSE_ACCEPT, QUEUED),                  \
    R (s, ACCEPT, NONE, ACCEPT, SENDING),                            \
    R (s, RECEIPT, UNVERIFIED, REFUSE_RECEIPT, QUEUED),              \
    R (s, RECEIPT, NONE, RECEIPT, DELIVERED),                        \
    R (s, ERROR, FINAL_ERROR, ERROR_FINAL, FAILED),                  \
    R (s, ERROR, NONE, ERROR_RETRY, QUEUED),                         \
    R (s, TIMEOUT, NONE, TIMEOUT, QUEUED),                           \
    R (s, DISCONNECTED, NONE, LOST, QUEUED),                         \
    R (s, AGREEMENT_ENDED, NONE, DENY, FAILED),                      \
    R (s, EXPIRED, NONE, EXPIRE, EXPIRED),                           \
    R (s, CANCELLED, NONE, NOTHING, CANCELLED),                      \
    R (s, BARRED, NONE, HOLD, QUEUED),                               \
    R (s, REPLACED, NONE, NOTHING, QUEUED),                          \
    R (s, STOPPED, NONE, STOPPED, QUEUED),                           \
    R (s, FAULT, NONE, RETRY, QUEUED),                               \
    R (s, BROKEN, NONE, GIVE_UP, FAILED),                            \
    R (s, REFUSED, NONE, DENY, FAILED),                              \
    R (s, REFUSED_AT_END, NONE, SETTLE, FAILED)

static const session_row_t s_out_rows[] = {
    R (QUEUED, START, NONE, OFFER, OFFERED),
    R (QUEUED, EXPIRED, NONE, EXPIRE, EXPIRED),
    R (QUEUED, FAULT, NONE, RETRY, QUEUED),
    R (QUEUED, BROKEN, NONE, GIVE_UP, FAILED),
    R (QUEUED, REFUSED, NONE, DENY, FAILED),
    UNDER_WAY (OFFERED),
    UNDER_WAY (SENDING),
    R (SENDING, CREDIT, NONE, CREDIT, SENDING),
    R (SENDING, PUMP, NONE, PUMP, SENDING),
    R (SENDING, ALL_SENT, NONE, NOTHING, AWAIT_RECEIPT),
    UNDER_WAY (AWAIT_RECEIPT),
    R (AWAIT_RECEIPT, CREDIT, NONE, NOTHING, AWAIT_RECEIPT),  /* credit for chunks already sent */
};
#undef UNDER_WAY
#undef R

#define X(s) #s,
static const char *const s_out_states[] = {OUT_STATE_LIST (X)};
#undef X
#define X(e, name) name,
static const char *const s_out_events[] = {"", OUT_EVENT_LIST (X)};
#undef X
#define X(g, name) name,
static const char *const s_out_guards[] = {OUT_GUARD_LIST (X)};
#undef X
static const unsigned char s_out_exception[OUT_EVENTS] = {
    [OUT_EV_FAULT] = 1, [OUT_EV_BROKEN] = 1, [OUT_EV_REFUSED] = 1, [OUT_EV_REFUSED_AT_END] = 1};
static const unsigned char s_out_final[OUT_STATES] = {
    [OUT_DELIVERED] = 1, [OUT_FAILED] = 1, [OUT_EXPIRED] = 1, [OUT_CANCELLED] = 1};

const session_machine_t session_out = {
    "outgoing", s_out_rows, sizeof s_out_rows / sizeof s_out_rows[0], s_out_states, OUT_STATES,
    s_out_events, OUT_EVENTS, s_out_guards, OUT_GUARDS, s_out_exception, s_out_final};

/* ---- incoming (SPEC 12.2) ----------------------------------------------- */

#define R(s, e, g, a, n) {IN_##s, IN_EV_##e, IN_G_##g, IN_A_##a, IN_##n}

static const session_row_t s_in_rows[] = {
    R (IDLE, OFFER, REFUSED, REFUSE, IDLE),
    R (IDLE, OFFER, NONE, RECORD, RECEIVING),
    R (IDLE, BUSY, NONE, BUSY, IDLE),
    R (IDLE, CHUNK, IN_FLIGHT, DROP, IDLE),
    R (IDLE, CHUNK, NONE, UNKNOWN, IDLE),

    R (RECEIVING, OFFER, REFUSED, REFUSE, RECEIVING),
    R (RECEIVING, OFFER, RESUMABLE, RESUME, RECEIVING),
    R (RECEIVING, OFFER, NONE, RESTART, RECEIVING),
    R (RECEIVING, START, NONE, START, RECEIVING),
    R (RECEIVING, CHUNK, IN_FLIGHT, DROP, RECEIVING),
    R (RECEIVING, CHUNK, PAUSED, NO_TRANSFER, RECEIVING),
    R (RECEIVING, CHUNK, AGREEMENT_OVER, STOP, FAILED),
    R (RECEIVING, CHUNK, EARLY, CREDIT_BACK, RECEIVING),
    R (RECEIVING, CHUNK, LATE, OUT_OF_ORDER, RECEIVING),
    R (RECEIVING, CHUNK, FORGED, FORGED, RECEIVING),
    R (RECEIVING, CHUNK, NONE, WRITE, RECEIVING),
    R (RECEIVING, COMPLETE, NONE, COMPLETE, AVAILABLE),
    R (RECEIVING, AGREEMENT_ENDED, NONE, STOP, FAILED),
    R (RECEIVING, IDLE, NONE, LET_GO, RECEIVING),
    R (RECEIVING, ABANDONED, NONE, ABANDON, FAILED),
    R (RECEIVING, STOPPED, NONE, SUSPEND, RECEIVING),
    R (RECEIVING, BUSY, NONE, BUSY, RECEIVING),
    R (RECEIVING, PAUSE, NONE, PAUSE, RECEIVING),
    R (RECEIVING, HASH, NONE, HASH, FAILED),
    R (RECEIVING, REFUSED_AT_END, NONE, NOTHING, FAILED),
    R (RECEIVING, UNRECORDED, NONE, NOTHING, RECEIVING),

    R (AVAILABLE, OFFER, REFUSED, REFUSE, AVAILABLE),
    R (AVAILABLE, OFFER, NONE, RECEIPT, AVAILABLE),
    R (AVAILABLE, CHUNK, IN_FLIGHT, DROP, AVAILABLE),
    R (AVAILABLE, CHUNK, NONE, NO_TRANSFER, AVAILABLE),

    R (FAILED, OFFER, REFUSED, REFUSE, FAILED),
    R (FAILED, OFFER, NONE, RECORD_AGAIN, RECEIVING),
    R (FAILED, CHUNK, IN_FLIGHT, DROP, FAILED),
    R (FAILED, CHUNK, NONE, NO_TRANSFER, FAILED),
};
#undef R

#define X(s) #s,
static const char *const s_in_states[] = {IN_STATE_LIST (X)};
#undef X
#define X(e, name) name,
static const char *const s_in_events[] = {"", IN_EVENT_LIST (X)};
#undef X
#define X(g, name) name,
static const char *const s_in_guards[] = {IN_GUARD_LIST (X)};
#undef X
static const unsigned char s_in_exception[IN_EVENTS] = {
    [IN_EV_BUSY] = 1, [IN_EV_PAUSE] = 1, [IN_EV_HASH] = 1, [IN_EV_REFUSED_AT_END] = 1, [IN_EV_UNRECORDED] = 1};
/* None: an available or failed dataset is offered again (its receipt, or from chunk 0). */
static const unsigned char s_in_final[IN_STATES] = {0};

const session_machine_t session_in = {
    "incoming", s_in_rows, sizeof s_in_rows / sizeof s_in_rows[0], s_in_states, IN_STATES,
    s_in_events, IN_EVENTS, s_in_guards, IN_GUARDS, s_in_exception, s_in_final};

/* ---- the lookup ----------------------------------------------------------- */

const session_row_t *session_find (const session_machine_t *m, int state, int event, session_guard_fn *holds,
                                   void *ctx)
{
    for (size_t i = 0; i < m->nrows; i++) {
        const session_row_t *row = &m->rows[i];
        if (row->state == state && row->event == event && (row->guard == 0 || (holds && holds (row->guard, ctx))))
            return row;
    }
    return NULL;
}

int session_accepts (const session_machine_t *m, int state, int event)
{
    for (size_t i = 0; i < m->nrows; i++)
        if (m->rows[i].state == state && m->rows[i].event == event)
            return 1;
    return 0;
}

/* A raised event leads to at most this many more rows: no table here
   chains further, so a longer chain is a table error, refused. */
#define SESSION_CHAIN_MAX 4

int session_run (const session_machine_t *m, int *state, int event, session_guard_fn *holds,
                 session_action_fn *act, void *ctx, int *refused)
{
    *refused = 0;
    for (int step = 0; event && step <= SESSION_CHAIN_MAX; step++) {
        const session_row_t *row = session_find (m, *state, event, holds, ctx);
        if (!row) {
            *refused = event;
            return -1;
        }
        int raised = act ? act (row->action, ctx) : 0;
        if (!(raised > 0 && raised < m->nevents && m->exception[raised]))
            *state = row->next;                  /* an exception is handled where the session was */
        event = raised > 0 && raised < m->nevents ? raised : 0;
    }
    if (event) {
        *refused = event;
        return -1;
    }
    return 0;
}

int session_lookup_name (const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp (names[i], name) == 0)
            return i;
    return -1;
}
