"""hostile_wire.py: what every hostile.py scenario stands on.

The cdx/1 message table (read from protocol/messages.def), its limits and
error codes; encoding (msgpack, shortest forms) and the Failure the
scenarios raise; identities (cdx key files, homes, cards); the CURVE
sockets (Peer, a DEALER to the victim's ROUTER, and listen(), a ROUTER the
victim's DEALER connects to); and the table of scenarios main() runs.
"""
import base64
import hashlib
import os
import random
import re
import struct
import sys
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
# Version 2 (SPEC.md section 15) is version 1 and the messages from this id
# on (protocol/proto.h PROTO_V2_FIRST: RESEND), sent in a version 2 header
# and accepted in one of version 2 or later; version 3 adds the messages
# of siblings from V3_FIRST on, in version 3 headers only.
V2_FIRST = 13
V3_FIRST = 14
VERSION_MAX = 3


def version_of(msg_id):
    """The header version message MSG_ID is sent in."""
    return 3 if msg_id >= V3_FIRST else 2 if msg_id >= V2_FIRST else VERSION

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


def header(msg_id, *fields, version=None):
    return packb([version_of(msg_id) if version is None else version, msg_id] + list(fields))


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


def listen(me, ctx=None):
    """A ROUTER on ME's card endpoint, as a CURVE server with ME's key: where
    the victim's DEALER connects to deliver what ME subscribed to."""
    r = (ctx or zmq.Context.instance()).socket(zmq.ROUTER)
    r.setsockopt(zmq.LINGER, 0)
    r.setsockopt(zmq.CURVE_SERVER, 1)
    r.setsockopt(zmq.CURVE_SECRETKEY, me.curve_sk)
    r.bind(me.card.endpoint)
    return r


# ---- scenarios: the table hostile.py runs ----------------------------------

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__.replace("_", "-")] = fn
    return fn


def say(*a):
    print("hostile:", *a, flush=True)
