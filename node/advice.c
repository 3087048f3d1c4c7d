/*  advice.c: what a person can do about a refusal this node was told of.

    A publisher that refuses a subscription says why in its ERROR ("RULE:
    words", protocol/SPEC.md 11.4); the subscriber keeps the rule and the
    words (store_sub_t) and shows them with the command that fixes it, so
    that a refused subscription never looks pending. The rules are the
    policy's (node/policy.c, docs/IG-RULES.md).

    Not for: deciding anything (policy.c), or printing (tools/).
*/
#include <stdio.h>
#include <string.h>

#include "core.h"

const char *node_sub_fix (const node_t *n, const store_sub_t *sub, char *buf, size_t cap)
{
    if (sub->state != STORE_SUB_REFUSED)
        return NULL;
    const char *rule = sub->rule, *pub = sub->publisher, *self = node_self (n)->org;
    static const char *const need_agreement[] = {"policy.no-agreement", "policy.topic",
                                                 "policy.agreement-revoked", "policy.agreement-expired"};
    for (size_t i = 0; i < sizeof need_agreement / sizeof need_agreement[0]; i++)
        if (strcmp (rule, need_agreement[i]) == 0) {
            snprintf (buf, cap,
                      "cdx agreement propose --ref REF --provider %s --recipient %s --topics %s "
                      "--class CLASS --purposes LIST --provider-ig TEXT --recipient-ig TEXT --art6 TEXT "
                      "--art9 TEXT --opt-out required|not-required --end DATE (then %s signs it)",
                      pub, self, sub->topic, pub);
            return buf;
        }
    if (strcmp (rule, "policy.agreement-unsigned") == 0)
        snprintf (buf, cap, "%s signs the agreement: cdx agreement sign REF on its node (cdx agreement list "
                  "shows REF here)", pub);
    else if (strcmp (rule, "policy.agreement-not-started") == 0)
        snprintf (buf, cap, "nothing: the agreement is not in force yet; the subscription is asked for again");
    else if (strcmp (rule, "policy.peer-revoked") == 0 || strcmp (rule, "policy.peer-expired") == 0)
        snprintf (buf, cap, "%s does not trust this node's certificate: renew it with the authority "
                  "(cdx authority certify), then cdx directory import at %s", pub, pub);
    else if (strcmp (rule, "policy.peer-unknown") == 0)
        snprintf (buf, cap, "%s has not added this node: cdx peer add CARD on its node (cdx card here)", pub);
    else
        snprintf (buf, cap, "ask %s's information governance lead about %s", pub, rule[0] ? rule : "the refusal");
    return buf;
}
