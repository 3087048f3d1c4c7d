"""hostile_scenarios.py: the scenarios of a peer that sends valid messages.

Valid messages with a hostile purpose: OFFERs the SPEC says to refuse
(offer-refusals, policy-offer), the happy path (deliver-ok), corrupt and
mis-hashed chunks (chunk-errors), messages at the wrong time
(wrong-state), manifests at the edges of the bounds (big-numbers),
another peer's dataset ids (hijack-*), and every transfer slot (slots).
"""
import os
import random
import time

import msgpack
import nacl.bindings
import nacl.public
import nacl.signing

from hostile_docs import Dataset, check_receipt, deliver
from hostile_wire import (ACCEPT, CHUNK, CHUNK_MAX, CREDIT, E_CHUNK, E_DENIED, E_HASH, E_MALFORMED,
                          E_SIGNATURE, E_STATE, E_UNKNOWN_DATASET, ENAMES, ERROR, NAMES, OFFER,
                          PAYLOAD_MAX, RECEIPT, SUBSCRIBE, SUBSCRIBED, WINDOW, Card, Failure, Home,
                          Peer, blake2b256, check, header, le64, listen, packb, say, scenario)


@scenario
def offer_refusals(a):
    """Each check on OFFER (SPEC 11.2), in the SPEC's order, from a real
    socket: MALFORMED manifests, DENIED, SIGNATURE. Nothing is stored."""
    me, victim = Home(a.evil), Card(a.victim)
    other = Home(a.other) if a.other else None
    p = Peer(me, victim)
    p.roundtrip()
    T, U = a.topic, a.unsubscribed
    content = b"x" * 3000

    def refuse(code, desc, ds=None, topic=T, offer=None, **fields):
        ds = ds or Dataset(me, victim, topic, content, fields=fields)
        p.send(ds.offer(**(offer or {})))
        reason = p.expect_error(code, desc, dataset=(offer or {}).get("dataset", ds.id))
        say("  %-58s -> %s (%s)" % (desc, ENAMES[code], reason))

    # 1. The manifest decodes (section 7) -> else MALFORMED.
    for desc, fields in [
        ("manifest format 2", {"format": 2}),
        ("manifest format 0", {"format": 0}),
        ("manifest chunks inconsistent with bytes", {"chunks": 7}),
        ("manifest chunk_size 0", {"chunk_size": 0, "chunks": 0}),
        ("manifest chunk_size 2^20+1", {"chunk_size": CHUNK_MAX + 1}),
        ("manifest class 'secret'", {"class": "secret"}),
        ("manifest purpose 'Commissioning'", {"purpose": "Commissioning"}),
        ("manifest purpose empty", {"purpose": ""}),
        ("manifest filename with '/'", {"filename": "../../etc/passwd"}),
        ("manifest filename '..'", {"filename": ".."}),
        ("manifest filename with a bidi override", {"filename": "x\u202ecsv.exe"}),
        ("manifest topic '/etc'", {"topic": "/etc"}),
        ("manifest topic 129 bytes", {"topic": "t" * 129}),
        ("manifest version 0", {"version": 0}),
        ("manifest publisher 'evl' (lower case)", {"publisher": me.org.lower()}),
        ("manifest hash of 31 bytes", {"hash": bytes(31)}),
        ("manifest dataset of 15 bytes", {"dataset": bytes(15)}),
        ("manifest created as str", {"created": "2026-11-25"}),
        ("manifest bytes negative", {"bytes": -1}),
        ("manifest with a 14th key", {"extra": 1}),
        ("manifest with a bin key", {b"format": 1}),
    ]:
        ds = Dataset(me, victim, fields.get("topic", T), content, fields=fields)
        refuse(E_MALFORMED, desc, ds=ds)
    ds = Dataset(me, victim, T, content)
    m = dict(ds.fields)
    del m["created"]
    refuse(E_MALFORMED, "manifest with a key missing", ds=ds, offer={"doc": packb(m)})
    doc = bytearray(ds.manifest)
    doc[0] = 0x8e
    refuse(E_MALFORMED, "manifest with a key repeated", ds=ds,
           offer={"doc": bytes(doc) + packb("format") + packb(1)})
    refuse(E_MALFORMED, "manifest not a map", ds=ds, offer={"doc": packb([1, 2, 3])})
    refuse(E_MALFORMED, "manifest not msgpack", ds=ds, offer={"doc": b"\xc1" * 100})
    refuse(E_MALFORMED, "manifest with trailing bytes", ds=ds, offer={"doc": ds.manifest + b"\x00"})
    refuse(E_MALFORMED, "manifest truncated", ds=ds, offer={"doc": ds.manifest[:-1]})
    refuse(E_MALFORMED, "manifest of 4096 bytes", ds=ds, offer={"doc": ds.manifest + bytes(4096 - len(ds.manifest))})
    # A reordered manifest is valid (decoders accept any key order), so it
    # must get past step 1: signed by a stranger it fails at step 4.
    m = dict(reversed(list(ds.fields.items())))
    doc = packb(m)
    refuse(E_SIGNATURE, "manifest keys reordered, bad signature", ds=ds,
           offer={"doc": doc, "sig": bytes(64)})
    # 2. The manifest's dataset equals OFFER's -> else MALFORMED.
    ds = Dataset(me, victim, T, content)
    refuse(E_MALFORMED, "manifest names another dataset", ds=ds, offer={"dataset": os.urandom(16)})
    # 3. The manifest's publisher is the authenticated org -> else DENIED
    #    (before the signature: the manifest is also unsigned here).
    refuse(E_DENIED, "manifest says publisher 0DF (not the sender)", ds=Dataset(
        me, victim, T, content, fields={"publisher": "0DF"}))
    if other:
        ds = Dataset(other, victim, T, content)     # a real peer's manifest, signed by it
        refuse(E_DENIED, "%s's validly signed manifest, sent by %s" % (other.org, me.org), ds=ds)
    ds = Dataset(me, victim, T, content, fields={"publisher": "0DF"})
    refuse(E_DENIED, "publisher mismatch and a bad signature", ds=ds, offer={"sig": bytes(64)})
    # 4. sig verifies with the sender's sign-key -> else SIGNATURE.
    ds = Dataset(me, victim, T, content)
    bad = bytearray(ds.sig)
    bad[10] ^= 1
    refuse(E_SIGNATURE, "signature with one bit flipped", ds=ds, offer={"sig": bytes(bad)})
    refuse(E_SIGNATURE, "signature of zeros", ds=ds, offer={"sig": bytes(64)})
    ds2 = Dataset(me, victim, T, content)
    refuse(E_SIGNATURE, "signature of another manifest", ds=ds, offer={"sig": ds2.sig})
    if other:
        refuse(E_SIGNATURE, "manifest signed with %s's key" % other.org, ds=ds,
               offer={"sig": other.sign(ds.manifest)})
    doc = bytearray(ds.manifest)
    i = doc.index(b"commissioning")
    doc[i] = ord("k")
    refuse(E_SIGNATURE, "manifest altered after signing", ds=ds, offer={"doc": bytes(doc)})
    ds = Dataset(me, victim, U, content)
    refuse(E_SIGNATURE, "unsubscribed topic and a bad signature", ds=ds, offer={"sig": bytes(64)})
    # 5. A subscription to that publisher and topic -> else DENIED.
    refuse(E_DENIED, "properly signed OFFER for an unsubscribed topic", topic=U)
    refuse(E_DENIED, "properly signed OFFER for topic 'evl/t2'", topic=T + "2")
    if a.ended:
        refuse(E_DENIED, "properly signed OFFER for an ended subscription", topic=a.ended)
    # 7. wrapped opens with the victim's box key -> else DENIED.
    ds = Dataset(me, victim, T, content)
    refuse(E_DENIED, "content key sealed to another key", ds=ds,
           offer={"wrapped": nacl.public.SealedBox(nacl.public.PrivateKey.generate().public_key).encrypt(ds.key)})
    refuse(E_DENIED, "wrapped key of random bytes", ds=ds, offer={"wrapped": os.urandom(80)})
    p.roundtrip()
    p.close()


@scenario
def policy_offer(a):
    """One OFFER on --topic with the manifest fields of --fields (JSON), then
    one for each --case TOPIC|FIELDS|RULE, on one connection:
    with --expect RULE it must be refused with ERROR(DENIED) whose reason
    starts with "RULE:" (the receiver's policy, docs/IG-RULES.md); with
    --expect accept it must be accepted, and then, with --then CMD, CMD is
    run (e.g. revoking the agreement) and the victim must stop the transfer
    itself with ERROR(DENIED, "--then-rule: ...")."""
    import json
    import subprocess
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    # no round trip: a revoked peer is refused a SUBSCRIBE too; the OFFER waits for the connection
    cases = [(a.topic, a.fields, a.expect)] + [tuple(c.split("|", 2)) for c in a.case or []]
    for topic, fields, expect in cases:
        ds = Dataset(me, victim, topic, os.urandom(30 * 1000), chunk_size=1000,
                     version=random.randrange(1, 1 << 30), fields=json.loads(fields or "{}"))
        p.send(ds.offer())
        if expect == "accept":
            break
        reason = p.expect_error(E_DENIED, "OFFER breaking " + expect, dataset=ds.id, timeout=10)
        check(reason.startswith(expect + ":"), "refused for another reason: %r" % reason)
        say("policy-offer: %s -> DENIED (%s)" % (topic, reason))
    if expect != "accept":
        p.close()
        return
    p.expect(ACCEPT, "OFFER within the agreement", timeout=10)
    say("policy-offer: %s -> ACCEPT" % a.topic)
    if a.then:
        p.send(*ds.chunk(0))
        check(subprocess.run(a.then, shell=True).returncode == 0, "--then command failed")
        deadline = time.time() + 10
        while True:
            left = deadline - time.time()
            check(left > 0, "the victim did not stop the transfer")
            m = p.reply(left, "the transfer after " + a.then)
            if m[1] == ERROR:
                check(m[2] == E_DENIED and m[3].startswith(a.then_rule + ":"),
                      "stopped with %s %r, expected DENIED %s" % (ENAMES.get(m[2]), m[3], a.then_rule))
                say("policy-offer: transfer stopped: %s" % m[3])
                break
    p.close()


@scenario
def deliver_ok(a):
    """The happy path, by a third party: a valid dataset from EVIL becomes
    available; EVIL gets a RECEIPT that verifies with the victim's
    sign-key; a second OFFER gets the RECEIPT again. Writes the content to
    --out and prints 'dataset=ID' for each."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.roundtrip()
    rng = random.Random(7)
    # Two chunks of cdx/1's 1 MiB (the last one short), then 25 small ones
    # that make the victim return credit as it goes.
    big = Dataset(me, victim, a.topic, rng.randbytes(CHUNK_MAX + 4321), version=1)
    small = Dataset(me, victim, a.topic, rng.randbytes(25 * 1000 + 17), chunk_size=1000, version=2)
    empty = Dataset(me, victim, a.topic, b"", version=3)
    for ds, name in ((big, "big"), (small, "small"), (empty, "empty")):
        r = check_receipt(deliver(p, ds, name), victim, ds, name)
        say("deliver: %s dataset %s (%d bytes, %d chunks): RECEIPT verified, received %d"
            % (name, ds.id.hex(), len(ds.content), ds.chunks, r["received"]))
        # Idempotent: the same OFFER again is answered with a RECEIPT.
        p.send(ds.offer())
        check_receipt(p.expect(RECEIPT, name + ": second OFFER"), victim, ds, name + " again")
        with open("%s.%s" % (a.out, name), "wb") as f:
            f.write(ds.content)
        print("dataset=%s %s" % (name, ds.id.hex()))
    p.close()


@scenario
def chunk_errors(a):
    """CHUNK (a chunk that fails authentication, 11 ways), recovery after
    it, HASH (chunks that authenticate, a wrong signed hash). The node cuts
    off a peer after a few corrupt chunks (run.c: 5 an hour), so the bad
    chunks are spread over EVIL and the --more identities, 3 each; then
    EVIL is driven to its cut-off, and the others must still be served.
    Prints 'dataset=NAME ID'."""
    victim = Card(a.victim)
    homes = [Home(h) for h in [a.evil] + (a.more or [])]
    check(len(homes) >= 4, "chunk-errors needs three --more identities")
    peers = [Peer(h, victim) for h in homes]
    for q in peers:
        q.roundtrip()
    rng = random.Random(11)
    content = rng.randbytes(5000)
    PER = 3
    used = [0]

    def who():
        k = used[0] // PER
        used[0] += 1
        return k, homes[k], peers[k]

    def accept(p, ds, what, first=0):
        p.send(ds.offer())
        m = p.expect(ACCEPT, what)
        check(m[2] == ds.id and m[3] == first and m[4] == WINDOW, "%s: ACCEPT %r" % (what, m[2:]))

    def aead(ds, plain, dsid, i_ad, i_nonce, key):
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
            plain, dsid + le64(i_ad), le64(i_nonce) + bytes(16), key)

    def flip(b, at):
        b = bytearray(b)
        b[at] ^= 0x80
        return bytes(b)

    variants = [
        ("ciphertext bit flipped", lambda ds: flip(ds.sealed(0), 3)),
        ("tag bit flipped", lambda ds: flip(ds.sealed(0), -1)),
        ("chunk 1's sealed bytes as chunk 0", lambda ds: ds.sealed(1)),
        ("sealed under another key", lambda ds: aead(ds, ds.plain(0), ds.id, 0, 0, os.urandom(32))),
        ("sealed for another dataset id (AD)", lambda ds: aead(ds, ds.plain(0), os.urandom(16), 0, 0, ds.key)),
        ("AD index 1 for chunk 0", lambda ds: aead(ds, ds.plain(0), ds.id, 1, 0, ds.key)),
        ("sealed with another nonce", lambda ds: aead(ds, ds.plain(0), ds.id, 0, 1, ds.key)),
        ("one byte short", lambda ds: ds.sealed(0)[:-1]),
        ("one byte long", lambda ds: ds.sealed(0) + b"\x00"),
        ("empty payload", lambda ds: b""),
        ("a maximum-size payload", lambda ds: bytes(PAYLOAD_MAX)),
    ]
    for n, (desc, make) in enumerate(variants):
        k, me, p = who()
        ds = Dataset(me, victim, a.topic, content, chunk_size=1000, version=10 + n)
        accept(p, ds, "OFFER before: " + desc)
        p.send(*ds.chunk(0, make(ds)))
        reason = p.expect_error(E_CHUNK, desc, dataset=ds.id)
        say("  %s CHUNK 0 %-36s -> CHUNK (%s)" % (me.org, desc, reason))
    # SPEC 11.2: "falls back to its last durable chunk". Whether a good
    # chunk 0 is then taken without a new OFFER (12.2 says the state stays
    # RECEIVING) or refused with STATE (the transfer was dropped; the
    # publisher re-offers anyway) is left open here; either is safe.
    p.send(*ds.chunk(0))
    m = p.recv(0.5)
    if m is None:
        say("chunk: after ERROR(CHUNK) a good chunk 0 is taken without a new OFFER")
    else:
        m = msgpack.unpackb(m[0], raw=False)
        check(m[1] == ERROR and m[2] == E_STATE and m[4] == ds.id,
              "good chunk 0 after ERROR(CHUNK) answered %r" % m)
        say("chunk: after ERROR(CHUNK) the transfer is dropped: a good chunk 0 gets STATE (%s)" % m[3])
    # A failure in the middle of a transfer, then a new OFFER completes it
    # and the content is right.
    k, me, p = who()
    ds = Dataset(me, victim, a.topic, content, chunk_size=1000, version=30)
    accept(p, ds, "OFFER")
    p.send(*ds.chunk(0))
    p.send(*ds.chunk(1))
    p.send(*ds.chunk(2, ds.sealed(3)))
    p.expect_error(E_CHUNK, "chunk 3's bytes as chunk 2", dataset=ds.id)
    check_receipt(deliver(p, ds, "delivery after a mid-transfer refusal"), victim, ds, "recovered delivery")
    say("chunk: after ERROR(CHUNK) mid-transfer, a new OFFER restarts and completes")
    print("dataset=recovered %s" % ds.id.hex())
    with open(a.out + ".recovered", "wb") as f:
        f.write(ds.content)

    # HASH: every chunk authenticates, but the signed hash is of other bytes.
    me, p = homes[1], peers[1]
    ds = Dataset(me, victim, a.topic, rng.randbytes(2500), chunk_size=1000, version=40,
                 fields={"hash": blake2b256(b"something else")})
    accept(p, ds, "OFFER with a wrong hash")
    for i in range(ds.chunks - 1):
        p.send(*ds.chunk(i))
    p.expect_silence("chunks before the last", 0.3)
    p.send(*ds.chunk(ds.chunks - 1))
    reason = p.expect_error(E_HASH, "last chunk of a dataset whose hash is wrong", dataset=ds.id)
    say("hash: chunks authentic, signed hash wrong -> HASH (%s)" % reason)
    print("dataset=hash %s" % ds.id.hex())
    # HASH with no chunks at all: an empty dataset whose hash is not BLAKE2b("").
    ds = Dataset(me, victim, a.topic, b"", version=41, fields={"hash": bytes(32)})
    p.send(ds.offer())
    p.expect_error(E_HASH, "empty dataset with a wrong hash", dataset=ds.id)
    print("dataset=hash-empty %s" % ds.id.hex())

    # Cut-off (not in the SPEC): EVIL keeps sending corrupt chunks.
    me, p = homes[0], peers[0]
    cut = None
    for n in range(64):
        ds = Dataset(me, victim, a.topic, content, chunk_size=1000, version=100 + n)
        p.send(ds.offer())
        m = p.reply(5, "EVIL's OFFER after %d more corrupt chunks" % n)
        if m[1] == ERROR:
            check(m[2] == E_DENIED and m[4] == ds.id, "EVIL's OFFER answered %r" % m)
            cut = n
            say("cut-off: after %d corrupt chunks EVIL's OFFERs are refused: DENIED (%s)" % (PER + n, m[3]))
            break
        check(m[1] == ACCEPT, "EVIL's OFFER answered %r" % m)
        p.send(*ds.chunk(0, flip(ds.sealed(0), 0)))
        p.expect_error(E_CHUNK, "corrupt chunk", dataset=ds.id)
    if cut is None:
        say("cut-off: none after %d corrupt chunks from EVIL" % (PER + 64))
    print("cutoff_after=%s" % (PER + cut if cut is not None else "none"))
    # The others are not affected.
    me, p = homes[1], peers[1]
    ds = Dataset(me, victim, a.topic, content, chunk_size=1000, version=50)
    check_receipt(deliver(p, ds, "%s's delivery after EVIL's cut-off" % me.org), victim, ds, "after cut-off")
    for q in peers:
        q.roundtrip()
        q.close()


@scenario
def wrong_state(a):
    """Valid messages at the wrong time (SPEC section 3, 11.2, 12.2)."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.roundtrip()
    rng = random.Random(13)
    did = os.urandom(16)
    # Messages a ROUTER never accepts.
    for desc, h in [
        ("SUBSCRIBED to the ROUTER", header(SUBSCRIBED, a.topic, "active")),
        ("ACCEPT to the ROUTER", header(ACCEPT, did, 0, 8)),
        ("CREDIT to the ROUTER", header(CREDIT, did, 64)),
        ("RECEIPT to the ROUTER", header(RECEIPT, did, b"\x80", bytes(64))),
    ]:
        p.send(h)
        reason = p.expect_error(E_STATE, desc)
        say("  %-40s -> STATE (%s)" % (desc, reason))
    # CHUNK with no transfer (STATE, or UNKNOWN_DATASET when the dataset is
    # unknown; SPEC 11.2 allows either).
    for desc, fr in [
        ("CHUNK for an unknown dataset", [header(CHUNK, did, 0), b"x" * 100]),
        ("CHUNK index 2^64-1, unknown dataset", [header(CHUNK, did, (1 << 64) - 1), b"x" * 17]),
    ]:
        p.send(*fr)
        m = p.reply(5, desc)
        check(m[1] == ERROR and m[2] in (E_STATE, E_UNKNOWN_DATASET) and m[4] == did,
              "%s: expected ERROR STATE or UNKNOWN_DATASET for that dataset, got %r" % (desc, m))
        say("  %-40s -> %s (%s)" % (desc, ENAMES[m[2]], m[3]))
    # In a transfer: an index ahead of the one expected drops the transfer.
    ds = Dataset(me, victim, a.topic, rng.randbytes(12000), chunk_size=1000, version=30)
    p.send(ds.offer())
    p.expect(ACCEPT, "OFFER")
    p.send(*ds.chunk(0))
    p.send(*ds.chunk(2))
    reason = p.expect_error(E_STATE, "CHUNK 2 when 1 is expected", dataset=ds.id)
    say("  %-40s -> STATE (%s)" % ("CHUNK 2 when 1 is expected", reason))
    p.send(*ds.chunk(1))
    p.expect_error(E_STATE, "CHUNK 1 after the transfer was dropped", dataset=ds.id)
    # A duplicate (index below the next) is discarded with CREDIT(1).
    p.send(ds.offer())
    m = p.expect(ACCEPT, "OFFER again")
    check(m[3] == 0, "ACCEPT next %d, nothing was durable" % m[3])
    p.send(*ds.chunk(0))
    p.send(*ds.chunk(0))
    m = p.expect(CREDIT, "duplicate CHUNK 0")
    check(m[2] == ds.id and m[3] == 1, "duplicate answered CREDIT %r" % m[2:])
    # Far ahead.
    p.send(*ds.chunk(1 << 40, b"x" * 1016))
    p.expect_error(E_STATE, "CHUNK index 2^40", dataset=ds.id)
    # Past the end of the dataset.
    p.send(ds.offer())
    p.expect(ACCEPT, "OFFER, third")
    p.send(*ds.chunk(ds.chunks + 5, b"x" * 1016))
    p.expect_error(E_STATE, "CHUNK past the last", dataset=ds.id)
    # Another peer cannot feed a transfer that belongs to EVIL.
    if a.other:
        q = Peer(Home(a.other), victim)
        q.roundtrip()
        p.send(ds.offer())
        p.expect(ACCEPT, "OFFER, fourth")
        q.send(*ds.chunk(0))
        q.expect_error(E_STATE, "CHUNK of EVIL's transfer sent by another peer", dataset=ds.id)
        p.send(*ds.chunk(0))        # EVIL's transfer is untouched
        p.expect_silence("EVIL's chunk 0 after the other peer's attempt", 0.3)
        q.close()
        say("  another peer's CHUNK for EVIL's transfer -> STATE; the transfer is untouched")
    p.roundtrip()
    p.close()


@scenario
def big_numbers(a):
    """Manifests at the edges of the SPEC's bounds (section 7 allows any
    uint for bytes, chunks and version): the node must answer each and stay
    up; prints what it answered."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.roundtrip()
    cases = [
        ("bytes 2^64-1, chunk_size 1", 100, dict(bytes=(1 << 64) - 1, chunk_size=1, chunks=(1 << 64) - 1)),
        ("bytes 2^63, chunk_size 2^20", 101, dict(bytes=1 << 63, chunks=(1 << 63) >> 20)),
        ("bytes 2^63-1, chunk_size 1", 102, dict(bytes=(1 << 63) - 1, chunk_size=1, chunks=(1 << 63) - 1)),
        ("version 2^64-1", (1 << 64) - 1, {}),
        ("version 2^63", 1 << 63, {}),
        ("created -2^63, empty", 103, dict(created=-(1 << 63))),
        ("bytes 2^40 (1 TiB), 2^20 chunks", 104, dict(bytes=1 << 40, chunks=1 << 20)),
    ]
    for desc, version, fields in cases:
        ds = Dataset(me, victim, a.topic, b"", version=version, fields=fields)
        p.send(ds.offer())
        m = p.reply(5, desc)
        what = NAMES[m[1]] if m[1] != ERROR else "ERROR %s (%s)" % (ENAMES.get(m[2]), m[3])
        print("answer %s: %s" % (desc, what), flush=True)
        check((m[1] in (ACCEPT, RECEIPT) and m[2] == ds.id) or (m[1] == ERROR and m[4] == ds.id),
              "%s: answered %r" % (desc, m))
        if m[1] == ACCEPT:       # drop the transfer (an index ahead; not a corrupt chunk)
            p.send(*ds.chunk(7, b"\x00" * 33))
            p.expect_error(E_STATE, desc + ": chunk 7 first", dataset=ds.id)
    p.roundtrip()
    p.close()


def _hijack_setup(a):
    me, victim, honest = Home(a.evil), Card(a.victim), Home(a.other)
    p, h = Peer(me, victim), Peer(honest, victim)
    p.roundtrip()
    h.roundtrip()
    real = Dataset(honest, victim, a.other_topic, random.Random(17).randbytes(3000), chunk_size=1000,
                   version=random.randrange(1, 1 << 30))
    print("dataset=%s" % real.id.hex(), flush=True)
    with open(a.out, "wb") as f:
        f.write(real.content)
    return me, victim, honest, p, h, real


@scenario
def hijack_receiving(a):
    """OTHER (a second added peer, an honest publisher) is sending dataset
    X to the victim; EVIL OFFERs its own content under the same id X. The
    victim must refuse that OFFER (X belongs to OTHER) and OTHER's transfer
    must go on. Prints 'dataset=ID'."""
    me, victim, honest, p, h, real = _hijack_setup(a)
    h.send(real.offer())
    h.expect(ACCEPT, "honest OFFER")
    h.send(*real.chunk(0))
    h.expect_silence("honest chunk 0", 0.3)
    fake = Dataset(me, victim, a.topic, b"EVIL" * 10, chunk_size=1000, dsid=real.id)
    p.send(fake.offer())
    m = p.reply(5, "EVIL's OFFER of dataset id X, which OTHER is sending")
    if m[1] == ACCEPT:
        p.send(*fake.chunk(0))
        r = p.reply(5, "EVIL's chunk for X")
        h.send(*real.chunk(1))
        r2 = h.reply(5, "honest chunk 1 after EVIL's")
        h.send(real.offer())
        r3 = h.reply(5, "honest re-OFFER")
        facts = ["EVIL's OFFER reusing the id of %s's dataset in transfer was answered ACCEPT" % honest.org,
                 "EVIL's one chunk (its own content, its own key) was answered %s" % NAMES[r[1]],
                 "%s's next chunk was answered %s" % (honest.org, NAMES[r2[1]] if r2[1] != ERROR
                                                      else "ERROR " + ENAMES.get(r2[2], "?")),
                 "%s's re-OFFER was answered %s" % (honest.org, NAMES[r3[1]])]
        if r3[1] == RECEIPT and msgpack.unpackb(r3[3], raw=False)["hash"] == blake2b256(real.content):
            facts.append("a signed receipt for %s's content hash, which the victim never received"
                         % honest.org)
        raise Failure("; ".join(facts))
    check(m[1] == ERROR and m[4] == real.id, "EVIL's OFFER answered %r" % m)
    say("hijack: EVIL's OFFER for X refused with %s (%s)" % (ENAMES.get(m[2]), m[3]))
    h.send(*real.chunk(1))
    h.send(*real.chunk(2))
    check_receipt(h.expect(RECEIPT, "honest transfer after EVIL's attempt"), victim, real, "honest")
    p.close()
    h.close()


@scenario
def hijack_available(a):
    """The victim holds OTHER's dataset X as available; EVIL OFFERs its own
    manifest under id X. The victim must refuse it, not answer with a
    RECEIPT (signed by the victim, carrying X's content hash) for a dataset
    EVIL never published. Prints 'dataset=ID'."""
    me, victim, honest, p, h, real = _hijack_setup(a)
    check_receipt(deliver(h, real, "honest delivery"), victim, real, "honest delivery")
    fake = Dataset(me, victim, a.topic, b"EVIL" * 10, chunk_size=1000, dsid=real.id)
    p.send(fake.offer())
    m = p.reply(5, "EVIL's OFFER of dataset id X, which the victim holds from OTHER")
    if m[1] == RECEIPT:
        r = msgpack.unpackb(m[3], raw=False)
        raise Failure("EVIL's OFFER reusing the id of %s's available dataset was answered with a "
                      "RECEIPT signed by the victim carrying %s's content hash %s%s"
                      % (honest.org, honest.org, r["hash"].hex()[:16],
                         " (= blake2b of OTHER's plaintext)" if r["hash"] == blake2b256(real.content) else ""))
    check(m[1] == ERROR and m[4] == real.id, "EVIL's OFFER answered %r" % m)
    say("hijack: EVIL's OFFER for available X refused with %s (%s)" % (ENAMES.get(m[2]), m[3]))
    p.close()
    h.close()


@scenario
def hijack_own(a):
    """EVIL learns the id X of a dataset the victim published, as any
    subscriber does: it SUBSCRIBEs to the victim's topic (--victim-topic)
    and reads the OFFER the victim sends to EVIL's ROUTER. EVIL then OFFERs
    its own content under id X. The victim must refuse: X is its own.
    Prints 'dataset=ID'."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.roundtrip()
    if a.dataset:
        dsid = bytes.fromhex(a.dataset)
    else:
        r = listen(me)
        p.send(header(SUBSCRIBE, a.victim_topic, 0))
        p.expect(SUBSCRIBED, "SUBSCRIBE to the victim's " + a.victim_topic)
        dsid = None
        deadline = time.time() + 20
        while dsid is None:
            check(time.time() < deadline, "the victim sent no OFFER for %s" % a.victim_topic)
            if r.poll(500) == 0:
                continue
            fr = r.recv_multipart()
            m = msgpack.unpackb(fr[1], raw=False)
            if m[1] == OFFER:
                nacl.signing.VerifyKey(victim.sign_pk).verify(m[3], m[4])
                man = msgpack.unpackb(m[3], raw=False)
                dsid = m[2]
                say("hijack: the victim offered %s v%d, dataset %s, to EVIL" % (man["topic"], man["version"], dsid.hex()))
        r.close(0)
    print("dataset=%s" % dsid.hex(), flush=True)
    fake = Dataset(me, victim, a.topic, b"EVIL" * 10, chunk_size=1000, dsid=dsid)
    p.send(fake.offer())
    m = p.reply(5, "EVIL's OFFER of the victim's own dataset id")
    if m[1] == ACCEPT:
        p.send(*fake.chunk(0))
        r = p.reply(5, "EVIL's chunk")
        raise Failure("EVIL's OFFER reusing the id of a dataset the victim published was answered "
                      "ACCEPT, and EVIL's chunk %s" % ("RECEIPT: EVIL's bytes are now in the victim's "
                                                        "data file for it" if r[1] == RECEIPT else
                                                        "answered %r" % r))
    check(m[1] == ERROR and m[4] == fake.id, "EVIL's OFFER answered %r" % m)
    say("hijack: EVIL's OFFER of the victim's own dataset id refused with %s (%s)" % (ENAMES.get(m[2]), m[3]))
    p.close()


@scenario
def slots(a):
    """EVIL opens as many transfers as the victim will hold (cdx/1: 64) and
    leaves them idle; OTHER, an honest publisher, must still be able to
    deliver (one peer must not take every incoming-transfer slot)."""
    me, victim, honest = Home(a.evil), Card(a.victim), Home(a.other)
    p, h = Peer(me, victim), Peer(honest, victim)
    p.roundtrip()
    h.roundtrip()
    opened = 0
    for k in range(200):
        ds = Dataset(me, victim, a.topic, bytes(3000), chunk_size=1000, version=5000 + k)
        p.send(ds.offer())
        m = p.reply(5, "EVIL's OFFER %d" % k)
        if m[1] != ACCEPT:
            check(m[1] == ERROR and m[4] == ds.id, "EVIL's OFFER %d answered %r" % (k, m))
            say("slots: EVIL's OFFER %d refused: %s (%s)" % (k, ENAMES.get(m[2]), m[3]))
            break
        opened += 1
    say("slots: EVIL holds %d idle incoming transfers" % opened)
    print("evil_transfers=%d" % opened, flush=True)
    real = Dataset(honest, victim, a.other_topic, bytes(2000), chunk_size=1000,
                   version=random.randrange(1, 1 << 30))
    h.send(real.offer())
    m = h.reply(5, "OTHER's OFFER while EVIL holds %d transfers" % opened)
    if m[1] == ERROR:
        raise Failure("with %d idle transfers held by EVIL, OTHER's valid OFFER is refused with %s (%s)"
                      % (opened, ENAMES.get(m[2]), m[3]))
    check(m[1] == ACCEPT, "OTHER's OFFER answered %r" % m)
    check_receipt(deliver(h, real, "OTHER's delivery"), victim, real, "OTHER's delivery")
    p.close()
    h.close()


@scenario
def copy_from_other(a):
    """A dataset of the victim's own organisation, validly signed by one of
    its nodes (OTHER: that node's home), offered by EVIL, a node of another
    organisation: DENIED (SPEC 11.5: a copy comes from a sibling only, and
    check 3 holds the sender to the manifest's publisher). Nothing is stored."""
    me, victim, sibling = Home(a.evil), Card(a.victim), Home(a.other)
    check(sibling.org == victim.org, "OTHER must be a node of the victim's organisation")
    p = Peer(me, victim)
    p.roundtrip()
    ds = Dataset(sibling, victim, a.topic, b"c" * 3000)
    p.send(ds.offer())
    reason = p.expect_error(E_DENIED, "a copy of %s's dataset sent by %s" % (sibling.org, me.org), dataset=ds.id)
    check("publisher %s" % sibling.org in reason, "DENIED for another reason: %r" % reason)
    say("  a copy of %s's dataset, signed by its node, sent by %s -> DENIED (%s)" % (sibling.org, me.org, reason))
    say("dataset", ds.id.hex())
