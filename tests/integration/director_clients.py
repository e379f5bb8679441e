#!/usr/bin/python3
"""Holds N MQTT connections open through an address (test helper for the
director tests; raw MQTT 3.1.1 CONNECT bytes, no library).

  director_clients.py HOST PORT N HOLD_SECONDS [PREFIX]

Connects N clients one after another (each: TCP connect, CONNECT, wait for an
accepted CONNACK, 2 s deadline each), prints "ok K failed F" on one line, then
keeps them open for HOLD_SECONDS (or until stdin closes when HOLD_SECONDS is
-1) and exits. Bounded: N <= 2000, HOLD_SECONDS <= 120."""
import os
import select
import socket
import sys
import time


def connect_packet(client_id):
    cid = client_id.encode()
    var = b"\x00\x04MQTT\x04\x02\x00\x3c"
    payload = len(cid).to_bytes(2, "big") + cid
    rem = len(var) + len(payload)
    assert rem < 128
    return bytes([0x10, rem]) + var + payload


def main():
    host, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    prefix = sys.argv[5] if len(sys.argv) > 5 else "mqlb-dir-%d" % os.getpid()
    n = min(n, 2000)
    hold = min(hold, 120)
    socks, ok, failed = [], 0, 0
    for i in range(n):
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        s.settimeout(2)
        try:
            s.connect((host, port))
            s.sendall(connect_packet("%s-%d" % (prefix, i)))
            ack = b""
            while len(ack) < 4:
                chunk = s.recv(4 - len(ack))
                if not chunk:
                    raise OSError("closed")
                ack += chunk
            if ack[0] != 0x20 or ack[3] != 0:
                raise OSError("refused")
            socks.append(s)
            ok += 1
        except OSError:
            failed += 1
            s.close()
    print("ok %d failed %d" % (ok, failed), flush=True)
    if hold < 0:
        select.select([sys.stdin], [], [], 120)
    else:
        time.sleep(hold)
    for s in socks:
        s.close()


main()
