"""A service manager's end of NOTIFY_SOCKET, for t_notify.sh: binds an
AF_UNIX datagram socket at SOCK and appends each message to OUT as one
line, "SECONDS MESSAGE" (monotonic seconds; the message's newlines as
" | "). When READY=1 arrives it tries, at once, a TCP connection to PORT
on loopback (the node says it is ready only once a peer can connect) and
appends "ready-connect ok" or "ready-connect refused".
Usage: notify_listen.py SOCK OUT PORT"""
import os
import socket
import sys
import time

sock_path, out_path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
with open(out_path, "a", buffering=1) as out:
    out.write("listening\n")
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        now = time.monotonic()
        out.write("%.3f %s\n" % (now, msg.strip("\n").replace("\n", " | ")))
        if "READY=1" in msg.split("\n"):
            c = socket.socket()
            try:
                c.connect(("127.0.0.1", port))
                out.write("ready-connect ok\n")
            except OSError as e:
                out.write("ready-connect refused (%s)\n" % e)
            finally:
                c.close()
