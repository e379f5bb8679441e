#!/usr/bin/env bash
# A publisher that resumes its session honours the broker's new Receive
# Maximum (MQTT 5.0 §4.9: never more unacknowledged QoS 1/2 PUBLISH than
# that). A scripted broker on one port:
#  connection 1: CONNACK with Receive Maximum 10; takes PUBLISH without
#    acknowledging; after 10 it closes the connection.
#  connection 2: CONNACK session present, Receive Maximum 2. It expects the
#    10 re-sent (DUP) PUBLISH, acknowledges one (9 left in flight: nothing new
#    may come), then the other 9 (0 in flight: exactly 2 new ones may come),
#    then one more (1 in flight: exactly 1 more).
. "$(dirname "$0")/../lib.sh"
need /usr/bin/python3

PORT=19144
/usr/bin/python3 - "$PORT" "$(dirname "$0")" >"$T_TMP/fake.out" 2>&1 <<'PY' &
import socket, sys, time

port = int(sys.argv[1])
sys.path.insert(0, sys.argv[2])
from mqtt_wire import varint
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(4)
ls.settimeout(20)

class Conn:
    def __init__(self, s):
        self.s, self.buf = s, b""
    def packet(self, timeout):
        """(type, flags, body) or None when nothing complete came in time."""
        end = time.time() + timeout
        while True:
            if len(self.buf) >= 2:
                rl, mul, i = 0, 1, 1
                while i < len(self.buf) and i <= 4:
                    b = self.buf[i]; rl += (b & 0x7F) * mul; mul *= 128; i += 1
                    if not b & 0x80:
                        if len(self.buf) >= i + rl:
                            h, body = self.buf[0], self.buf[i:i + rl]
                            self.buf = self.buf[i + rl:]
                            return h >> 4, h & 0x0F, body
                        break
            left = end - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return None
            if not d:
                return None
            self.buf += d
    def publishes(self, timeout):
        """PUBLISH packets (pid, dup) that arrive within timeout."""
        got = []
        while True:
            p = self.packet(timeout)
            if p is None:
                return got
            t, fl, body = p
            if t == 3:
                tl = int.from_bytes(body[0:2], "big")
                got.append((int.from_bytes(body[2 + tl:4 + tl], "big"), bool(fl & 8)))
    def send(self, b):
        self.s.sendall(b)

def connack(session_present, receive_max):
    props = b"\x21" + receive_max.to_bytes(2, "big")  # Receive Maximum
    body = bytes([1 if session_present else 0, 0]) + varint(len(props)) + props
    return b"\x20" + varint(len(body)) + body

def puback(pid):
    return b"\x40\x02" + pid.to_bytes(2, "big")

def connect(c):
    p = c.packet(10)
    assert p and p[0] == 1, "no CONNECT"

s1, _ = ls.accept(); c1 = Conn(s1)
connect(c1)
c1.send(connack(False, 10))
first = c1.publishes(1.5)
print("conn1 publishes", len(first))
s1.close()

s2, _ = ls.accept(); c2 = Conn(s2)
connect(c2)
c2.send(connack(True, 2))
resent = c2.publishes(1.0)
print("conn2 resent", len(resent), "dup", sum(d for _, d in resent),
      "same ids", sorted(p for p, _ in resent) == sorted(p for p, _ in first))
c2.send(puback(resent[0][0]))
print("after 1 ack (9 in flight)", len(c2.publishes(1.0)))
for pid, _ in resent[1:]:
    c2.send(puback(pid))
new = c2.publishes(1.0)
print("after all acks (0 in flight)", len(new), "dup", sum(d for _, d in new))
if new:
    c2.send(puback(new[0][0]))
print("after 1 more ack (1 in flight)", len(c2.publishes(1.0)))
s2.close()
PY
FAKE_PID=$!
track "$FAKE_PID"
sleep 0.3

"$MQLB" bench pub -h 127.0.0.1 -p "$PORT" -c 1 -q 1 -V 5 -F 10 -C false -I 20 -L 200 \
	--reconnect --duration 12 --quiet --prefix rmax >"$T_TMP/bench.out" 2>&1 &
BENCH_PID=$!
track "$BENCH_PID"
wait "$FAKE_PID"
kill -INT "$BENCH_PID" 2>/dev/null
wait "$BENCH_PID" 2>/dev/null
out=$(cat "$T_TMP/fake.out")
is "$(grep '^conn1' <<<"$out")" "conn1 publishes 10" "first session: 10 PUBLISH in flight (-F 10, Receive Maximum 10)"
is "$(grep '^conn2' <<<"$out")" "conn2 resent 10 dup 10 same ids True" "resumed: the 10 re-sent with DUP and their ids"
is "$(grep '^after 1 ack' <<<"$out")" "after 1 ack (9 in flight) 0" "Receive Maximum 2, 9 in flight: nothing new"
is "$(grep '^after all acks' <<<"$out")" "after all acks (0 in flight) 2 dup 0" "0 in flight: exactly 2 new"
is "$(grep '^after 1 more ack' <<<"$out")" "after 1 more ack (1 in flight) 1" "one acknowledged: exactly 1 more"
[ -n "$(grep -v '^conn\|^after' <<<"$out")" ] && sed 's/^/#   /' "$T_TMP/fake.out"
done_testing
