#!/usr/bin/python3
"""proxy_hold.py — open N MQTT connections one after the other (CONNECT, wait
for CONNACK), print "ready OK FAILED" and hold them open until SIGTERM or --hold
seconds pass (bounded). Used by the proxy integration tests to put a
known number of live connections through a director.

  proxy_hold.py HOST PORT N [--prefix P] [--version 4|5] [--hold S] [--gap MS]
"""
import argparse
import signal
import socket
import struct
import sys
import time


def connect_packet(client_id, version):
    cid = client_id.encode()
    if version == 5:
        var = b"\x00\x04MQTT\x05\x02\x00\x3c\x00"  # clean start, keepalive 60, no props
    else:
        var = b"\x00\x04MQTT\x04\x02\x00\x3c"
    payload = struct.pack("!H", len(cid)) + cid
    body = var + payload
    n, rl = len(body), b""
    while True:
        b = n % 128
        n //= 128
        rl += bytes([b | (0x80 if n else 0)])
        if not n:
            break
    return b"\x10" + rl + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("--prefix", default="hold")
    ap.add_argument("--version", type=int, default=4)
    ap.add_argument("--hold", type=float, default=60)
    ap.add_argument("--gap", type=float, default=0, help="ms between connections")
    a = ap.parse_args()
    socks, failed = [], 0
    for i in range(min(a.n, 2000)):
        try:
            s = socket.create_connection((a.host, a.port), timeout=5)
            s.sendall(connect_packet("%s-%d" % (a.prefix, i), a.version))
            ack = s.recv(16)
            if len(ack) < 4 or ack[0] != 0x20 or ack[3] != 0:
                failed += 1
                s.close()
                continue
            socks.append(s)
        except OSError:
            failed += 1
        if a.gap:
            time.sleep(a.gap / 1000)
    print("ready %d %d" % (len(socks), failed), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        time.sleep(a.hold)
    finally:
        for s in socks:
            s.close()


if __name__ == "__main__":
    main()
