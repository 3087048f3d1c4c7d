"""hostile_docs.py: the signed documents a hostile peer makes and checks.

Datasets as a publisher makes them (manifest, signature, content key
sealed to the recipient, chunks sealed with it), the victim's receipts
(checked as SPEC section 8 says), a whole delivery within the credit
granted, and agreement proposals (SPEC section 7a).
"""
import os
import time

import msgpack
import nacl.bindings
import nacl.public
import nacl.signing

from hostile_wire import (ACCEPT, AGREEMENT, CHUNK, CHUNK_MAX, CREDIT, CREDIT_MAX, NAMES, OFFER,
                          RECEIPT, Failure, blake2b256, check, header, le64, packb)


# ---- datasets, as a publisher makes them (SPEC sections 7 and 10) ------------

MANIFEST_KEYS = ["format", "dataset", "publisher", "topic", "version", "class", "purpose",
                 "filename", "bytes", "chunk_size", "chunks", "hash", "created",
                 "legal_basis", "opt_out", "agreement"]


class Dataset:
    """One version of a topic, sealed for one recipient (a Card)."""

    def __init__(self, me, recipient, topic, content, chunk_size=CHUNK_MAX, version=1,
                 dsid=None, fields=None):
        self.me, self.content, self.chunk_size = me, content, chunk_size
        self.id = dsid or os.urandom(16)
        self.key = os.urandom(32)
        n = len(content)
        self.chunks = n // chunk_size + (n % chunk_size != 0)
        m = {"format": 1, "dataset": self.id, "publisher": me.org, "topic": topic,
             "version": version, "class": "pseudonymised", "purpose": "commissioning",
             "filename": "extract.csv", "bytes": n, "chunk_size": chunk_size,
             "chunks": self.chunks, "hash": blake2b256(content), "created": int(time.time()),
             "legal_basis": "", "opt_out": "not-identifiable", "agreement": ""}
        m.update(fields or {})
        self.fields = m
        self.manifest = packb({k: m[k] for k in MANIFEST_KEYS if k in m}
                              | {k: v for k, v in m.items() if k not in MANIFEST_KEYS})
        self.sig = me.sign(self.manifest)
        self.wrapped = nacl.public.SealedBox(nacl.public.PublicKey(recipient.box_pk)).encrypt(self.key)
        assert len(self.wrapped) == 80

    def offer(self, **change):
        f = {"dataset": self.id, "doc": self.manifest, "sig": self.sig, "wrapped": self.wrapped}
        f.update(change)
        return header(OFFER, f["dataset"], f["doc"], f["sig"], f["wrapped"])

    def plain(self, i):
        return self.content[i * self.chunk_size:(i + 1) * self.chunk_size]

    def sealed(self, i, plain=None):
        ad = self.id + le64(i)
        nonce = le64(i) + bytes(16)
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
            self.plain(i) if plain is None else plain, ad, nonce, self.key)

    def chunk(self, i, payload=None):
        return [header(CHUNK, self.id, i), self.sealed(i) if payload is None else payload]


def check_receipt(msg, victim, ds, what):
    """RECEIPT(dataset, receipt, sig) as SPEC section 8 says."""
    check(msg[1] == RECEIPT, "%s: not a RECEIPT" % what)
    check(msg[2] == ds.id, "%s: RECEIPT for dataset %s" % (what, msg[2].hex()))
    doc, sig = msg[3], msg[4]
    try:
        nacl.signing.VerifyKey(victim.sign_pk).verify(doc, sig)
    except Exception:
        raise Failure("%s: receipt signature does not verify with the victim's sign-key" % what)
    r = msgpack.unpackb(doc, raw=False)
    check(list(r) == ["format", "dataset", "hash", "recipient", "recipient_key", "received"],
          "%s: receipt keys %r" % (what, list(r)))
    check(r["format"] == 1 and r["dataset"] == ds.id and r["hash"] == blake2b256(ds.content)
          and r["recipient"] == victim.org and r["recipient_key"] == victim.sign_pk
          and abs(r["received"] - time.time()) < 600, "%s: receipt content %r" % (what, r))
    return r


def deliver(p, ds, what, first=0):
    """Runs a delivery as a publisher would: OFFER, then CHUNKs within the
    credit granted, until RECEIPT (returned) or ERROR (raises)."""
    p.send(ds.offer())
    msg = p.reply(10, what + ": OFFER")
    if msg[1] == RECEIPT:
        return msg
    check(msg[1] == ACCEPT, "%s: OFFER answered with %s %r" % (what, NAMES[msg[1]], msg[2:]))
    check(msg[2] == ds.id and msg[3] == first and 1 <= msg[4] <= CREDIT_MAX,
          "%s: ACCEPT(%s, next %d, credit %d)" % (what, msg[2].hex(), msg[3], msg[4]))
    nxt, credit = msg[3], msg[4]
    while True:
        while credit > 0 and nxt < ds.chunks:
            p.send(*ds.chunk(nxt))
            nxt += 1
            credit -= 1
        msg = p.reply(10, what + ": chunk %d" % nxt)
        if msg[1] == CREDIT:
            check(msg[2] == ds.id and msg[3] <= CREDIT_MAX, "%s: CREDIT %r" % (what, msg[2:]))
            credit += msg[3]
        elif msg[1] == RECEIPT:
            check(nxt == ds.chunks, "%s: RECEIPT before the last chunk" % what)
            return msg
        else:
            raise Failure("%s: %s %r during the transfer" % (what, NAMES[msg[1]], msg[2:]))


# ---- agreements (SPEC section 7a) ----------------------------------------------

AGREEMENT_KEYS = ["format", "ref", "provider", "provider_ig", "recipient", "recipient_ig",
                  "controller", "controller_ig", "topics", "class", "purposes", "art6", "art9",
                  "duty", "opt_out", "start", "end", "retention_days", "onward", "conditions",
                  "created"]


def proposal(me, victim, ref):
    """AGREEMENT(doc, provider_sig, 64 zero bytes): ME proposes to provide
    data to the victim under REF (SPEC section 7a); the victim has not signed."""
    now = int(time.time())
    v = {"format": 1, "ref": ref, "provider": me.org, "provider_ig": "IG lead " + me.org,
         "recipient": victim.org, "recipient_ig": "IG lead " + victim.org, "controller": "",
         "controller_ig": "", "topics": "evl/*", "class": "aggregate", "purposes": "commissioning",
         "art6": "6(1)(e) public task", "art9": "", "duty": "", "opt_out": 0, "start": now,
         "end": now + 86400, "retention_days": 30, "onward": 0, "conditions": "", "created": now}
    doc = packb({k: v[k] for k in AGREEMENT_KEYS})
    return header(AGREEMENT, doc, me.sign(doc), bytes(64))
