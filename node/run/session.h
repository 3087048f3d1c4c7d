/*  session: the two peer session state machines of cdx/1 as tables, and
    the one function that moves a session through a table.

    Outgoing (publisher side, one delivery per peer at a time) and incoming
    (subscriber side, one per dataset), exactly as protocol/SPEC.md section
    12 states them; tests/check_session.c holds the two to each other. A
    row is {state, event, guard, action, next state}. An event with no row
    for the current state is refused: session_run says so and changes
    nothing. An action may raise one more event: an exception (it could
    not complete) is looked up in the state the session was in, any other
    event in the row's next state.

    Not for: what the actions do (outgoing.c, incoming.c, receive.c): here
    they are names. Pure data and lookups, no I/O, so that a unit test
    drives them.
*/
#ifndef SESSION_H_INCLUDED
#define SESSION_H_INCLUDED

#include <stddef.h>

/* ---- outgoing ----------------------------------------------------------- */

#define OUT_STATE_LIST(X) \
    X (QUEUED) X (OFFERED) X (SENDING) X (AWAIT_RECEIPT) X (DELIVERED) X (FAILED) X (EXPIRED) X (CANCELLED)

/* Events, with the names the log and SPEC 12.1 use. The last five are
   raised by actions. */
#define OUT_EVENT_LIST(X)                                                                                   \
    X (START, "start") X (ACCEPT, "ACCEPT") X (CREDIT, "CREDIT") X (RECEIPT, "RECEIPT") X (ERROR, "ERROR") \
    X (TIMEOUT, "timeout") X (DISCONNECTED, "disconnected") X (AGREEMENT_ENDED, "agreement-ended")         \
    X (EXPIRED, "expired") X (CANCELLED, "cancelled") X (BARRED, "barred") X (REPLACED, "replaced")        \
    X (STOPPED, "stopped") X (PUMP, "pump") X (ALL_SENT, "all-sent") X (FAULT, "fault")                     \
    X (BROKEN, "broken") X (REFUSED, "refused") X (REFUSED_AT_END, "refused-at-receipt")

#define OUT_GUARD_LIST(X) X (NONE, "") X (PAST_END, "past-end") X (UNVERIFIED, "unverified") X (FINAL_ERROR, "final-error")

#define OUT_ACTION_LIST(X)                                                                                      \
    X (NOTHING) X (OFFER) X (ACCEPT) X (REFUSE_ACCEPT) X (CREDIT) X (PUMP) X (RECEIPT) X (REFUSE_RECEIPT)       \
    X (ERROR_FINAL) X (ERROR_RETRY) X (TIMEOUT) X (LOST) X (DENY) X (EXPIRE) X (HOLD) X (STOPPED) X (RETRY)     \
    X (GIVE_UP) X (SETTLE)

#define X(s) OUT_##s,
typedef enum { OUT_STATE_LIST (X) OUT_STATES } out_state_t;
#undef X
#define X(e, name) OUT_EV_##e,
typedef enum { OUT_EV_NONE, OUT_EVENT_LIST (X) OUT_EVENTS } out_event_t;
#undef X
#define X(g, name) OUT_G_##g,
typedef enum { OUT_GUARD_LIST (X) OUT_GUARDS } out_guard_t;
#undef X
#define X(a) OUT_A_##a,
typedef enum { OUT_ACTION_LIST (X) OUT_ACTIONS } out_action_t;
#undef X

/* ---- incoming ----------------------------------------------------------- */

#define IN_STATE_LIST(X) X (IDLE) X (RECEIVING) X (AVAILABLE) X (FAILED)

/* The last six are raised by actions. */
#define IN_EVENT_LIST(X)                                                                                 \
    X (OFFER, "OFFER") X (CHUNK, "CHUNK") X (AGREEMENT_ENDED, "agreement-ended") X (IDLE, "idle")        \
    X (ABANDONED, "abandoned") X (STOPPED, "stopped") X (START, "start") X (COMPLETE, "complete")         \
    X (BUSY, "busy") X (PAUSE, "pause") X (HASH, "hash") X (REFUSED_AT_END, "refused-at-end")            \
    X (UNRECORDED, "unrecorded")

#define IN_GUARD_LIST(X)                                                                                  \
    X (NONE, "") X (REFUSED, "refused") X (RESUMABLE, "resumable") X (IN_FLIGHT, "in-flight")             \
    X (PAUSED, "paused") X (AGREEMENT_OVER, "agreement-over") X (EARLY, "early") X (LATE, "late")         \
    X (FORGED, "forged")

#define IN_ACTION_LIST(X)                                                                                   \
    X (NOTHING) X (REFUSE) X (RECORD) X (RECORD_AGAIN) X (RESUME) X (RESTART) X (START) X (COMPLETE)        \
    X (RECEIPT) X (DROP) X (UNKNOWN) X (NO_TRANSFER) X (STOP) X (CREDIT_BACK) X (OUT_OF_ORDER) X (FORGED)   \
    X (WRITE) X (LET_GO) X (ABANDON) X (SUSPEND) X (BUSY) X (PAUSE) X (HASH)

#define X(s) IN_##s,
typedef enum { IN_STATE_LIST (X) IN_STATES } in_state_t;
#undef X
#define X(e, name) IN_EV_##e,
typedef enum { IN_EV_NONE, IN_EVENT_LIST (X) IN_EVENTS } in_event_t;
#undef X
#define X(g, name) IN_G_##g,
typedef enum { IN_GUARD_LIST (X) IN_GUARDS } in_guard_t;
#undef X
#define X(a) IN_A_##a,
typedef enum { IN_ACTION_LIST (X) IN_ACTIONS } in_action_t;
#undef X

/* ---- both --------------------------------------------------------------- */

typedef struct {
    int state, event, guard, action, next;
} session_row_t;

typedef struct {
    const char *name;                    /* "outgoing", "incoming" */
    const session_row_t *rows;
    size_t nrows;
    const char *const *states;           /* names, by value */
    int nstates;
    const char *const *events;           /* names, by value; [0] is "" (none) */
    int nevents;
    const char *const *guards;           /* names, by value; [0] is "" (none) */
    int nguards;
    const unsigned char *exception;      /* by event: 1 if raised when an action cannot complete */
    const unsigned char *final;          /* by state: 1 if the session ends there */
} session_machine_t;

extern const session_machine_t session_out;
extern const session_machine_t session_in;

/* Whether guard G holds now, for the caller's session CTX. */
typedef int (session_guard_fn) (int guard, void *ctx);
/* Runs ACTION for CTX; returns the event it raises, or 0. */
typedef int (session_action_fn) (int action, void *ctx);

/* The first row of M for STATE and EVENT whose guard holds (HOLDS asked
   in row order; a row without a guard always holds), or NULL: no row. */
const session_row_t *session_find (const session_machine_t *m, int state, int event, session_guard_fn *holds,
                                   void *ctx);

/* 1 if M has a row for STATE and EVENT, whatever its guard. */
int session_accepts (const session_machine_t *m, int state, int event);

/* Moves *STATE through M on EVENT: the row found, its action run (ACT),
   the event it raises handled in turn. 0, *STATE the state it ends in;
   -1 if an event found no row, *STATE where it was refused and *REFUSED
   that event (set in both cases: 0 when nothing was refused). */
int session_run (const session_machine_t *m, int *state, int event, session_guard_fn *holds,
                 session_action_fn *act, void *ctx, int *refused);

/* The value named NAME in NAMES (N of them), or -1. */
int session_lookup_name (const char *const *names, int n, const char *name);

#endif
