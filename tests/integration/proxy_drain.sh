#!/usr/bin/env bash
# Graceful drain of the proxy (loopback, ports 19870-19879, no root). Behind
# it a scripted broker on a slow link: it answers CONNECT and SUBSCRIBE, then
# sends each subscriber 10000-byte PUBLISHes in 1000-byte pieces 5 ms apart,
# so the broker-to-client stream is inside a packet most of the time (a
# DISCONNECT written at a random moment would cut one). 12 MQTT 5 and 8 MQTT
# 3.1.1 subscribers; SIGTERM with --drain-time 4s:
#   - new connections are refused at once;
#   - the 20 connections close spread over the 4 s, not at once;
#   - every MQTT 5 client's last packet is a DISCONNECT 0x9C (Use another
#     server) with the --server-reference, and its stream parses packet by
#     packet up to it (never cut inside a PUBLISH); 3.1.1 clients see a close;
#   - the director exits 0 once drained and says how many it closed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need $PY

$PY - <<'PYEOF' &
import socket, threading, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 19871))
l.listen(64)
def packet(s):  # one whole MQTT packet (fixed header, remaining length, body)
    h = s.recv(2, socket.MSG_WAITALL)
    n, mul, b = 0, 1, h[1]
    while True:
        n += (b & 0x7F) * mul
        mul *= 128
        if not b & 0x80:
            break
        b = s.recv(1)[0]
    return h[0], s.recv(n, socket.MSG_WAITALL) if n else b""
def serve(s):
    try:
        t, body = packet(s)
        v5 = body[6] == 5
        s.sendall(b"\x20\x03\x00\x00\x00" if v5 else b"\x20\x02\x00\x00")
        t, body = packet(s)
        s.sendall(b"\x90\x04" + body[:2] + b"\x00\x00" if v5 else b"\x90\x03" + body[:2] + b"\x00")
        topic = b"drain/t"
        rem = 2 + len(topic) + (1 if v5 else 0) + 10000
        pub = bytes([0x30, rem & 0x7F | 0x80, rem >> 7]) + len(topic).to_bytes(2, "big") + topic
        pub += (b"\x00" if v5 else b"") + bytes(10000)
        while True:
            for i in range(0, len(pub), 1000):
                s.sendall(pub[i:i + 1000])
                time.sleep(0.005)
    except (OSError, IndexError):  # the client went (wait_port's probe, the drain)
        pass
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
track $!
wait_port 127.0.0.1 19871 5 || { echo "Bail out! the scripted broker did not start"; exit 1; }
px_start dr 127.0.0.1:19870 --backend 127.0.0.1:19871 --threads 2 --health-interval 0 \
	--drain-time 4s --server-reference mqtt-b.example:1883 || exit 1
DPID=$PX_PID

# 20 subscribers; each prints a JSON line when its connection ends
$PY - >"$T_TMP/subs.out" 2>&1 <<'PYEOF' &
import json, selectors, socket, time
def connect(i, v5):
    cid = ("d5-%d" if v5 else "d3-%d") % i
    body = b"\x00\x04MQTT" + (b"\x05\x02\x00\x3c\x00" if v5 else b"\x04\x02\x00\x3c")
    body += len(cid).to_bytes(2, "big") + cid.encode()
    s = socket.create_connection(("127.0.0.1", 19870), timeout=5)
    s.sendall(bytes([0x10, len(body)]) + body)
    topic = b"drain/t"
    sub = b"\x00\x01" + (b"\x00" if v5 else b"") + len(topic).to_bytes(2, "big") + topic + b"\x00"
    s.sendall(bytes([0x82, len(sub)]) + sub)
    return s
conns = {}
for i in range(20):
    v5 = i % 5 < 3  # interleaved: the drain closes the newest first
    s = connect(i, v5)
    conns[s] = {"id": i, "v5": v5, "buf": bytearray(), "pubs": 0, "last": None, "bad": "",
                "ref": "", "need": 0}
print("ready", flush=True)
sel = selectors.DefaultSelector()
for s in conns:
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
def parse(c):
    b = c["buf"]
    while len(b) >= 2:
        n, mul, k = 0, 1, 1
        while True:
            if k >= len(b):
                c["buf"] = b
                return
            n += (b[k] & 0x7F) * mul
            mul *= 128
            k += 1
            if not b[k - 1] & 0x80:
                break
        if len(b) < k + n:
            c["need"] = k + n  # parse again only once the packet is all here
            break
        t, body = b[0] >> 4, b[k:k + n]
        if t == 3:
            tl = int.from_bytes(body[:2], "big")
            if body[2:2 + tl] != b"drain/t":
                c["bad"] = "topic %r" % body[2:2 + tl][:20]
            c["pubs"] += 1
        elif t == 14:
            c["reason"] = body[:1].hex()
            if len(body) > 5 and body[2] == 0x1C:
                rl = int.from_bytes(body[3:5], "big")
                c["ref"] = body[5:5 + rl].decode()
        c["last"] = t
        b = b[k + n:]
    c["need"] = 0
    c["buf"] = b
deadline = time.time() + 40
while conns and time.time() < deadline:
    for key, _ in sel.select(0.5):
        s = key.fileobj
        c = conns[s]
        try:
            d = s.recv(1 << 20)
        except BlockingIOError:
            continue
        except OSError:
            d = b""
        if d:
            c["buf"] += d
            if len(c["buf"]) >= c["need"]:
                parse(c)
            continue
        sel.unregister(s)
        del conns[s]
        print(json.dumps({"id": c["id"], "v5": c["v5"], "pubs": c["pubs"], "last": c["last"],
                          "reason": c.get("reason", ""), "ref": c["ref"], "bad": c["bad"],
                          "rest": len(c["buf"]), "t": time.time()}), flush=True)
PYEOF
SUBS=$!
track $SUBS
for ((k = 0; k < 100; k++)); do grep -q ready "$T_TMP/subs.out" && break; sleep 0.05; done
sleep 1.5
t0=$(date +%s.%N)
kill -TERM "$DPID"
sleep 0.3
ok "new connections are refused once the drain began" bash -c '! (exec 3<>/dev/tcp/127.0.0.1/19870) 2>/dev/null'
for ((k = 0; k < 160; k++)); do
	st=$(awk '{print $3}' "/proc/$DPID/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] || break
	sleep 0.05
done
t1=$(date +%s.%N)
wait "$DPID"
is "$?" 0 "the director exits 0 after the drain"
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
cmp_ok "${took%.*}" -ge 3 "it took about the drain time ($took s)"
cmp_ok "${took%.*}" -le 6 "... and not much more"
wait $SUBS
res() { $PY -c "import json,sys; r=[json.loads(l) for l in open('$T_TMP/subs.out') if l.startswith('{')]; t0=$t0; print($1)"; }
is "$(res 'len(r)')" 20 "all 20 connections were closed"
is "$(res 'sum(1 for x in r if x["v5"] and x["last"] == 14 and x["reason"] == "9c")')" 12 \
	"12 of 12 MQTT 5 clients got a DISCONNECT 0x9C (Use another server) last"
is "$(res 'sum(1 for x in r if x["v5"] and x["ref"] == "mqtt-b.example:1883")')" 12 \
	"... with the Server Reference mqtt-b.example:1883"
is "$(res 'sum(1 for x in r if x["v5"] and (x["bad"] or x["rest"]))')" 0 \
	"every MQTT 5 stream parses packet by packet to its end (the DISCONNECT cut no PUBLISH)"
cmp_ok "$(res 'min(x["pubs"] for x in r)')" -ge 5 "every client was receiving PUBLISHes until its turn"
is "$(res 'sum(1 for x in r if not x["v5"] and x["reason"] == "")')" 8 \
	"the 3.1.1 clients just saw a close (3.1.1 has no DISCONNECT from the server)"
first=$(res '"%.1f" % min(x["t"] - t0 for x in r)')
last=$(res '"%.1f" % max(x["t"] - t0 for x in r)')
early=$(res 'sum(1 for x in r if x["t"] - t0 < 1.0)')
diag "closes from $first s to $last s after SIGTERM, $early in the first second"
cmp_ok "$early" -le 8 "not all at once: at most 8 of 20 in the first second ($early)"
cmp_ok "$(res 'int(10 * (max(x["t"] for x in r) - min(x["t"] for x in r)))')" -ge 25 \
	"spread over at least 2.5 s ($first .. $last s)"
cmp_ok "${last%.*}" -le 4 "... within the 4 s drain time"
ok "the log says what the drain did" grep -q "drained: 20 connections closed, 12 of them after a DISCONNECT 0x9C" "$T_TMP/dr.log"
out=$("$MQLB" director run --dataplane proxy --listen 127.0.0.1:19879 --backend 127.0.0.1:19871 --server-reference x:1 2>&1)
is "$?" 2 "--server-reference without --drain-time: exit 2 ($(head -1 <<<"$out"))"
out=$("$MQLB" director run --dataplane proxy --listen 127.0.0.1:19879 --backend 127.0.0.1:19871 --drain-time 2h 2>&1)
is "$?" 2 "--drain-time 2h: exit 2 ($(head -1 <<<"$out"))"
[ "$T_FAIL" -gt 0 ] && sed 's/^/#   director: /' "$T_TMP/dr.log"
done_testing
