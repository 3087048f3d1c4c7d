/*  decide.c: the policy asked again about a transfer under way: its
    agreement still in force, and the last decision at its end.

    Not for: the policy itself (node/policy.c).
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cert.h"
#include "home.h"
#include "run_internal.h"

/* The agreement a running delivery was allowed under, looked at again:
   0 if still in force, else the refusal in DEC. */
int decide_agreement_holds (run_t *r, const char *ref, int64_t until, policy_decision_t *dec)
{
    int64_t now = (int64_t) time (NULL);
    memset (dec, 0, sizeof *dec);
    snprintf (dec->agreement, sizeof dec->agreement, "%s", ref);
    if (now >= until) {
        snprintf (dec->rule, sizeof dec->rule, "policy.agreement-expired");
        snprintf (dec->reason, sizeof dec->reason, "agreement %s expired during the transfer", ref);
        return -1;
    }
    store_agreement_t *a = malloc (sizeof *a);
    int revoked = a && store_agreement_get (node_db (r->n), ref, a) == 0 && a->revoked;
    if (revoked) {
        snprintf (dec->rule, sizeof dec->rule, "policy.agreement-revoked");
        snprintf (dec->reason, sizeof dec->reason, "agreement %s was revoked by %s during the transfer: %s", ref,
                  a->revoked_by, a->reason);
    }
    free (a);
    return revoked ? -1 : 0;
}

/* The policy asked again at the last moment, about dataset D going from
   PROVIDER to RECIPIENT: what its stored manifest says, against the
   agreements and peers as the store holds them now. The caller holds the
   store's write transaction (BEGIN IMMEDIATE), so no revocation can land
   between this decision and the change it allows. The decision in DEC. */
void decide_again (run_t *r, policy_stage_t stage, const store_dataset_t *d, const char *provider,
                            const char *recipient, policy_decision_t *dec)
{
    proto_manifest_t man;
    if (proto_manifest_decode (d->manifest, d->manifest_len, &man) != PROTO_OK) {
        memset (dec, 0, sizeof *dec);
        snprintf (dec->rule, sizeof dec->rule, "policy.error");
        snprintf (dec->reason, sizeof dec->reason, "the stored manifest of %s does not decode", d->id);
        return;
    }
    policy_request_t q = {stage, provider, recipient, d->topic, d->class_, d->purpose,
                          man.legal_basis, man.opt_out, man.agreement, (int64_t) time (NULL)};
    policy_decide (node_db (r->n), &q, dec);
}
