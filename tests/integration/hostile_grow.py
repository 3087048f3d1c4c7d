"""hostile_grow.py: the scenarios that grow the victim's store (SPEC section 16).

Agreement proposals, unfinished transfers and subscriptions, each as
many as the transport takes, against the victim's limits: agreement-flood,
offer-churn (and offer-again, its dataset delivered after all) and
subscribe-churn.
"""
import random
import time

import msgpack
import nacl.public

from hostile_docs import Dataset, check_receipt, deliver, proposal
from hostile_wire import (ACCEPT, AGREEMENT, E_INTERNAL, E_STATE, ENAMES, ERROR, NAMES, SUBSCRIBE,
                          SUBSCRIBED, UNSUBSCRIBE, VERSION, Card, Home, Peer, check, header, say,
                          scenario)


# ---- growing the victim's store (SPEC section 16) -------------------------------
# These scenarios prove the victim serves with ping(), not roundtrip(): a
# SUBSCRIBE would be one more decision the test accounts for.

def any_reply(p, timeout, what):
    """The next message decoded, whatever its id (AGREEMENT is not in FIELDS)."""
    frames = p.recv(timeout)
    check(frames is not None, "no answer within %.0f s to %s" % (timeout, what))
    msg = msgpack.unpackb(frames[0], raw=False)
    check(isinstance(msg, list) and len(msg) >= 2 and msg[0] == VERSION, "%s: answer %r" % (what, msg))
    return msg


@scenario
def agreement_flood(a):
    """--count AGREEMENT proposals, each a new reference the victim has not
    signed, sent as fast as the transport takes them. The victim may take
    at most --limit of them; every other one must be refused with
    ERROR(INTERNAL, "agreement.limit: ..."). Prints the figures."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.ping()
    tag = "%x" % random.randrange(1 << 30)
    t0 = time.time()
    for k in range(a.count):
        p.send(proposal(me, victim, "DSA-%s-FLOOD-%s-%d" % (me.org, tag, k)))
    taken = refused = 0
    reasons = set()
    while taken + refused < a.count:
        m = any_reply(p, 30, "proposal %d of %d" % (taken + refused + 1, a.count))
        if m[1] == AGREEMENT:
            taken += 1
        else:
            check(m[1] == ERROR and m[2] == E_INTERNAL and m[3].startswith("agreement.limit: "),
                  "proposal answered %s %r (expected AGREEMENT, or ERROR INTERNAL agreement.limit)"
                  % (NAMES.get(m[1], m[1]), m[2:]))
            refused += 1
            reasons.add(m[3].split(": agreement ")[0])
    t1 = time.time()
    say("agreement-flood: %d proposals in %.2f s: %d taken, %d refused with INTERNAL %s"
        % (a.count, t1 - t0, taken, refused, sorted(reasons)[:1]))
    print("agreements_taken=%d agreements_refused=%d" % (taken, refused), flush=True)
    check(taken <= a.limit, "the victim took %d proposals from one peer (at most %d)" % (taken, a.limit))
    p.ping()
    p.close()


def churn_dataset(me, victim, topic, version, dsid=None, created=None, key=None):
    """A dataset of 2 chunks of 1000 bytes; with DSID, CREATED and KEY the
    same one again (the same manifest bytes, the same content key)."""
    ds = Dataset(me, victim, topic, bytes(2000), chunk_size=1000, version=version, dsid=dsid,
                 fields={"created": created} if created else None)
    if key:
        ds.key = key
        ds.wrapped = nacl.public.SealedBox(nacl.public.PublicKey(victim.box_pk)).encrypt(key)
    return ds


@scenario
def offer_churn(a):
    """--count cycles of OFFER (a new dataset of 2 chunks), ACCEPT, then
    CHUNK 1 out of order (ERROR STATE): each leaves a transfer the victim
    never completes. The victim may accept at most --limit of them; every
    other OFFER must be refused with ERROR(INTERNAL). Prints the figures;
    with --state, writes there what offer-again needs to offer the first
    accepted dataset again."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.ping()
    base = random.randrange(1, 1 << 40)
    accepted = refused = 0
    t0 = time.time()
    for k in range(a.count):
        ds = churn_dataset(me, victim, a.topic, base + k)
        p.send(ds.offer())
        m = p.reply(10, "OFFER %d" % k)
        if m[1] == ERROR:
            check(m[2] == E_INTERNAL and m[4] == ds.id,
                  "OFFER %d answered ERROR %s (%s)" % (k, ENAMES.get(m[2], m[2]), m[3]))
            refused += 1
            continue
        check(m[1] == ACCEPT and m[2] == ds.id and m[3] == 0, "OFFER %d answered %r" % (k, m))
        if accepted == 0 and a.state:
            with open(a.state, "w") as f:
                f.write("%s %d %d %s\n" % (ds.id.hex(), ds.fields["version"], ds.fields["created"],
                                           ds.key.hex()))
        accepted += 1
        p.send(*ds.chunk(1))
        p.expect_error(E_STATE, "CHUNK 1 before CHUNK 0", dataset=ds.id)
    say("offer-churn: %d cycles in %.2f s: %d accepted, %d refused with INTERNAL"
        % (a.count, time.time() - t0, accepted, refused))
    print("offers_accepted=%d offers_refused=%d" % (accepted, refused), flush=True)
    check(accepted <= a.limit, "the victim accepted %d unfinished transfers (at most %d)" % (accepted, a.limit))
    p.ping()
    p.close()


@scenario
def offer_again(a):
    """The dataset offer-churn wrote to --state, offered again with the same
    manifest and delivered: the victim must take it from chunk 0 (whatever
    it did with what it held) and answer with a valid RECEIPT."""
    me, victim = Home(a.evil), Card(a.victim)
    with open(a.state) as f:
        dsid, version, created, key = f.read().split()
    ds = churn_dataset(me, victim, a.topic, int(version), bytes.fromhex(dsid), int(created), bytes.fromhex(key))
    p = Peer(me, victim)
    p.ping()
    check_receipt(deliver(p, ds, "the same dataset offered again"), victim, ds, "offered again")
    say("offer-again: dataset %s delivered again from chunk 0" % dsid)
    p.close()


@scenario
def subscribe_churn(a):
    """--count cycles of SUBSCRIBE and UNSUBSCRIBE to one of the victim's
    topics (--victim-topic), each answered SUBSCRIBED: every one is an
    allowed decision the victim records, within a rate. Prints the figure."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.ping()
    t0 = time.time()
    for k in range(a.count):
        p.send(header(SUBSCRIBE, a.victim_topic, 0))
        m = p.expect(SUBSCRIBED, "SUBSCRIBE %d" % k)
        check(m[2] == a.victim_topic and m[3] == "active", "SUBSCRIBE %d answered %r" % (k, m))
        p.send(header(UNSUBSCRIBE, a.victim_topic))
        m = p.expect(SUBSCRIBED, "UNSUBSCRIBE %d" % k)
        check(m[2] == a.victim_topic and m[3] == "ended", "UNSUBSCRIBE %d answered %r" % (k, m))
    say("subscribe-churn: %d cycles of SUBSCRIBE and UNSUBSCRIBE in %.2f s" % (a.count, time.time() - t0))
    print("subscribe_cycles=%d" % a.count, flush=True)
    p.close()
