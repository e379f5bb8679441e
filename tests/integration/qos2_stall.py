#!/usr/bin/python3
"""A QoS 2 subscriber that acknowledges on command, to watch the broker's
outgoing in-flight window (tests/integration/qos2_stall.sh).

usage: qos2_stall.py PORT TOPIC VERSION(4|5) READY_FILE
Connects, subscribes at QoS 2, touches READY_FILE, then:
  1. reads PUBLISH packets without answering until 1.5 s of silence: N1
  2. completes only the FIRST of them (PUBREC, waits for PUBREL, PUBCOMP)
  3. reads for another 1.5 s: N2 new PUBLISH packets
and prints "N1 N2 FIRST_MID MAX_MID". A broker that keeps its window of W
messages sends N1 = W and then exactly one more (N2 = 1)."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mqtt_wire import packet, varint  # noqa: E402

port, topic, ver, ready = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4]


s = socket.create_connection(("127.0.0.1", port), timeout=5)
buf = bytearray()


def read_packet(timeout):
    """One packet (type byte, body) or None after `timeout` s of silence."""
    s.settimeout(timeout)
    while True:
        if len(buf) >= 2:
            n, mult, i = 0, 1, 1
            while i < len(buf) and i < 5:
                n += (buf[i] & 127) * mult
                mult *= 128
                if not buf[i] & 128:
                    break
                i += 1
            else:
                i = None
            if i is not None and i < len(buf) and len(buf) >= i + 1 + n:
                kind, body = buf[0], bytes(buf[i + 1:i + 1 + n])
                del buf[:i + 1 + n]
                return kind, body
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return None
        if not chunk:
            sys.exit("broker closed the connection")
        buf.extend(chunk)


props = b"\x00" if ver == 5 else b""
cid = b"qos2stall-sub"
s.sendall(packet(0x10, b"\x00\x04MQTT" + bytes([ver, 0x02, 0, 60]) + props + len(cid).to_bytes(2, "big") + cid))
p = read_packet(5)
assert p and p[0] == 0x20, "no CONNACK"
s.sendall(packet(0x82, b"\x00\x01" + props + len(topic).to_bytes(2, "big") + topic + b"\x02"))
p = read_packet(5)
assert p and p[0] == 0x90 and p[1][-1] == 2, "no SUBACK granting QoS 2"
open(ready, "w").close()


def publish_mid(body):
    tlen = int.from_bytes(body[:2], "big")
    return int.from_bytes(body[2 + tlen:4 + tlen], "big")


def read_publishes(quiet):
    mids = []
    while True:
        p = read_packet(quiet)
        if p is None:
            return mids
        if p[0] & 0xF0 == 0x30:
            mids.append(publish_mid(p[1]))


first = read_publishes(3.0)
if not first:
    sys.exit("no PUBLISH arrived")
m = first[0].to_bytes(2, "big")
s.sendall(packet(0x50, m))  # PUBREC
more = []
while True:  # wait for its PUBREL; count PUBLISH that overtake it
    p = read_packet(5)
    if p is None:
        sys.exit("no PUBREL for the first message")
    if p[0] & 0xF0 == 0x30:
        more.append(publish_mid(p[1]))
    elif p[0] == 0x62:
        break
s.sendall(packet(0x70, m))  # PUBCOMP
more += read_publishes(1.5)
print(len(first), len(more), first[0], max(first + more))
