/*  agreement: what a data sharing agreement (proto_agreement_t, encoded by
    document.c) covers: its topic patterns, its purposes, the order of data
    classes. Pure functions over the decoded document.

    Not for: encoding (document.c), signatures (crypto/), whether it is in
    force or applies to a disclosure (node/policy.c).
*/
#ifndef AGREEMENT_H_INCLUDED
#define AGREEMENT_H_INCLUDED

#include "proto.h"

/* 0 aggregate, 1 pseudonymised, 2 identifiable; -1 for anything else
   (proto_class_rank: the order of classes.def). */
int agreement_class_rank (const char *class_);

/* 1 if TOPIC matches one of the comma-separated PATTERNS: a pattern is a
   topic, or a prefix ending in '*' that matches any rest (the pattern
   apc/ followed by '*' covers apc/monthly; a lone '*' covers every topic). */
int agreement_covers_topic (const char *patterns, const char *topic);

/* 1 if PURPOSE is one of the comma-separated PURPOSES. */
int agreement_lists_purpose (const char *purposes, const char *purpose);

#endif
