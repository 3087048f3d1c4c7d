#!/usr/bin/env python3
"""hostile.py: a foreign cdx/1 peer, written from protocol/SPEC.md alone.

It speaks to a running cdx node with nothing but pyzmq, msgpack and PyNaCl,
as a third party implementing the SPEC would (its message table, ids, names
and fields, is read from protocol/messages.def, which unit_protocol holds
to the SPEC's table), and it is *hostile*: it holds
a key the victim has added (so it passes ZAP and is authenticated as its
org), and then sends whatever it likes. The t_hostile_*.sh integration tests
drive it; each scenario below checks what the victim answers and exits
non-zero when the victim does not behave as the SPEC says.

Identity: a cdx home made with `cdx init` (keys/*.key, layout in
crypto/cx.h: "CDXK" | version | type | 2 zero bytes | fingerprint (8) |
public key (32) | secret key (64 for sign, 32 otherwise)). The victim is
known by its card (protocol/SPEC.md section 9): endpoint, curve-key (pinned
as CURVE_SERVERKEY), box-key (content keys are sealed to it) and sign-key
(its receipts verify with it).

Usage: hostile.py SCENARIO --evil HOME --victim CARD [options]
       (hostile.py --help lists the scenarios)
Exit status: 0 the victim behaved, 1 it did not (the reason on stderr),
2 the scenario could not run.
"""
import argparse
import base64
import hashlib
import os
import random
import re
import struct
import sys
import threading
import time

try:
    import msgpack
    import nacl.bindings
    import nacl.public
    import nacl.signing
    import zmq
    import zmq.utils.monitor
except ImportError as e:  # e.g. a pyenv python3 first in PATH: use Debian's
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3") \
            and not os.environ.get("HOSTILE_REEXEC"):
        os.environ["HOSTILE_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.stderr.write("hostile.py: %s (install python3-zmq python3-msgpack python3-nacl: "
                     "tools/install-deps.sh)\n" % e)
    sys.exit(2)

# ---- the protocol, from protocol/SPEC.md ------------------------------------

VERSION = 1
# The message table is protocol/messages.def, the table cdx's codec is built
# from; check_messages (unit_protocol) holds it to SPEC.md section 6, both
# ways. Its lines: FIELD (name, TYPE, min, max, rule) and
# MSG (id, NAME, FROM, ACCEPTED_ON, PAYLOAD, field, ...).
MESSAGES_DEF = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "protocol", "messages.def")


def read_messages_def(path=MESSAGES_DEF):
    """{id: (name, from, accepted_on, payload, [field, ...])} and
    {field: "uint" | "str" | "bin"} from messages.def."""
    msgs, kinds = {}, {}
    wire = {"UINT": "uint", "STR": "str", "BIN": "bin", "VBIN": "bin"}
    with open(path) as f:
        for line in f:
            m = re.match(r"^(MSG|FIELD) \((.*)\)\s*$", line)
            if not m:
                continue
            args = [x.strip() for x in m.group(2).split(",")]
            if m.group(1) == "FIELD":
                kinds[args[0]] = wire[args[1]]
            else:
                msgs[int(args[0])] = (args[1], args[2], args[3], args[4] == "1", args[5:])
    return msgs, kinds


MESSAGES, KIND_TYPE = read_messages_def()
NAMES = {i: m[0] for i, m in MESSAGES.items()}
FIELDS = {i: m[4] for i, m in MESSAGES.items()}       # field kinds in wire order
_ID = {m[0]: i for i, m in MESSAGES.items()}
# The ids the scenarios name (a message missing from messages.def fails here).
SUBSCRIBE, SUBSCRIBED, OFFER, ACCEPT, CHUNK, CREDIT, RECEIPT, ERROR, UNSUBSCRIBE, DIRECTORY, \
    AGREEMENT, REVOKE = (_ID[n] for n in (
        "SUBSCRIBE", "SUBSCRIBED", "OFFER", "ACCEPT", "CHUNK", "CREDIT", "RECEIPT", "ERROR",
        "UNSUBSCRIBE", "DIRECTORY", "AGREEMENT", "REVOKE"))
E_MALFORMED, E_VERSION, E_UNKNOWN, E_STATE, E_DENIED, E_SIGNATURE, E_CHUNK, E_HASH, \
    E_UNKNOWN_DATASET, E_INTERNAL = range(1, 11)
ENAMES = {1: "MALFORMED", 2: "VERSION", 3: "UNKNOWN", 4: "STATE", 5: "DENIED", 6: "SIGNATURE",
          7: "CHUNK", 8: "HASH", 9: "UNKNOWN_DATASET", 10: "INTERNAL"}

HEADER_MAX = 8192
CHUNK_MAX = 1 << 20
PAYLOAD_MAX = CHUNK_MAX + 16
TOPIC_MAX = 128
REASON_MAX = 256
DOC_MAX = 4096
CREDIT_MAX = 64
CURVE_OVERHEAD = 256          # what node/run.c allows on top of PAYLOAD_MAX
WINDOW = 8                    # cdx/1 subscribers
ZERO_ID = bytes(16)

class Failure(Exception):
    """The victim did not behave as the SPEC says."""


def check(cond, what):
    if not cond:
        raise Failure(what)


def packb(obj):
    # use_bin_type: bytes -> bin, str -> str; msgpack-python writes the
    # shortest encoding of every value, as the SPEC requires of encoders.
    return msgpack.packb(obj, use_bin_type=True)


def header(msg_id, *fields, version=VERSION):
    return packb([version, msg_id] + list(fields))


def le64(i):
    return struct.pack("<Q", i)


def blake2b256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


# ---- identities ------------------------------------------------------------

def load_key(path, keytype):
    """A cdx key file: (public, secret). keytype 1 sign, 2 box, 3 curve."""
    with open(path, "rb") as f:
        b = f.read()
    sklen = 64 if keytype == 1 else 32
    if len(b) != 16 + 32 + sklen or b[:4] != b"CDXK" or b[4] != 1 or b[5] != keytype \
            or b[6:8] != b"\0\0":
        raise ValueError("%s is not a cdx key file of type %d" % (path, keytype))
    return b[16:48], b[48:48 + sklen]


class Home:
    """A cdx node home: its three key pairs, and its card (HOME.card or
    CARD given)."""

    def __init__(self, path, card=None):
        self.path = path
        self.sign_pk, self.sign_sk = load_key(os.path.join(path, "keys", "sign.key"), 1)
        self.box_pk, self.box_sk = load_key(os.path.join(path, "keys", "box.key"), 2)
        self.curve_pk, self.curve_sk = load_key(os.path.join(path, "keys", "curve.key"), 3)
        # libsodium's Ed25519 secret key is seed || public key.
        self.signer = nacl.signing.SigningKey(self.sign_sk[:32])
        check(bytes(self.signer.verify_key) == self.sign_pk, "sign.key halves do not match")
        self.card = Card(card or path.rstrip("/") + ".card")
        self.org = self.card.org

    def sign(self, data):
        return self.signer.sign(data).signature


class Card:
    """The fields of an identity card that a peer needs (SPEC section 9)."""

    def __init__(self, path):
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        kv = {}
        for line in text.split("\n")[:-1]:
            k, _, v = line.partition(": ")
            kv[k] = v
        self.org = kv["org"]
        self.endpoint = kv["endpoint"]
        self.sign_pk = base64.b64decode(kv["sign-key"], validate=True)
        self.box_pk = base64.b64decode(kv["box-key"], validate=True)
        self.curve_pk = base64.b64decode(kv["curve-key"], validate=True)
        # Verify it as a third party would before trusting it.
        signed = text[:text.index("signature: ")].encode()
        nacl.signing.VerifyKey(self.sign_pk).verify(signed, base64.b64decode(kv["signature"]))


# ---- the peer: a DEALER to the victim's ROUTER ----------------------------------

class Peer:
    """One CURVE connection from ME (a Home) to the victim (a Card)."""

    def __init__(self, me, victim, ctx=None, monitor=False):
        self.me, self.victim = me, victim
        self.ctx = ctx or zmq.Context.instance()
        s = self.ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.CURVE_SERVERKEY, victim.curve_pk)
        s.setsockopt(zmq.CURVE_PUBLICKEY, me.curve_pk)
        s.setsockopt(zmq.CURVE_SECRETKEY, me.curve_sk)
        s.setsockopt(zmq.SNDHWM, 100000)
        s.setsockopt(zmq.RCVHWM, 100000)
        self.mon = s.get_monitor_socket() if monitor else None
        s.connect(victim.endpoint)
        self.sock = s

    def close(self):
        if self.mon is not None:
            self.sock.disable_monitor()
            self.mon.close(0)
        self.sock.close(0)

    def send(self, *frames):
        """Sends raw frames (bytes) as one message."""
        self.sock.send_multipart([bytes(f) for f in frames], copy=True)

    def recv(self, timeout=5.0):
        """One whole message (list of frames), or None after TIMEOUT s."""
        if self.sock.poll(int(timeout * 1000), zmq.POLLIN) == 0:
            return None
        return self.sock.recv_multipart()

    def reply(self, timeout=5.0, what="a reply"):
        """The next message, decoded: [version, id, fields...]."""
        frames = self.recv(timeout)
        check(frames is not None, "no answer within %.0f s to %s" % (timeout, what))
        check(len(frames) == 1, "%s: answer of %d frames" % (what, len(frames)))
        msg = msgpack.unpackb(frames[0], raw=False, strict_map_key=True)
        check(isinstance(msg, list) and len(msg) >= 2 and msg[0] == VERSION,
              "%s: answer is not a cdx/1 message: %r" % (what, msg))
        check(len(msg) == 2 + len(FIELDS.get(msg[1], [])) and msg[1] in FIELDS,
              "%s: answer has a wrong shape: %r" % (what, msg))
        return msg

    def expect(self, msg_id, what, timeout=5.0):
        msg = self.reply(timeout, what)
        if msg[1] == ERROR and msg_id != ERROR:
            raise Failure("%s: expected %s, got ERROR %s: %s"
                          % (what, NAMES[msg_id], ENAMES.get(msg[2], msg[2]), msg[3]))
        check(msg[1] == msg_id, "%s: expected %s, got %s" % (what, NAMES[msg_id], NAMES[msg[1]]))
        return msg

    def expect_error(self, code, what, dataset=ZERO_ID, timeout=5.0):
        """The next message is ERROR(CODE) about DATASET; returns its reason."""
        msg = self.reply(timeout, what)
        check(msg[1] == ERROR, "%s: expected ERROR %s, got %s %r"
              % (what, ENAMES[code], NAMES[msg[1]], msg[2:]))
        check(msg[2] == code, "%s: expected ERROR %s, got %s (%s)"
              % (what, ENAMES[code], ENAMES.get(msg[2], msg[2]), msg[3]))
        check(isinstance(msg[3], str) and len(msg[3].encode()) <= REASON_MAX,
              "%s: bad reason %r" % (what, msg[3]))
        check(msg[4] == dataset, "%s: ERROR names dataset %s, expected %s"
              % (what, msg[4].hex(), dataset.hex()))
        return msg[3]

    def expect_silence(self, what, timeout=1.0):
        frames = self.recv(timeout)
        if frames is not None:
            try:
                msg = msgpack.unpackb(frames[0], raw=False)
            except Exception:
                msg = frames
            if isinstance(msg, list) and len(msg) > 3 and msg[1] == ERROR:
                msg = "ERROR %s: %s" % (ENAMES.get(msg[2], msg[2]), msg[3])
            raise Failure("%s: expected no answer, got %s" % (what, msg))

    def ping(self, timeout=10.0):
        """A CREDIT to the ROUTER must be answered ERROR(STATE): proves the
        victim is up and serving without changing its store or audit log."""
        self.send(header(CREDIT, bytes(16), 1))
        self.expect_error(E_STATE, "ping (CREDIT to the ROUTER)", timeout=timeout)

    def roundtrip(self, timeout=10.0):
        """A SUBSCRIBE the victim must answer: proves it is up and serving."""
        topic = "ping/%d" % random.randrange(1 << 30)
        self.send(header(SUBSCRIBE, topic, 0))
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            check(left > 0, "victim did not answer a valid SUBSCRIBE within %.0f s" % timeout)
            msg = self.reply(left, "SUBSCRIBE " + topic)
            if msg[1] == SUBSCRIBED and msg[2] == topic:
                check(msg[3] == "active", "SUBSCRIBED status %r" % msg[3])
                return


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


# ---- malformed input ----------------------------------------------------------

def valid_fields(msg_id, topic="evl/t"):
    base = {"topic": topic, "number": 0, "dataset": bytes(range(16)), "credit": 1, "code": 1,
            "reason": "x", "doc": b"\x80", "sig": bytes(64), "wrapped": bytes(80),
            "sig2": bytes(64), "hash": bytes(32)}
    return [base[k] for k in FIELDS[msg_id]]


# Values of the wrong msgpack type for each field type.
WRONG = {
    "uint": [None, True, 1.5, -1, "1", b"\x01", [], {}, msgpack.ExtType(1, b"x")],
    "str": [None, False, 0, -1, 2.5, b"evl/t", ["evl/t"], {"a": 1}, msgpack.ExtType(1, b"x")],
    "bin": [None, True, 0, -7, 0.5, "x" * 16, [b"x"], {b"k": b"v"}, msgpack.ExtType(2, bytes(16))],
}

# Values of the right type but out of bounds or rules (SPEC section 5.1).
RAW_STR = object()      # marker: raw bytes to be packed as a msgpack str
OUT_OF_BOUNDS = {
    "topic": ["", "t" * (TOPIC_MAX + 1), "/evl", ".evl", "evl t", "evl\\t", "évl", "evl\x00",
              "evl:t", (RAW_STR, b"evl\xff")],
    "number": [],      # every uint is valid (0 ... 2^64-1)
    "credit": [0, CREDIT_MAX + 1, 1 << 32, (1 << 64) - 1],
    "code": [0, 11, 255, (1 << 64) - 1],
    "reason": ["r" * (REASON_MAX + 1), "\x1b[2J", "a\nb", "\x7f", "\u0085", "\u2028", "\u202e",
               "\u2066", "\u2069", "a\x00b", (RAW_STR, b"\xc0\x80"), (RAW_STR, b"\xed\xa0\x80"),
               (RAW_STR, b"\xf4\x90\x80\x80"), (RAW_STR, b"\xe2\x82"), (RAW_STR, b"\xff")],
    "dataset": [b"", bytes(15), bytes(17), bytes(1024)],
    "doc": [b"", bytes(DOC_MAX + 1)],
    "sig": [bytes(63), bytes(65), b""],
    "wrapped": [bytes(79), bytes(81), b""],
    "sig2": [bytes(63), bytes(65), b""],
    "hash": [bytes(31), bytes(33), b""],
}


def pack_value(v):
    if isinstance(v, tuple) and v[0] is RAW_STR:
        b = v[1]
        assert len(b) < 32
        return bytes([0xa0 | len(b)]) + b
    return packb(v)


def raw_array(items):
    """An array of already packed items."""
    n = len(items)
    head = bytes([0x90 | n]) if n < 16 else b"\xdc" + struct.pack(">H", n)
    return head + b"".join(items)


def names_error(h):
    """True if header frame H says version 1, message ERROR, whatever its
    fields: a malformed ERROR, which a node drops without an answer."""
    try:
        m = msgpack.unpackb(h, raw=True, strict_map_key=False)
    except Exception:
        return False
    return isinstance(m, list) and len(m) >= 2 and m[0] == VERSION and m[1] == ERROR


def malformed_headers(offer_example):
    """(description, header frame) pairs, every one MALFORMED by SPEC 5.2."""
    rng = random.Random(20261125)
    out = []
    out.append(("empty frame", b""))
    for n in (1, 2, 7, 64, 500, 4000):
        for k in range(3):
            b = bytes(rng.randrange(256) for _ in range(n))
            # A random byte string that happens to be one valid msgpack
            # object is not garbage: skip those (rare, but be exact).
            try:
                msgpack.unpackb(b, raw=True, strict_map_key=False)
                continue
            except Exception:
                pass
            out.append(("random %d bytes #%d" % (n, k), b))
    for v in [0, 1, -1, 2.5, None, True, "SUBSCRIBE", b"\x94\x01\x01", {"version": 1},
              {1: 1, 2: 1}, msgpack.ExtType(1, b"x")]:
        out.append(("non-array %r" % (v,), packb(v)))
    out.append(("array of 0", packb([])))
    out.append(("array of 1", packb([1])))
    out.append(("version not uint: str", packb(["1", 1, "evl/t", 0])))
    out.append(("version not uint: negative", packb([-1, 1, "evl/t", 0])))
    out.append(("version not uint: float", packb([1.0, 1, "evl/t", 0])))
    out.append(("version not uint: nil", packb([None, 1, "evl/t", 0])))
    out.append(("version not uint: bool", packb([True, 1, "evl/t", 0])))
    out.append(("id not uint: str", packb([1, "1", "evl/t", 0])))
    out.append(("id not uint: negative", packb([1, -1, "evl/t", 0])))
    out.append(("id not uint: bin", packb([1, b"\x01", "evl/t", 0])))
    out.append(("id not uint: array", packb([1, [1], "evl/t", 0])))
    out.append(("never-used byte 0xc1", b"\xc1"))
    out.append(("0xc1 inside an array", b"\x94\x01\x01\xc1\x00"))
    out.append(("array 32 claiming 2^32-1 elements", b"\xdd\xff\xff\xff\xff\x01\x01"))
    out.append(("array 16 claiming 65535 elements", b"\xdc\xff\xff\x01\x01"))
    out.append(("map 32 claiming 2^32-1 pairs", b"\xdf\xff\xff\xff\xff"))
    out.append(("str 32 claiming 4 GiB", b"\x94\x01\x01\xdb\xff\xff\xff\xff\x00"))
    out.append(("bin 32 claiming 4 GiB", b"\x96\x01\x03\xc6\xff\xff\xff\xff"))
    out.append(("ext 32 claiming 4 GiB", b"\xc9\xff\xff\xff\xff\x01"))
    out.append(("nesting 4000 deep", b"\x91" * 4000 + b"\x90"))
    out.append(("nesting 40 deep in a SUBSCRIBE", b"\x94\x01\x01" + b"\x91" * 40 + b"\x90\x00"))
    sub = header(SUBSCRIBE, "evl/t", 0)
    for t in (b"\x00", b"\xc0", sub, b"\x00" * 100):
        out.append(("SUBSCRIBE + %d trailing bytes" % len(t), sub + t))
    out.append(("header of %d bytes" % (HEADER_MAX + 1),
                header(SUBSCRIBE, "evl/t", 0) + b"\x00" * (HEADER_MAX + 1 - len(sub))))
    out.append(("OFFER header of %d bytes" % (HEADER_MAX + 1),
                packb([1, 3, bytes(16), bytes(HEADER_MAX), bytes(64), bytes(80)])[:HEADER_MAX + 1]))
    out.append(("64 KiB header", packb([1, 1, "evl/t", 0, "x" * 65536])))
    # Truncated: every proper prefix of a well-formed OFFER.
    for n in range(len(offer_example)):
        out.append(("OFFER truncated to %d of %d bytes" % (n, len(offer_example)), offer_example[:n]))
    # Shapes: each message with one field too few and one too many.
    for mid in FIELDS:
        f = valid_fields(mid)
        out.append(("%s with %d fields" % (NAMES[mid], len(f) - 1), header(mid, *f[:-1])))
        out.append(("%s with %d fields" % (NAMES[mid], len(f) + 1), header(mid, *f, 0)))
        out.append(("%s with no fields" % NAMES[mid], header(mid)))
        # Wrong types, field by field.
        for i, kind in enumerate(FIELDS[mid]):
            for w in WRONG[KIND_TYPE[kind]]:
                g = list(f)
                g[i] = w
                out.append(("%s field %d (%s) = %r" % (NAMES[mid], i + 1, kind, w)[:200],
                            header(mid, *g)))
            for w in OUT_OF_BOUNDS[kind]:
                items = [pack_value(x) for x in [VERSION, mid] + f]
                items[2 + i] = pack_value(w)
                desc = w if not isinstance(w, (bytes, str)) or len(w) < 40 else "%s of %d" % (
                    type(w).__name__, len(w))
                out.append(("%s field %d (%s) out of bounds: %r" % (NAMES[mid], i + 1, kind, desc)[:200],
                            raw_array(items)))
    return out


# ---- scenarios ------------------------------------------------------------------

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__.replace("_", "-")] = fn
    return fn


def say(*a):
    print("hostile:", *a, flush=True)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@scenario
def garbage(a):
    """Decode-level garbage: every header of malformed_headers() on its own,
    then bad frame counts; each must be answered ERROR(MALFORMED) with the
    zero dataset, except a malformed ERROR, which is dropped without an
    answer (SPEC section 3: a node never answers an ERROR with an ERROR).
    Prints 'refused=N' (messages sent) and 'dropped=N' (ERRORs among them)."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.ping()
    ds = Dataset(me, victim, a.topic, b"garbage" * 100)
    sent = 0
    errors = []
    for desc, h in malformed_headers(ds.offer()):
        if names_error(h):
            errors.append((desc, [h]))
            continue
        p.send(h)
        sent += 1
        p.expect_error(E_MALFORMED, desc)
    errors.append(("ERROR with a payload frame", [header(ERROR, E_STATE, "x", bytes(16)), b"x"]))
    errors.append(("ERROR with two payload frames", [header(ERROR, E_STATE, "x", bytes(16)), b"x", b"y"]))
    # All of them, then a ping: its ERROR(STATE) must be the first thing
    # back (an answer to a malformed ERROR would be ERROR(MALFORMED)).
    for desc, fr in errors:
        p.send(*fr)
        sent += 1
    p.ping()
    # Frame counts (SPEC section 5).
    frames = [
        ("CHUNK without its payload frame", [header(CHUNK, ds.id, 0)]),
        ("SUBSCRIBE with a payload frame", [header(SUBSCRIBE, a.topic, 0), b"payload"]),
        ("SUBSCRIBE with an empty payload frame", [header(SUBSCRIBE, a.topic, 0), b""]),
        ("OFFER with a payload frame", [ds.offer(), b"x" * 100]),
        ("ACCEPT with a payload frame", [header(ACCEPT, ds.id, 0, 8), b"x"]),
        ("CHUNK with two payload frames", [header(CHUNK, ds.id, 0), b"x" * 32, b"y" * 32]),
        ("SUBSCRIBE + 3 extra frames", [header(SUBSCRIBE, a.topic, 0), b"a", b"b", b"c"]),
        ("CHUNK with 50 frames", [header(CHUNK, ds.id, 0)] + [b"z" * 10] * 49),
        ("garbage header + payload frame", [b"\xc1", b"x"]),
        ("empty header + empty payload", [b"", b""]),
    ]
    for desc, fr in frames:
        p.send(*fr)
        sent += 1
        p.expect_error(E_MALFORMED, desc)
    p.ping()
    say("garbage: %d malformed messages, each answered ERROR(MALFORMED) but the %d ERRORs, dropped"
        % (sent, len(errors)))
    print("refused=%d" % sent)
    print("dropped=%d" % len(errors))
    p.close()


SPEC_18_11_REPLY = bytes.fromhex(
    "95010802d94856455253494f4e206d6573736167653a2070726f746f636f6c2076657273696f6e2032206e6f7420"
    "737570706f727465643b20737570706f727465642076657273696f6e733a2031c410" + "00" * 16)


@scenario
def version(a):
    """VERSION and UNKNOWN (SPEC sections 5.2 and 15)."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.roundtrip()
    suffix = "supported versions: 1"
    cases = [
        ("SUBSCRIBE version 2 (SPEC 18.11)", bytes.fromhex("940201ab6170632f6d6f6e74686c7900")),
        ("version 0", header(SUBSCRIBE, "evl/t", 0, version=0)),
        ("version 255", header(SUBSCRIBE, "evl/t", 0, version=255)),
        ("version 2^64-1", header(SUBSCRIBE, "evl/t", 0, version=(1 << 64) - 1)),
        ("version 2, garbage after it", packb([2, "not an id", None, {}, 1.5])),
        ("version 2, 2 elements", packb([2, 0])),
        ("version 2, unknown id", packb([2, 99])),
        ("version 2 as uint64 encoding", b"\x94\xcf" + (2).to_bytes(8, "big") + b"\x01\xa5evl/t\x00"),
        ("version 2 with a payload frame", header(SUBSCRIBE, "evl/t", 0, version=2), b"p"),
    ]
    # The answer to 18.11's SUBSCRIBE is, byte for byte, 18.11's ERROR.
    p.send(cases[0][1])
    got = p.recv(5.0)
    check(got is not None and len(got) == 1 and got[0] == SPEC_18_11_REPLY,
          "SPEC 18.11: the answer to a version-2 SUBSCRIBE is %r, not the SPEC's bytes"
          % (got and got[0].hex()))
    for desc, *fr in cases:
        p.send(*fr)
        reason = p.expect_error(E_VERSION, desc)
        check(reason.endswith(suffix), "%s: VERSION reason %r does not end with %r" % (desc, reason, suffix))
    # (0 is reserved, 13 and up are unassigned.)
    for mid in (0, 13, 99, 127, 128, 255, 256, 65535, 1 << 32, (1 << 64) - 1):
        check(mid not in MESSAGES, "message id %d is assigned: pick another" % mid)
        p.send(packb([1, mid, "evl/t", 0]))
        p.expect_error(E_UNKNOWN, "message id %d" % mid)
    p.send(packb([1, 99]))
    p.expect_error(E_UNKNOWN, "message id 99 with no fields")
    p.send(packb([1, 99]), b"payload")
    p.expect_error(E_UNKNOWN, "message id 99 with a payload frame")
    # An unknown id as a non-shortest encoding is still unknown.
    p.send(b"\x92\x01\xcd\x00\x63")
    p.expect_error(E_UNKNOWN, "message id 99 as uint16")
    say("version: VERSION (reason ends %r) and UNKNOWN answered as the SPEC says" % suffix)
    # Decoders MUST accept any encoding of a uint/str/bin (SPEC 5.1).
    topic = "enc/long-forms"
    odd = (b"\x94" + b"\xcf" + (1).to_bytes(8, "big") + b"\xd0\x01"           # version uint64, id int8
           + b"\xda" + len(topic).to_bytes(2, "big") + topic.encode()      # str 16
           + b"\xd3" + (0).to_bytes(8, "big"))                             # from-version int64 0
    p.send(odd)
    m = p.expect(SUBSCRIBED, "SUBSCRIBE in non-shortest encodings")
    check(m[2] == topic, "SUBSCRIBED topic %r" % m[2])
    odd2 = b"\x94\xcc\x01\xce\x00\x00\x00\x01\xdb\x00\x00\x00\x05enc/b\xcd\x00\x03"
    p.send(odd2)
    m = p.expect(SUBSCRIBED, "SUBSCRIBE with uint8/uint32/str32/uint16 encodings")
    check(m[2] == "enc/b", "SUBSCRIBED topic %r" % m[2])
    say("version: non-shortest encodings accepted")
    p.roundtrip()
    p.close()


@scenario
def version_extra_frames(a):
    """A version-2 header in a message of 4 frames: still VERSION, and the
    reason must still list the supported versions (SPEC section 15)."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.roundtrip()
    p.send(header(SUBSCRIBE, "evl/t", 0, version=2), b"a", b"b", b"c")
    reason = p.expect_error(E_VERSION, "version 2 in 4 frames")
    check(reason.endswith("supported versions: 1"),
          "VERSION reason %r does not end with 'supported versions: 1' (SPEC section 15)" % reason)
    p.close()


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
def error_to_router(a):
    """An ERROR sent to the ROUTER: 'A node MUST NOT answer an ERROR with an
    ERROR' (SPEC section 3), not even a malformed one: that is dropped and
    recorded (rule protocol.decode)."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.roundtrip()
    p.send(header(ERROR, E_STATE, "what?", bytes(16)))
    p.expect_silence("ERROR sent to the ROUTER", 1.0)
    p.send(raw_array([pack_value(x) for x in [VERSION, ERROR, 0, "code 0", bytes(16)]]))
    p.expect_silence("ERROR with code 0 (out of bounds) sent to the ROUTER", 1.0)
    p.send(header(ERROR, E_STATE, "what?", bytes(15)))
    p.expect_silence("ERROR with a 15-byte dataset sent to the ROUTER", 1.0)
    p.send(header(ERROR, E_STATE, "what?", bytes(16)), b"payload")
    p.expect_silence("ERROR with a payload frame sent to the ROUTER", 1.0)
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


def listen(me, ctx=None):
    """A ROUTER on ME's card endpoint, as a CURVE server with ME's key: where
    the victim's DEALER connects to deliver what ME subscribed to."""
    r = (ctx or zmq.Context.instance()).socket(zmq.ROUTER)
    r.setsockopt(zmq.LINGER, 0)
    r.setsockopt(zmq.CURVE_SERVER, 1)
    r.setsockopt(zmq.CURVE_SECRETKEY, me.curve_sk)
    r.bind(me.card.endpoint)
    return r


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
def flood(a):
    """20,000 small garbage messages as fast as the transport takes them,
    then 200 CHUNKs with maximum-size payloads and no transfer; the victim
    must keep serving, with bounded memory. Prints figures."""
    me, victim = Home(a.evil), Card(a.victim)
    pid = a.pid
    p = Peer(me, victim)
    p.roundtrip()
    base = rss_kib(pid)
    peak = [base]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], rss_kib(pid))
            except OSError:
                return
            time.sleep(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    rng = random.Random(99)
    n = a.count
    msgs = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 24))) for _ in range(n)]
    t0 = time.time()
    sent = errors = 0
    codes = {}
    while True:
        check(time.time() - t0 < 120, "flood: not done after 120 s")
        while sent < n:
            try:
                p.sock.send(msgs[sent], zmq.NOBLOCK)
                sent += 1
            except zmq.Again:
                break
        while True:
            try:
                fr = p.sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            m = msgpack.unpackb(fr[0], raw=False)
            check(m[1] == ERROR, "flood: answer %r" % m)
            codes[m[2]] = codes.get(m[2], 0) + 1
            errors += 1
        if sent < n:
            p.sock.poll(5, zmq.POLLIN | zmq.POLLOUT)
        elif errors >= n or p.sock.poll(3000, zmq.POLLIN) == 0:
            break
    t1 = time.time()
    after_small = rss_kib(pid)
    say("flood: %d garbage messages in %.2f s; %d ERROR answers %s; victim RSS %d KiB before, "
        "%d KiB after" % (n, t1 - t0, errors, {ENAMES.get(k, k): v for k, v in codes.items()},
                          base, after_small))
    p.roundtrip(20)
    # Maximum-size CHUNK payloads with no transfer.
    payload = zmq.Frame(os.urandom(PAYLOAD_MAX))
    big = a.big
    t2 = time.time()
    sent = got = 0
    while sent < big or got < big:
        while sent < big:
            try:
                p.sock.send_multipart([header(CHUNK, os.urandom(16), 0), payload], zmq.NOBLOCK,
                                      copy=False)
                sent += 1
            except zmq.Again:
                break
        while True:
            try:
                fr = p.sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            m = msgpack.unpackb(fr[0], raw=False)
            check(m[1] == ERROR and m[2] in (E_STATE, E_UNKNOWN_DATASET),
                  "max-size CHUNK with no transfer answered %r" % m)
            got += 1
        if sent >= big and got < big and p.sock.poll(10000, zmq.POLLIN) == 0:
            raise Failure("only %d of %d max-size CHUNKs answered" % (got, big))
        p.sock.poll(5, zmq.POLLIN | zmq.POLLOUT)
    t3 = time.time()
    p.roundtrip(20)
    stop.set()
    t.join()
    end = rss_kib(pid)
    say("flood: %d CHUNKs of %d bytes (%.0f MiB) in %.2f s, each answered ERROR; victim RSS "
        "peak %d KiB, now %d KiB" % (big, PAYLOAD_MAX, big * PAYLOAD_MAX / 2**20, t3 - t2,
                                     peak[0], end))
    print("rss_base_kib=%d rss_peak_kib=%d rss_end_kib=%d small_errors=%d" % (base, peak[0], end, errors))
    check(peak[0] < a.rss_limit_mib * 1024,
          "victim RSS peaked at %d KiB, over %d MiB" % (peak[0], a.rss_limit_mib))
    p.close()


@scenario
def oversize(a):
    """Frames over ZMQ_MAXMSGSIZE (PROTO_PAYLOAD_MAX + 256): the transport
    drops the connection; the victim stays up and a new connection works.
    A header frame under that limit but over 8192 bytes is MALFORMED."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.roundtrip()
    p.send(header(SUBSCRIBE, a.topic, 0), bytes(PAYLOAD_MAX))
    p.expect_error(E_MALFORMED, "SUBSCRIBE with a payload of PROTO_PAYLOAD_MAX")
    p.send(os.urandom(PAYLOAD_MAX))
    p.expect_error(E_MALFORMED, "a header frame of PROTO_PAYLOAD_MAX bytes")
    p.close()
    for size in (PAYLOAD_MAX + CURVE_OVERHEAD + 1, 4 * PAYLOAD_MAX, 16 << 20):
        p = Peer(me, victim, monitor=True)
        p.roundtrip()
        p.send(header(CHUNK, os.urandom(16), 0), os.urandom(size))
        # The victim drops the connection: libzmq reports DISCONNECTED here.
        deadline = time.time() + 10
        seen = False
        while time.time() < deadline and not seen:
            if p.mon.poll(200):
                ev = zmq.utils.monitor.recv_monitor_message(p.mon)
                seen = ev["event"] == zmq.EVENT_DISCONNECTED
        check(seen, "a frame of %d bytes did not make the victim drop the connection" % size)
        frames = p.recv(0.5)
        check(frames is None, "a frame of %d bytes was answered: %r" % (size, frames))
        p.roundtrip(15)          # the DEALER reconnects; the victim serves it
        say("oversize: a frame of %d bytes: the victim dropped the connection, then served "
            "the reconnection" % size)
        p.close()
    # A brand new connection too.
    p = Peer(me, victim)
    p.roundtrip()
    p.close()


# ---- growing the victim's store (SPEC section 16) -------------------------------
# These scenarios prove the victim serves with ping(), not roundtrip(): a
# SUBSCRIBE would be one more decision the test accounts for.

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
