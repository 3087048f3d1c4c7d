#!/usr/bin/env python3
"""faultproxy.py: a TCP proxy on loopback that makes a link misbehave.

It accepts connections on --listen and forwards each to --target, and on
the way it can:

  delay       wait MS milliseconds before forwarding each piece of data it
              reads (a piece is at most --piece bytes, default 65536), in
              each direction;
  throttle    hold the link, per direction and over all connections, to
              BYTES per second;
  reset       reset (TCP RST, both sides) each connection after a random
              number of forwarded bytes between MIN and MAX, at most
              --resets times in all (-1: no limit). An RST throws away what
              the kernels still buffer (often megabytes on loopback), so
              the far end gets less than was forwarded; with --reset-kind
              fin the connection is closed instead (FIN, both sides), after
              everything forwarded has been delivered;
  black hole  for SECONDS, accept connections and read what arrives but
              forward nothing. In "drop" mode (the default) what is read is
              discarded, and when the black hole ends every connection that
              lost data is reset (its byte stream cannot be continued), as
              when a firewall or NAT drops a flow; new connections work
              again. In "hold" mode nothing is read while it lasts (a stall:
              TCP backpressure), and forwarding continues afterwards.

Everything can be changed while it runs with a control file (--control):
lines of KEY=VALUE, re-read whenever the file changes (write a new file and
rename it over the old one) and on SIGHUP. Keys:

  delay=MS  throttle=BYTES_PER_S  reset=MIN[:MAX]  resets=N
  reset_kind=rst|fin  blackhole=SECONDS  mode=drop|hold  reset_now=1

A value of 0 turns delay, throttle or reset off. blackhole= and reset_now=
act once each time the file is loaded with them. The command line takes the
same settings (--delay, --throttle, --reset, --resets, --reset-kind,
--blackhole, --mode).

Events go to --log (default stderr), one line each; --status FILE holds a
JSON summary, rewritten on every event and twice a second:
  {"connections": accepted so far, "open": open now, "resets": done,
   "blackholes": begun, "blackhole_active": bool, "dropped": bytes,
   "up": bytes forwarded to the target, "down": bytes forwarded back}
--ready FILE is created once it listens. SIGTERM or SIGINT ends it.

Python 3 standard library only. Example:
  faultproxy.py --listen 7202 --target 127.0.0.1:7102 --throttle 4000000 \
      --reset 1000000:8000000 --resets 3 --control /tmp/ctl --status /tmp/st
"""
import argparse
import asyncio
import json
import os
import random
import signal
import socket
import struct
import sys
import time


class Settings:
    def __init__(self):
        self.delay_ms = 0.0
        self.throttle = 0.0
        self.reset_min = 0
        self.reset_max = 0
        self.resets_left = -1
        self.reset_kind = "rst"
        self.mode = "drop"

    def apply(self, key, value, proxy):
        """Sets one KEY=VALUE; returns a description or raises ValueError."""
        if key == "delay":
            self.delay_ms = float(value)
        elif key == "throttle":
            self.throttle = float(value)
        elif key == "reset":
            lo, _, hi = value.partition(":")
            lo, hi = int(lo), int(hi or lo)
            if lo < 0 or hi < lo:
                raise ValueError("reset wants MIN[:MAX] with 0 <= MIN <= MAX")
            self.reset_min, self.reset_max = lo, hi
            proxy.rearm()
        elif key == "resets":
            self.resets_left = int(value)
        elif key == "reset_kind":
            if value not in ("rst", "fin"):
                raise ValueError("reset_kind is rst or fin")
            self.reset_kind = value
        elif key == "mode":
            if value not in ("drop", "hold"):
                raise ValueError("mode is drop or hold")
            self.mode = value
        elif key == "blackhole":
            proxy.blackhole(float(value))
        elif key == "reset_now":
            if value not in ("0", ""):
                proxy.reset_all("reset_now")
        else:
            raise ValueError("unknown key %r" % key)
        return "%s=%s" % (key, value)


class Conn:
    def __init__(self, proxy, cid, reader, writer):
        self.proxy = proxy
        self.id = cid
        self.creader, self.cwriter = reader, writer
        self.ureader = self.uwriter = None
        self.bytes = 0
        self.reset_at = None
        self.tainted = False
        self.closed = False
        self.eofs = 0
        self.tasks = []

    def arm(self):
        s = self.proxy.s
        if s.reset_max > 0:
            self.reset_at = self.bytes + random.randint(max(1, s.reset_min), s.reset_max)
        else:
            self.reset_at = None

    def close(self, rst=False):
        if self.closed:
            return
        self.closed = True
        for w in (self.cwriter, self.uwriter):
            if w is None:
                continue
            try:
                if rst:
                    sock = w.get_extra_info("socket")
                    if sock is not None:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    w.transport.abort()
                else:
                    w.close()
            except Exception:
                pass
        for t in self.tasks:
            if t is not asyncio.current_task():
                t.cancel()
        self.proxy.conns.discard(self)
        self.proxy.status()


class Proxy:
    def __init__(self, args):
        self.args = args
        self.s = Settings()
        self.conns = set()
        self.next_id = 0
        self.stats = {"connections": 0, "resets": 0, "blackholes": 0, "dropped": 0, "up": 0, "down": 0}
        self.bh_until = 0.0
        self.bh_task = None
        self.link_free = {"up": 0.0, "down": 0.0}
        self.logf = open(args.log, "a", buffering=1) if args.log else sys.stderr
        self.ctl_sig = None
        self.stop = None

    # ---- reporting

    def log(self, fmt, *a):
        self.logf.write("%s faultproxy: %s\n" % (time.strftime("%H:%M:%S"), fmt % a))
        self.logf.flush()

    def status(self):
        if not self.args.status:
            return
        st = dict(self.stats)
        st["open"] = len(self.conns)
        st["blackhole_active"] = self.blackholed()
        tmp = self.args.status + ".tmp"
        with open(tmp, "w") as f:
            json.dump(st, f)
        os.replace(tmp, self.args.status)

    # ---- faults

    def blackholed(self):
        return time.monotonic() < self.bh_until

    def blackhole(self, seconds):
        if seconds <= 0:
            self.bh_until = 0.0
            return
        self.stats["blackholes"] += 1
        self.bh_until = time.monotonic() + seconds
        self.log("black hole begins for %.1f s (%s mode, %d connection(s) open)", seconds, self.s.mode,
                 len(self.conns))
        if self.bh_task:
            self.bh_task.cancel()
        self.bh_task = asyncio.get_running_loop().create_task(self.blackhole_end())
        self.status()

    async def blackhole_end(self):
        while self.blackholed():
            await asyncio.sleep(max(0.01, self.bh_until - time.monotonic()))
        tainted = [c for c in self.conns if c.tainted]
        for c in tainted:
            c.close(rst=True)
        self.log("black hole ends: %d connection(s) that lost data reset, %d bytes dropped in all",
                 len(tainted), self.stats["dropped"])
        self.status()

    def rearm(self):
        for c in self.conns:
            c.arm()

    def reset_all(self, why):
        n = len(self.conns)
        for c in list(self.conns):
            c.close(rst=True)
        self.stats["resets"] += n
        self.log("%s: reset %d connection(s)", why, n)
        self.status()

    async def shape(self, direction, n):
        s = self.s
        if s.delay_ms > 0:
            await asyncio.sleep(s.delay_ms / 1000.0)
        if s.throttle > 0:
            now = time.monotonic()
            start = max(now, self.link_free[direction])
            self.link_free[direction] = start + n / s.throttle
            wait = self.link_free[direction] - now
            if wait > 0:
                await asyncio.sleep(wait)

    # ---- forwarding

    async def pump(self, conn, direction, reader, get_writer):
        try:
            while not conn.closed:
                if self.s.mode == "hold":
                    while self.blackholed() and not conn.closed:
                        await asyncio.sleep(0.05)
                data = await reader.read(self.args.piece)
                if not data:                        # half-close: pass the EOF on
                    conn.eofs += 1
                    writer = (conn.uwriter if direction == "up" else conn.cwriter)
                    if writer is not None and conn.eofs < 2 and not conn.tainted:
                        try:
                            writer.write_eof()
                            return
                        except (OSError, RuntimeError):
                            pass
                    break
                if self.blackholed():
                    if self.s.mode == "drop":
                        conn.tainted = True
                        self.stats["dropped"] += len(data)
                        continue
                    while self.blackholed() and not conn.closed:
                        await asyncio.sleep(0.05)
                if conn.tainted:                    # its stream has a hole
                    break
                await self.shape(direction, len(data))
                writer = await get_writer()
                if writer is None or conn.closed:
                    break
                writer.write(data)
                await writer.drain()
                conn.bytes += len(data)
                self.stats[direction] += len(data)
                if conn.reset_at is not None and conn.bytes >= conn.reset_at and self.s.resets_left != 0:
                    if self.s.resets_left > 0:
                        self.s.resets_left -= 1
                    self.stats["resets"] += 1
                    self.log("reset #%d (%s): connection %d after %d bytes (%d resets left)", self.stats["resets"],
                             self.s.reset_kind, conn.id, conn.bytes, self.s.resets_left)
                    conn.close(rst=self.s.reset_kind == "rst")
                    return
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            return
        conn.close(rst=conn.tainted)

    async def on_client(self, reader, writer):
        self.next_id += 1
        conn = Conn(self, self.next_id, reader, writer)
        conn.arm()
        self.conns.add(conn)
        self.stats["connections"] += 1
        peer = writer.get_extra_info("peername")
        self.log("connection %d from %s:%s%s", conn.id, peer[0], peer[1],
                 " (into the black hole)" if self.blackholed() else "")
        self.status()
        lock = asyncio.Lock()

        async def upstream():
            # Connects lazily: a connection accepted in a black hole never
            # reaches the target.
            async with lock:
                if conn.uwriter is None and not conn.closed:
                    try:
                        conn.ureader, conn.uwriter = await asyncio.open_connection(self.host, self.port)
                    except OSError as e:
                        self.log("connection %d: cannot reach the target: %s", conn.id, e)
                        conn.close(rst=True)
                        return None
                    async def cwriter():
                        return conn.cwriter
                    conn.tasks.append(asyncio.get_running_loop().create_task(
                        self.pump(conn, "down", conn.ureader, cwriter)))
                return conn.uwriter

        if not self.blackholed():
            if await upstream() is None:
                return
        conn.tasks.append(asyncio.current_task())
        await self.pump(conn, "up", reader, upstream)

    # ---- control

    def load_control(self, force=False):
        path = self.args.control
        if not path:
            return
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return
        sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        if sig == self.ctl_sig and not force:
            return
        self.ctl_sig = sig
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError as e:
            self.log("cannot read %s: %s", path, e)
            return
        done = []
        for line in lines:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            key, _, value = line.partition("=")
            try:
                done.append(self.s.apply(key.strip(), value.strip(), self))
            except ValueError as e:
                self.log("control: %s: %s", line, e)
        self.log("control: %s", " ".join(done) or "(empty)")
        self.status()

    async def watch(self):
        while True:
            self.load_control()
            self.status()
            await asyncio.sleep(0.1 if self.args.control else 0.5)

    async def main(self):
        a = self.args
        host, _, port = a.target.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port)
        for key, value in (("delay", a.delay), ("throttle", a.throttle), ("reset", a.reset),
                           ("resets", a.resets), ("reset_kind", a.reset_kind), ("mode", a.mode)):
            if value is not None:
                self.s.apply(key, str(value), self)
        loop = asyncio.get_running_loop()
        self.stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: self.load_control(force=True))
        server = await asyncio.start_server(self.on_client, "127.0.0.1", a.listen, reuse_address=True)
        self.log("listening on 127.0.0.1:%d, forwarding to %s:%d", a.listen, self.host, self.port)
        if a.blackhole:
            self.blackhole(a.blackhole)
        self.load_control(force=True)
        watcher = loop.create_task(self.watch())
        if a.ready:
            open(a.ready, "w").close()
        await self.stop.wait()
        watcher.cancel()
        server.close()
        for c in list(self.conns):
            c.close()
        self.status()
        self.log("stopped: %s", json.dumps(self.stats))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--listen", type=int, required=True, help="port on 127.0.0.1")
    p.add_argument("--target", required=True, help="HOST:PORT to forward to")
    p.add_argument("--delay", type=float, help="ms before forwarding each piece")
    p.add_argument("--throttle", type=float, help="bytes/s per direction (0: unlimited)")
    p.add_argument("--reset", help="reset connections after MIN[:MAX] bytes (0: never)")
    p.add_argument("--resets", type=int, help="at most this many resets (-1: no limit)")
    p.add_argument("--reset-kind", choices=("rst", "fin"), help="how resets end a connection (default rst)")
    p.add_argument("--blackhole", type=float, default=0, help="start with a black hole of SECONDS")
    p.add_argument("--mode", choices=("drop", "hold"), help="black hole mode (default drop)")
    p.add_argument("--piece", type=int, default=65536, help="bytes read at a time")
    p.add_argument("--control", help="file of KEY=VALUE lines, re-read when it changes")
    p.add_argument("--status", help="JSON summary written here")
    p.add_argument("--log", help="event log (default stderr)")
    p.add_argument("--ready", help="file created once listening")
    p.add_argument("--seed", type=int, help="random seed for reset points")
    a = p.parse_args()
    if a.seed is not None:
        random.seed(a.seed)
    try:
        asyncio.run(Proxy(a).main())
    except OSError as e:
        sys.stderr.write("faultproxy: %s\n" % e)
        sys.exit(2)


if __name__ == "__main__":
    main()
