#!/usr/bin/env python3
"""hostile.py: a foreign cdx/1 peer, written from protocol/SPEC.md alone.

It speaks to a running cdx node with nothing but pyzmq, msgpack and PyNaCl,
as a third party implementing the SPEC would (its message table, ids, names
and fields, is read from protocol/messages.def, which unit_protocol holds
to the SPEC's table), and it is *hostile*: it holds
a key the victim has added (so it passes ZAP and is authenticated as its
org), and then sends whatever it likes. The t_hostile_*.sh integration tests
drive it; each scenario checks what the victim answers and exits
non-zero when the victim does not behave as the SPEC says.

Identity: a cdx home made with `cdx init` (keys/*.key, layout in
crypto/cx.h: "CDXK" | version | type | 2 zero bytes | fingerprint (8) |
public key (32) | secret key (64 for sign, 32 otherwise)). The victim is
known by its card (protocol/SPEC.md section 9): endpoint, curve-key (pinned
as CURVE_SERVERKEY), box-key (content keys are sealed to it) and sign-key
(its receipts verify with it).

The wire, identities and sockets are in hostile_wire.py, the documents
(manifests, receipts, agreements) in hostile_docs.py, and the scenarios in
hostile_garbage.py (malformed input), hostile_scenarios.py (valid messages
with a hostile purpose), hostile_grow.py (SPEC section 16) and
hostile_race.py (a step held); this file runs them.

Usage: hostile.py SCENARIO --evil HOME --victim CARD [options]
       (hostile.py --help lists the scenarios)
Exit status: 0 the victim behaved, 1 it did not (the reason on stderr),
2 the scenario could not run.
"""
import argparse
import sys

from hostile_wire import SCENARIOS, Failure  # first: it finds a python3 with pyzmq, msgpack, PyNaCl
import hostile_garbage  # noqa: F401 (each scenario module fills SCENARIOS)
import hostile_grow  # noqa: F401
import hostile_race  # noqa: F401
import hostile_scenarios  # noqa: F401


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="scenarios: " + ", ".join(sorted(SCENARIOS)))
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--evil", required=True, help="the hostile peer's cdx home (its card is HOME.card)")
    ap.add_argument("--victim", required=True, help="the victim's card file")
    ap.add_argument("--other", help="a second hostile home the victim added (its card is HOME.card)")
    ap.add_argument("--more", action="append", help="further hostile homes (chunk-errors)")
    ap.add_argument("--topic", default="evl/t", help="a topic the victim subscribed to from EVIL")
    ap.add_argument("--other-topic", default="oth/t", help="a topic the victim subscribed to from OTHER")
    ap.add_argument("--unsubscribed", default="evl/none", help="a topic the victim did not subscribe to")
    ap.add_argument("--ended", help="a topic of EVIL's the victim unsubscribed from")
    ap.add_argument("--dataset", help="a dataset id (hex) the victim published (hijack-own)")
    ap.add_argument("--victim-topic", default="vic/t", help="a topic the victim publishes (hijack-own)")
    ap.add_argument("--pid", type=int, help="the victim's process id (flood)")
    ap.add_argument("--count", type=int, default=20000, help="flood: small garbage messages")
    ap.add_argument("--big", type=int, default=200, help="flood: maximum-size CHUNKs")
    ap.add_argument("--rss-limit-mib", type=int, default=100, help="flood: bound on the victim's RSS")
    ap.add_argument("--state", help="offer-churn: where to write the first dataset accepted; offer-again: "
                    "where to read it")
    ap.add_argument("--limit", type=int, default=32,
                    help="agreement-flood, offer-churn: how many the victim may take at most")
    ap.add_argument("--out", default="/dev/null", help="where to write delivered content")
    ap.add_argument("--fields", help="policy-offer: manifest fields to set, as JSON")
    ap.add_argument("--expect", default="accept", help="policy-offer: the rule expected, or accept")
    ap.add_argument("--case", action="append", help="policy-offer: more offers, each TOPIC|FIELDS|RULE")
    ap.add_argument("--then", help="policy-offer: a shell command to run once the transfer started")
    ap.add_argument("--then-rule", default="policy.agreement-revoked",
                    help="policy-offer: the rule the victim must stop the transfer with after --then")
    ap.add_argument("--sync", help="last-chunk, held-receipt: prefix of the files that mark each step")
    a = ap.parse_args()
    try:
        SCENARIOS[a.scenario](a)
    except Failure as e:
        sys.stderr.write("hostile %s: FAIL: %s\n" % (a.scenario, e))
        sys.exit(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
