#!/usr/bin/python3
"""Timing helpers for the cdx benchmarks that must not pay a process start
per poll: they read node stores (store.db, SQLite in WAL mode) with
read-only queries from one long-lived process.

  poll.py active --topic TOPIC [--timeout S] DB...
      Waits until every DB (a subscriber's store) holds an active
      subscription to TOPIC.

  poll.py publish --cdx CDX --home HOME --topic TOPIC --file FILE
                  [--n N] [--interval S] [--timeout S] DB...
      N times in sequence: runs `cdx publish` at HOME, then polls every DB
      every S seconds until the dataset's state there is `available`. Each
      sample starts when the previous one is available everywhere. Prints
      one tab-separated line per sample: the seconds the publish command
      took, then for each DB the seconds from the publish command's start
      until the dataset was seen available there.
"""
import argparse
import sqlite3
import subprocess
import sys
import time


def connect(db):
    # Read-only; autocommit, so each SELECT takes a fresh snapshot and no
    # read transaction is held open between polls (it would pin the WAL).
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None, timeout=5)


def cmd_active(a):
    conns = [connect(db) for db in a.dbs]
    pending = set(range(len(conns)))
    end = time.monotonic() + a.timeout
    while pending:
        for i in list(pending):
            row = conns[i].execute(
                "SELECT count(*) FROM subscriptions WHERE topic = ? AND state = 'active'",
                (a.topic,)).fetchone()
            if row[0] > 0:
                pending.discard(i)
        if not pending:
            break
        if time.monotonic() > end:
            sys.exit("poll.py: subscriptions not active after %g s: %s"
                     % (a.timeout, " ".join(a.dbs[i] for i in sorted(pending))))
        time.sleep(0.05)


def cmd_publish(a):
    conns = [connect(db) for db in a.dbs]
    argv = [a.cdx, "publish", "--home", a.home, "--topic", a.topic,
            "--class", "aggregate", "--purpose", "commissioning", a.file]
    q = "SELECT state FROM datasets WHERE id = ?"
    for _ in range(a.n):
        t0 = time.monotonic()
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t_pub = time.monotonic() - t0
        if p.returncode != 0:
            sys.exit("poll.py: cdx publish failed (%d): %s" % (p.returncode, p.stderr.strip()))
        ds = p.stdout.strip()
        done = [None] * len(conns)
        pending = set(range(len(conns)))
        end = t0 + a.timeout
        while True:
            for i in list(pending):
                row = conns[i].execute(q, (ds,)).fetchone()
                if row and row[0] == "available":
                    done[i] = time.monotonic() - t0
                    pending.discard(i)
                elif row and row[0] == "failed":
                    sys.exit("poll.py: dataset %s failed at %s" % (ds, a.dbs[i]))
            if not pending:
                break
            if time.monotonic() > end:
                sys.exit("poll.py: dataset %s not available after %g s at: %s"
                         % (ds, a.timeout, " ".join(a.dbs[i] for i in sorted(pending))))
            time.sleep(a.interval)
        print("\t".join(["%.6f" % t_pub] + ["%.6f" % t for t in done]), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("active")
    p.add_argument("--topic", required=True)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("dbs", nargs="+")
    p = sub.add_parser("publish")
    p.add_argument("--cdx", required=True)
    p.add_argument("--home", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--n", type=int, default=1)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("dbs", nargs="+")
    a = ap.parse_args()
    {"active": cmd_active, "publish": cmd_publish}[a.cmd](a)


if __name__ == "__main__":
    main()
