"""hostile_race.py: the scenarios that hold the last step of a transfer.

A step held while the other end changes its mind: the test driving the
race says when to go on through files (SYNC.ready, SYNC.go, SYNC.sent).
last-chunk holds a delivery's last chunk; held-receipt holds the RECEIPT
for a delivery from the victim.
"""
import os
import random
import time

import msgpack
import nacl.bindings
import nacl.public
import nacl.signing

from hostile_docs import Dataset, check_receipt
from hostile_wire import (ACCEPT, CHUNK, CREDIT, E_DENIED, ERROR, NAMES, OFFER, RECEIPT, SUBSCRIBE,
                          SUBSCRIBED, WINDOW, Card, Home, Peer, blake2b256, check, header, le64,
                          listen, packb, say, scenario)


# ---- the last moment: a step held while the other end changes its mind -------

def _step(prefix, name):
    """Marks a step with file PREFIX.NAME, for the test driving the race."""
    with open("%s.%s" % (prefix, name), "w"):
        pass


def _await(prefix, name, timeout=60.0):
    """Waits for the test to create PREFIX.NAME."""
    deadline = time.time() + timeout
    while not os.path.exists("%s.%s" % (prefix, name)):
        check(time.time() < deadline, "the test did not say %s within %.0f s" % (name, timeout))
        time.sleep(0.01)


@scenario
def last_chunk(a):
    """A delivery held before its last chunk: OFFER on --topic, every chunk
    but the last within the credit granted, then file SYNC.ready; once the
    test creates SYNC.go, the last chunk and file SYNC.sent. With --expect
    accept the victim must answer RECEIPT; with --expect RULE it must answer
    ERROR(DENIED, "RULE: ...") and no RECEIPT (its policy decided again when
    the last chunk was in). --sync is the SYNC prefix."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    ds = Dataset(me, victim, a.topic, os.urandom(20 * 1000 + 7), chunk_size=1000,
                 version=random.randrange(1, 1 << 30))
    p.send(ds.offer())
    msg = p.expect(ACCEPT, "OFFER within the agreement", timeout=10)
    nxt, credit = msg[3], msg[4]
    while nxt < ds.chunks - 1:
        while credit > 0 and nxt < ds.chunks - 1:
            p.send(*ds.chunk(nxt))
            nxt, credit = nxt + 1, credit - 1
        if nxt < ds.chunks - 1:
            credit += p.expect(CREDIT, "credit for chunk %d" % nxt, timeout=10)[3]
    _step(a.sync, "ready")
    _await(a.sync, "go")
    p.send(*ds.chunk(nxt))
    _step(a.sync, "sent")
    say("last-chunk: chunk %d of %d sent" % (nxt, ds.chunks))
    while True:
        m = p.reply(60, "the last chunk")
        if m[1] != CREDIT:
            break
    if a.expect == "accept":
        check_receipt(m, victim, ds, "the last chunk")
        say("last-chunk: RECEIPT")
    else:
        check(m[1] != RECEIPT, "the victim sent a RECEIPT for %s although its policy refuses it now (%s)"
              % (ds.id.hex(), a.expect))
        check(m[1] == ERROR and m[2] == E_DENIED and m[4] == ds.id and m[3].startswith(a.expect + ":"),
              "the last chunk answered %s %r, expected ERROR DENIED %s" % (NAMES.get(m[1]), m[2:], a.expect))
        say("last-chunk: refused at the end: %s" % m[3])
    print("dataset=%s" % ds.id.hex(), flush=True)
    p.close()


@scenario
def held_receipt(a):
    """EVIL subscribes to the victim's --victim-topic and takes the delivery
    the victim offers to EVIL's ROUTER: ACCEPT, every chunk (checked and
    credited), then file SYNC.ready; once the test creates SYNC.go, the
    signed RECEIPT and file SYNC.sent. Prints 'dataset=ID'."""
    me, victim = Home(a.evil), Card(a.victim)
    r = listen(me)
    p = Peer(me, victim)
    p.send(header(SUBSCRIBE, a.victim_topic, 0))
    p.expect(SUBSCRIBED, "SUBSCRIBE to the victim's " + a.victim_topic, timeout=20)
    deadline = time.time() + 30
    while True:
        check(time.time() < deadline, "the victim sent no OFFER for %s" % a.victim_topic)
        if r.poll(500) == 0:
            continue
        fr = r.recv_multipart()
        m = msgpack.unpackb(fr[1], raw=False)
        if m[1] == OFFER:
            break
    routing, dsid = fr[0], m[2]
    nacl.signing.VerifyKey(victim.sign_pk).verify(m[3], m[4])
    man = msgpack.unpackb(m[3], raw=False)
    key = nacl.public.SealedBox(nacl.public.PrivateKey(me.box_sk)).decrypt(m[5])
    print("dataset=%s" % dsid.hex(), flush=True)
    r.send_multipart([routing, header(ACCEPT, dsid, 0, WINDOW)])
    content = b""
    while len(content) < man["bytes"] or man["chunks"] == 0:
        check(r.poll(15000) != 0, "no chunk from the victim after %d bytes" % len(content))
        fr = r.recv_multipart()
        m = msgpack.unpackb(fr[1], raw=False)
        if m[1] != CHUNK:
            continue
        i = m[3]
        content += nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            fr[2], dsid + le64(i), le64(i) + bytes(16), key)
        r.send_multipart([routing, header(CREDIT, dsid, 1)])
        if man["chunks"] == 0:
            break
    check(blake2b256(content) == man["hash"], "the content does not match the signed hash")
    _step(a.sync, "ready")
    _await(a.sync, "go")
    doc = packb({"format": 1, "dataset": dsid, "hash": man["hash"], "recipient": me.org,
                 "recipient_key": me.sign_pk, "received": int(time.time())})
    r.send_multipart([routing, header(RECEIPT, dsid, doc, me.sign(doc))])
    _step(a.sync, "sent")
    say("held-receipt: RECEIPT for %s (%d bytes) sent" % (dsid.hex(), len(content)))
    time.sleep(0.5)                # let it leave before the sockets close
    r.close(0)
    p.close()
