#!/usr/bin/env python3
"""failover_probe.py HOST PORT CLIENTID SECONDS — a client that keeps connecting.

Used by bench/failover.sh: every 20-50 ms (jittered) it opens a TCP connection
to HOST:PORT, sends an MQTT 3.1.1 CONNECT (clean session) and waits for the
CONNACK, 200 ms at most for the whole attempt (a SYN to a dead host's MAC gets
no answer: the next attempt starts a fresh socket instead of waiting for TCP's
1 s retransmit). Prints one line per attempt, with wall-clock ns (the clock
`date +%s%N` reads):
    ok START_NS END_NS         CONNACK return code 0
    fail START_NS END_NS WHY   refused, reset, timeout, bad CONNACK
Runs for SECONDS, then exits 0.
"""
import random
import socket
import struct
import sys
import time

ATTEMPT_S = 0.2


def connect_packet(client_id):
    cid = client_id.encode()
    var = b"\x00\x04MQTT\x04\x02" + struct.pack(">H", 30)  # 3.1.1, clean, keepalive 30
    payload = struct.pack(">H", len(cid)) + cid
    body = var + payload
    return bytes([0x10, len(body)]) + body


def attempt(host, port, pkt):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(ATTEMPT_S)
    try:
        s.connect((host, port))
        s.sendall(pkt)
        got = b""
        while len(got) < 4:
            chunk = s.recv(4 - len(got))
            if not chunk:
                return "closed"
            got += chunk
        if got[0] != 0x20 or got[3] != 0:
            return "connack-%d" % got[3]
        s.sendall(b"\xe0\x00")  # DISCONNECT
        return None
    except socket.timeout:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except ConnectionResetError:
        return "reset"
    except OSError as e:
        return "oserror-%d" % e.errno
    finally:
        s.close()


def main():
    host, port, cid, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    pkt = connect_packet(cid)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        t0 = time.time_ns()
        why = attempt(host, port, pkt)
        t1 = time.time_ns()
        print("ok %d %d" % (t0, t1) if why is None else "fail %d %d %s" % (t0, t1, why), flush=True)
        time.sleep(random.uniform(0.02, 0.05))
    return 0


if __name__ == "__main__":
    sys.exit(main())
