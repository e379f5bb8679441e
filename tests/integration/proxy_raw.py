#!/usr/bin/python3
"""proxy_raw.py — send raw bytes to HOST:PORT and report what comes back.

  proxy_raw.py HOST PORT HEX|connect4:ID|connect5:ID|big:N|big5:N|none [--wait S] [--shut]

Prints one line: "<hex of everything received> <how it ended>" where the end is
"eof" (orderly close), "reset", or "open" (still open after --wait seconds).
big:N / big5:N send a 3.1.1 / 5.0 CONNECT header announcing a Remaining Length
of N bytes followed by up to 64 KiB of it. --shut half-closes after sending.
"""
import argparse
import socket
import struct
import time

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mqtt_wire import varint  # noqa: E402


def connect(cid, version):
    c = cid.encode()
    var = b"\x00\x04MQTT" + bytes([version]) + b"\x02\x00\x3c" + (b"\x00" if version == 5 else b"")
    body = var + struct.pack("!H", len(c)) + c
    return b"\x10" + bytes([len(body)]) + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("what")
    ap.add_argument("--wait", type=float, default=2)
    ap.add_argument("--shut", action="store_true")
    a = ap.parse_args()
    if a.what.startswith("connect4:"):
        data = connect(a.what[9:], 4)
    elif a.what.startswith("connect5:"):
        data = connect(a.what[9:], 5)
    elif a.what.startswith("big:") or a.what.startswith("big5:"):
        n = int(a.what.split(":")[1])
        level = b"\x05" if a.what.startswith("big5:") else b"\x04"
        data = b"\x10" + varint(n) + b"\x00\x04MQTT" + level + b"\x02\x00\x3c" + b"\x00" * min(n, 65536)
    elif a.what == "none":
        data = b""
    else:
        data = bytes.fromhex(a.what)
    s = socket.create_connection((a.host, a.port), timeout=5)
    got, end = b"", "open"
    try:
        if data:
            s.sendall(data)
        if a.shut:
            s.shutdown(socket.SHUT_WR)
        deadline = time.time() + a.wait
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                r = s.recv(4096)
            except socket.timeout:
                break
            if not r:
                end = "eof"
                break
            got += r
    except ConnectionResetError:
        end = "reset"
    except BrokenPipeError:
        end = "reset"
    print("%s %s" % (got.hex() or "-", end), flush=True)
    s.close()


if __name__ == "__main__":
    main()
