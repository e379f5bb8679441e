#!/usr/bin/env python3
"""ha_sync_client.py HOST PORT CLIENTID TOPIC SECONDS — one long-lived MQTT
connection that must not be replaced.

Used by tests/integration/director_ha_sync.sh and bench/failover.sh: it opens
ONE TCP connection to HOST:PORT, sends an MQTT 3.1.1 CONNECT (clean session,
keepalive 60 s), subscribes to TOPIC (QoS 0), then for SECONDS sends a PINGREQ
every second and prints what arrives. It never reconnects: the point is
whether this very connection survives a director failover. Lines:
    ready LOCAL_PORT            subscribed
    msg PAYLOAD                 a PUBLISH on TOPIC
    end msgs=N pings=M          SECONDS passed, the connection still works
    dead WHY msgs=N pings=M     reset, closed, or no PINGRESP for 10 s
Exit 0 after "end", 1 after "dead".
"""
import select
import socket
import struct
import sys
import time

PING_EVERY = 1.0
PING_DEADLINE = 10.0  # TCP retransmits across a ~2 s failover take up to ~3 s


def packet(kind, body):
    n, enc = len(body), b""
    while True:
        d, n = n % 128, n // 128
        enc += bytes([d | (0x80 if n else 0)])
        if not n:
            return bytes([kind]) + enc + body


def connect_packet(cid):
    c = cid.encode()
    var = b"\x00\x04MQTT\x04\x02" + struct.pack(">H", 60)
    return packet(0x10, var + struct.pack(">H", len(c)) + c)


def subscribe_packet(topic):
    t = topic.encode()
    return packet(0x82, struct.pack(">H", 1) + struct.pack(">H", len(t)) + t + b"\x00")


def read_packets(buf):
    """Splits complete packets off buf: returns (list of (type, body), rest)."""
    out = []
    while len(buf) >= 2:
        mult, n, i = 1, 0, 1
        while True:
            if i >= len(buf):
                return out, buf
            n += (buf[i] & 0x7F) * mult
            mult *= 128
            i += 1
            if not buf[i - 1] & 0x80:
                break
        if len(buf) < i + n:
            return out, buf
        out.append((buf[0] & 0xF0, buf[i : i + n]))
        buf = buf[i + n :]
    return out, buf


def main():
    host, port, cid, topic, secs = sys.argv[1:6]
    s = socket.create_connection((host, int(port)), timeout=5)
    s.sendall(connect_packet(cid))
    s.sendall(subscribe_packet(topic))
    s.setblocking(False)
    buf, msgs, pings, ready = b"", 0, 0, False
    end = time.monotonic() + float(secs)
    last_pong = next_ping = time.monotonic()

    def dead(why):
        print("dead %s msgs=%d pings=%d" % (why, msgs, pings), flush=True)
        return 1

    while time.monotonic() < end:
        now = time.monotonic()
        if ready and now >= next_ping:
            try:
                s.sendall(b"\xc0\x00")
            except OSError as e:
                return dead("send-%s" % type(e).__name__)
            next_ping = now + PING_EVERY
        if ready and now - last_pong > PING_DEADLINE:
            return dead("timeout")
        r, _, _ = select.select([s], [], [], 0.1)
        if not r:
            continue
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return dead("reset")
        except OSError as e:
            return dead("oserror-%d" % e.errno)
        if not chunk:
            return dead("closed")
        got, buf = read_packets(buf + chunk)
        for kind, body in got:
            if kind == 0x90 and not ready:  # SUBACK
                ready = True
                last_pong = next_ping = time.monotonic()
                print("ready %d" % s.getsockname()[1], flush=True)
            elif kind == 0xD0:  # PINGRESP
                pings += 1
                last_pong = time.monotonic()
            elif kind == 0x30:  # PUBLISH QoS 0: topic, payload
                tl = struct.unpack(">H", body[:2])[0]
                msgs += 1
                print("msg %s" % body[2 + tl :].decode(errors="replace"), flush=True)
    print("end msgs=%d pings=%d" % (msgs, pings), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
