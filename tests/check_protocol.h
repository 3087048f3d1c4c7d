/*  check_protocol.h: what the files of the protocol suite share (the
    suite is check_protocol.c and the check_protocol_*.c and
    check_messages.c beside it, one executable, unit_protocol): the
    headers, the example messages and documents (spec_examples.h), the
    helpers that build hand-made msgpack, and each file's test case.
    Not for: anything outside tests/.
*/
#ifndef CHECK_PROTOCOL_H_INCLUDED
#define CHECK_PROTOCOL_H_INCLUDED

#include "agreement.h"
#include "card.h"
#include "cx.h"
#include "proto.h"
#include "spec_examples.h"

#include <check.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

/* FILE (a path under the source tree) read whole, NUL-terminated; the
   test fails if it cannot be read. Freed by the caller. */
char *check_source_text (const char *file);

/* One test case per file of the suite. */
TCase *check_messages_tcase (void);

#endif
