#!/usr/bin/env python3
"""A client that stops reading (proxy_stall.sh): a tiny SO_RCVBUF, CONNECT,
SUBSCRIBE to a busy topic, then never calls recv again. Prints "subscribed",
then "closed <seconds since subscribed>" when the connection is reset or
closed under it (poll: POLLERR/POLLHUP, no read), or "open" after --wait s."""
import select, socket, struct, sys, time

port, topic, wait = int(sys.argv[1]), sys.argv[2].encode(), float(sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
s.settimeout(5)
s.connect(("127.0.0.1", port))
cid = b"e5-stalled"
body = b"\x00\x04MQTT\x04\x02\x00\x00" + struct.pack(">H", len(cid)) + cid  # keepalive 0
s.sendall(bytes([0x10, len(body)]) + body)
ack = s.recv(4)
assert ack == b"\x20\x02\x00\x00", ack
sub = b"\x00\x01" + struct.pack(">H", len(topic)) + topic + b"\x00"
s.sendall(bytes([0x82, len(sub)]) + sub)
suback = s.recv(5)
assert suback[:1] == b"\x90", suback
print("subscribed", flush=True)
t0 = time.monotonic()
p = select.poll()
p.register(s, select.POLLERR | select.POLLHUP | select.POLLRDHUP)
while time.monotonic() - t0 < wait:
    if p.poll(100):
        print("closed %.1f" % (time.monotonic() - t0), flush=True)
        sys.exit(0)
print("open", flush=True)
