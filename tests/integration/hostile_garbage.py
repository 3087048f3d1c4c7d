"""hostile_garbage.py: the scenarios that send what no peer should.

Malformed input built from messages.def (every message with a field too
few or too many, of the wrong type, out of bounds; random bytes, broken
msgpack), and the scenarios that send it: garbage, version,
version-extra-frames, error-to-router, flood and oversize.
"""
import os
import random
import struct
import threading
import time

import msgpack
import zmq
import zmq.utils.monitor

from hostile_docs import Dataset
from hostile_wire import (ACCEPT, CHUNK, CREDIT_MAX, CURVE_OVERHEAD, DOC_MAX, E_MALFORMED, E_STATE,
                          E_DENIED, E_UNKNOWN, E_UNKNOWN_DATASET, E_VERSION, ENAMES, ERROR, FIELDS,
                          HEADER_MAX, KIND_TYPE, MESSAGES, NAMES, PAYLOAD_MAX, REASON_MAX,
                          SUBSCRIBE, SUBSCRIBED, TOPIC_MAX, VERSION, Card, Failure, Home,
                          ZERO_ID, Peer, check, header, packb, say, scenario, version_of)


# ---- malformed input ----------------------------------------------------------

def valid_fields(msg_id, topic="evl/t"):
    base = {"topic": topic, "number": 0, "dataset": bytes(range(16)), "credit": 1, "code": 1,
            "reason": "x", "doc": b"\x80", "sig": bytes(64), "wrapped": bytes(80),
            "sig2": bytes(64), "hash": bytes(32), "kind": "sub", "org": "EVL", "value": 0,
            "updated": 0, "node": "EVL/a", "since": 0, "took": 0, "count": 0}
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
    "kind": ["", "k" * 17, "Sub", "a b", "a\x00"],
    "org": ["", "EV", "EVLEVL", "evl", "EVL/a", "E-L"],
    "value": [], "updated": [], "since": [], "took": [], "count": [],
    "node": ["", "EV", "EVL/", "EVL/A", "EVL/9", "EVL/abcdefghi", "EVL/a/b", "/a", "evl/a",
             "EVL/a b"],
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
                items = [pack_value(x) for x in [version_of(mid), mid] + f]
                items[2 + i] = pack_value(w)
                desc = w if not isinstance(w, (bytes, str)) or len(w) < 40 else "%s of %d" % (
                    type(w).__name__, len(w))
                out.append(("%s field %d (%s) out of bounds: %r" % (NAMES[mid], i + 1, kind, desc)[:200],
                            raw_array(items)))
    return out

# ---- scenarios ------------------------------------------------------------------

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
    "95010802d94e56455253494f4e206d6573736167653a2070726f746f636f6c2076657273696f6e2034206e6f74207375"
    "70706f727465643b20737570706f727465642076657273696f6e733a20312c20322c2033c41000000000000000000000000000000000")


@scenario
def version(a):
    """VERSION and UNKNOWN (SPEC sections 5.2 and 15)."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.roundtrip()
    suffix = "supported versions: 1, 2, 3"
    cases = [
        ("SUBSCRIBE version 4 (SPEC 18.11)", bytes.fromhex("940401ab6170632f6d6f6e74686c7900")),
        ("version 0", header(SUBSCRIBE, "evl/t", 0, version=0)),
        ("version 255", header(SUBSCRIBE, "evl/t", 0, version=255)),
        ("version 2^64-1", header(SUBSCRIBE, "evl/t", 0, version=(1 << 64) - 1)),
        ("version 4, garbage after it", packb([4, "not an id", None, {}, 1.5])),
        ("version 4, 2 elements", packb([4, 0])),
        ("version 4, unknown id", packb([4, 99])),
        ("version 4 as uint64 encoding", b"\x94\xcf" + (4).to_bytes(8, "big") + b"\x01\xa5evl/t\x00"),
        ("version 4 with a payload frame", header(SUBSCRIBE, "evl/t", 0, version=4), b"p"),
    ]
    # The answer to 18.11's SUBSCRIBE is, byte for byte, 18.11's ERROR.
    p.send(cases[0][1])
    got = p.recv(5.0)
    check(got is not None and len(got) == 1 and got[0] == SPEC_18_11_REPLY,
          "SPEC 18.11: the answer to a version-4 SUBSCRIBE is %r, not the SPEC's bytes"
          % (got and got[0].hex()))
    for desc, *fr in cases:
        p.send(*fr)
        reason = p.expect_error(E_VERSION, desc)
        check(reason.endswith(suffix), "%s: VERSION reason %r does not end with %r" % (desc, reason, suffix))
    # (0 is reserved, 17 and up are unassigned; 13, RESEND, is version 2's:
    # in a version 1 header it is unknown; 14 to 16, the siblings', are
    # version 3's: in a version 2 header they are unknown.)
    p.send(packb([1, 13, "evl/t", 0]))
    p.expect_error(E_UNKNOWN, "RESEND (13) in a version 1 header")
    p.send(packb([2, 16, "0DF/a", 0, 0, 0]))
    p.expect_error(E_UNKNOWN, "FAILOVER (16) in a version 2 header")
    # In a version 3 header they are valid, and refused from a node that
    # is not of the victim's organisation (SPEC 11.5: sibling.not-sibling).
    for desc, msg in (("DELIVERED", [3, 14, ZERO_ID, b"r", bytes(64)]),
                      ("SETTING", [3, 15, "sub", "0DF", "evl/t", 0, 1, "0DF/b"]),
                      ("FAILOVER", [3, 16, "0DF/a", 1, 2, 3])):
        p.send(packb(msg))
        reason = p.expect_error(E_DENIED, "%s from a node of another organisation" % desc)
        check(reason.startswith("sibling.not-sibling: "), "%s refused with %r" % (desc, reason))
    for mid in (0, 17, 99, 127, 128, 255, 256, 65535, 1 << 32, (1 << 64) - 1):
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
    """A version-4 header in a message of 4 frames: still VERSION, and the
    reason must still list the supported versions (SPEC section 15)."""
    me, victim = Home(a.evil), Card(a.victim)
    p = Peer(me, victim)
    p.roundtrip()
    p.send(header(SUBSCRIBE, "evl/t", 0, version=4), b"a", b"b", b"c")
    reason = p.expect_error(E_VERSION, "version 4 in 4 frames")
    check(reason.endswith("supported versions: 1, 2, 3"),
          "VERSION reason %r does not end with 'supported versions: 1, 2, 3' (SPEC section 15)" % reason)
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
