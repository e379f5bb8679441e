#!/usr/bin/python3
"""Measures one MQTT target for bench/director.sh (raw MQTT 3.1.1 bytes).

  director_client.py conn HOST PORT SECONDS
      sequential connection setups (TCP connect, CONNECT, CONNACK, close) for
      SECONDS; prints "conn_per_s X n N failed F".
  director_client.py msgs HOST PORT COUNT SIZE
      one subscriber and one publisher on the same target; the publisher
      writes COUNT QoS 0 PUBLISH packets of SIZE payload bytes in batches, the
      subscriber reads until all arrived (or 3 s without data); prints "msgs_per_s X
      received R of COUNT" where X = received / (last receive - first send)."""
import socket
import sys
import threading
import time


def connect_pkt(cid):
    cid = cid.encode()
    var = b"\x00\x04MQTT\x04\x02\x00\x3c"
    body = var + len(cid).to_bytes(2, "big") + cid
    return bytes([0x10, len(body)]) + body


def remlen(n):
    out = b""
    while True:
        b, n = n % 128, n // 128
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c:
            raise OSError("closed")
        buf += c
    return buf


def session(host, port, cid):
    s = socket.create_connection((host, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(connect_pkt(cid))
    ack = recv_exact(s, 4)
    if ack[0] != 0x20 or ack[3] != 0:
        raise OSError("connack refused")
    return s


def conn(host, port, seconds):
    seconds = min(seconds, 30)
    n = failed = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        try:
            s = session(host, port, "bench-c%d" % n)
            s.sendall(b"\xe0\x00")  # DISCONNECT
            # abortive close: no TIME_WAIT piling up on either side, which would
            # otherwise make later SYNs collide with old 4-tuples after a few
            # thousand setups and turn the figure into a port-reuse test
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
            n += 1
        except OSError:
            failed += 1
            if failed > 100:
                break
    el = time.monotonic() - t0
    print("conn_per_s %.1f n %d failed %d" % (n / el, n, failed))


def msgs(host, port, count, size):
    count = min(count, 2000000)
    topic = b"mqlb/bench/director"
    body = len(topic).to_bytes(2, "big") + topic + b"x" * size
    pkt = b"\x30" + remlen(len(body)) + body
    sub = session(host, port, "bench-sub")
    sub.sendall(b"\x82" + remlen(2 + 2 + len(topic) + 1) + b"\x00\x01" +
                len(topic).to_bytes(2, "big") + topic + b"\x00")
    suback = recv_exact(sub, 5)
    assert suback[0] == 0x90
    pub = session(host, port, "bench-pub")
    want = count * len(pkt)
    got = [0, 0.0]

    def reader():
        sub.settimeout(3)  # idle gap that ends the run if messages went missing
        n, last = 0, time.monotonic()
        try:
            while n < want:
                c = sub.recv(1 << 20)
                if not c:
                    break
                n += len(c)
                last = time.monotonic()
        except OSError:
            pass
        got[0] = n
        got[1] = last

    th = threading.Thread(target=reader)
    th.start()
    batch = pkt * 500
    t0 = time.monotonic()
    sent = 0
    while sent < count:
        k = min(500, count - sent)
        pub.sendall(batch if k == 500 else pkt * k)
        sent += k
    th.join()
    received = got[0] // len(pkt)
    el = got[1] - t0
    print("msgs_per_s %.1f received %d of %d" % (received / el if el > 0 else 0, received, count))
    pub.close()
    sub.close()


if sys.argv[1] == "conn":
    conn(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
else:
    msgs(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
