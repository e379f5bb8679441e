#!/usr/bin/env bash
# QoS 2 exactly-once accounting (MQTT 3.1.1 and 5.0 §4.3.3): a QoS 2 PUBLISH
# that arrives again with a packet id still awaiting its PUBREL is the same
# message, re-sent by the protocol; the receiver acknowledges it (PUBREC) and
# does not deliver it again. mqlb bench must not count it as a duplicate.
#  1. real mosquitto, persistent sessions (-C false, --reconnect): a
#     man-in-the-middle drops a subscriber's PUBREC and cuts the connection;
#     after the reconnect mosquitto re-sends that PUBLISH with DUP=1 (its log
#     says so). Counted as a QoS 2 re-send, not a duplicate; nothing lost.
#  2. a scripted broker on one connection: PUBLISH pid 7, again pid 7 before
#     PUBREL (discarded, PUBREC again), PUBREL/PUBCOMP, then pid 7 again with
#     the same MQLB seq (a new delivery of the same message: a real duplicate),
#     QoS 1 twice (at least once: a real duplicate).
. "$(dirname "$0")/../lib.sh"
need mosquitto
jget() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$1" "$2"; }

BROKER=19141 FAKE=19142
start_mosquitto $BROKER "log_type all" "max_queued_messages 10000" || exit 1

# mitm PORT LOG TYPE: a man in the middle on PORT in front of the broker:
# forwards both ways; on a client->broker packet of TYPE (3 PUBLISH, 5 PUBREC, 6 PUBREL)
# it drops that packet and closes both sides, at most 2 times, >= 1.5 s apart.
mitm() {
/usr/bin/python3 - "$1" "$BROKER" 2 "$2" "$3" <<'PY' &
import socket, sys, threading, time
listen, up, maxcuts, logf = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
drop = int(sys.argv[5])
names = {3: "PUBLISH", 5: "PUBREC", 6: "PUBREL"}
state = {"cuts": 0, "last": 0.0}
lock = threading.Lock()
def log(s):
    with open(logf, "a") as f:
        f.write(s + "\n")
def split(buf):
    out = []
    while True:
        n, i, rl, mul, done = len(buf), 1, 0, 1, False
        while i < n and i <= 4:
            b = buf[i]; rl += (b & 0x7F) * mul; mul <<= 7; i += 1
            if not b & 0x80:
                done = True
                break
        if not done or n < i + rl:
            return out, buf
        out.append(buf[:i + rl]); buf = buf[i + rl:]
def close(*ss):
    for s in ss:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def b2c(b, c):
    try:
        while True:
            d = b.recv(65536)
            if not d:
                break
            c.sendall(d)
    except OSError:
        pass
    close(b, c)
def c2b(c, b):
    buf = b""
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            pks, buf = split(buf + d)
            for pk in pks:
                if pk[0] >> 4 == drop:
                    with lock:
                        cut = state["cuts"] < maxcuts and time.time() - state["last"] > 1.5
                        if cut:
                            state["cuts"] += 1; state["last"] = time.time()
                    if cut:
                        pid = " pid %d" % int.from_bytes(pk[2:4], "big") if drop != 3 else ""
                        log("cut: dropped %s%s" % (names[drop], pid))
                        close(c, b)
                        return
                b.sendall(pk)
    except OSError:
        pass
    close(c, b)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", listen)); s.listen(64); s.settimeout(40)
try:
    while True:
        c, _ = s.accept()
        b = socket.create_connection(("127.0.0.1", up))
        threading.Thread(target=c2b, args=(c, b), daemon=True).start()
        threading.Thread(target=b2c, args=(b, c), daemon=True).start()
except Exception:
    pass
PY
track $!
wait_port 127.0.0.1 "$1" 5 || { echo "# MITM did not start"; exit 1; }
}

for v in 5 4; do
	MITM=$((19143 + v)) # 19148 (5.0), 19147 (3.1.1)
	mitm $MITM "$T_TMP/mitm.log" 5
	: >"$T_TMP/mitm.log"
	: >"$MOSQ_LOG"
	"$MQLB" bench run -p $MITM -V $v --pubs 1 --subs 2 -q 2 -I 20 --duration 5 -C false \
		--reconnect --drain 3 --prefix "q2v$v" --quiet --json "$T_TMP/r$v.json" \
		>"$T_TMP/r$v.txt" 2>&1
	is "$?" 0 "MQTT $v: bench run through the cutting MITM exits 0"
	sed 's/^/# /' "$T_TMP/r$v.txt"
	sed 's/^/# mitm: /' "$T_TMP/mitm.log"
	cuts=$(grep -c '^cut' "$T_TMP/mitm.log")
	resent=$(grep -c "Sending PUBLISH to q2v${v}.* (d1, q2" "$MOSQ_LOG")
	diag "MQTT $v: $cuts cuts, mosquitto re-sent $resent QoS 2 PUBLISH with DUP=1"
	cmp_ok "$cuts" -ge 1 "MQTT $v: the MITM cut a subscriber after it sent PUBREC"
	cmp_ok "$resent" -ge 1 "MQTT $v: mosquitto re-sent a QoS 2 PUBLISH with DUP=1 after the reconnect"
	cmp_ok "$(jget "$T_TMP/r$v.json" reconnects)" -ge 1 "MQTT $v: the subscriber reconnected"
	is "$(jget "$T_TMP/r$v.json" duplicates)" 0 "MQTT $v: no duplicates counted (exactly once)"
	is "$(jget "$T_TMP/r$v.json" qos2_resent)" "$resent" \
		"MQTT $v: every re-sent QoS 2 PUBLISH counted as a re-send (mosquitto's log)"
	e=$(jget "$T_TMP/r$v.json" expected)
	is "$(jget "$T_TMP/r$v.json" unique)" "$e" "MQTT $v: unique == expected ($e)"
	is "$(jget "$T_TMP/r$v.json" received)" "$e" "MQTT $v: received == expected (re-sends not delivered)"
	is "$(jget "$T_TMP/r$v.json" lost)" 0 "MQTT $v: nothing lost"
done

# 1b. the publisher's side of the same session rule (3.1.1 §4.4, 5.0 §4.4): the
#     MITM drops a publisher's PUBREL and cuts it; on the resumed session the
#     publisher must send that PUBREL again (and, when a PUBLISH is dropped,
#     re-send it with DUP=1), never reuse a packet id the broker still holds.
for run in 5:6 4:6 5:3; do
	v=${run%:*} drop=${run#*:}
	case $run in 5:6) MITM=19150 ;; 4:6) MITM=19149 ;; 5:3) MITM=19153 ;; esac
	mitm $MITM "$T_TMP/mitmp.log" "$drop"
	: >"$T_TMP/mitmp.log"
	"$MQLB" bench run -p $MITM -V $v --pubs 1 --subs 2 -q 2 -I 20 --duration 5 -C false \
		--reconnect --drain 3 --prefix "p${drop}v$v" --quiet --json "$T_TMP/p$v.json" \
		>"$T_TMP/p$v.txt" 2>&1
	is "$?" 0 "MQTT $v, publisher cut: bench run exits 0"
	sed 's/^/# /' "$T_TMP/p$v.txt"
	sed 's/^/# mitm: /' "$T_TMP/mitmp.log"
	cmp_ok "$(grep -c '^cut' "$T_TMP/mitmp.log")" -ge 1 "MQTT $v: the MITM cut the publisher at a PUBLISH/PUBREL"
	if [ "$drop" = 3 ]; then
		cmp_ok "$(jget "$T_TMP/p$v.json" publish_resent)" -ge 1 \
			"MQTT $v: the unacknowledged PUBLISH was re-sent (DUP=1) on the resumed session"
	fi
	cmp_ok "$(jget "$T_TMP/p$v.json" reconnects)" -ge 1 "MQTT $v: the publisher reconnected"
	e=$(jget "$T_TMP/p$v.json" expected)
	is "$(jget "$T_TMP/p$v.json" unique)" "$e" "MQTT $v, publisher cut: unique == expected ($e)"
	is "$(jget "$T_TMP/p$v.json" lost)" 0 "MQTT $v, publisher cut: nothing lost"
	is "$(jget "$T_TMP/p$v.json" duplicates)" 0 "MQTT $v, publisher cut: no duplicates"
done

# 2. scripted broker, one connection, MQTT 5
/usr/bin/python3 - "$FAKE" "$T_TMP/fake.log" <<'PY' &
import socket, struct, sys, time
port, logf = int(sys.argv[1]), sys.argv[2]
def hdr(seq):
    now = time.time_ns()
    return b"MQLB" + bytes([1, 0]) + struct.pack(">IQQQ", 1, seq, now, now) + bytes(30)
def publish(pid, seq, qos, dup=False):
    body = struct.pack(">H", 10) + b"bench/test" + struct.pack(">H", pid) + b"\x00" + hdr(seq)
    return bytes([0x30 | qos << 1 | (8 if dup else 0), len(body)]) + body
def rel(pid):
    return b"\x62\x02" + struct.pack(">H", pid)
names = {4: "PUBACK", 5: "PUBREC", 7: "PUBCOMP"}
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(4); s.settimeout(20)
seen = []
buf = b""
while True:  # wait_port's probe connects and closes: skip it
    c, _ = s.accept(); c.settimeout(5)
    first = c.recv(1000)
    if first:
        break
    c.close()
def expect():  # one 4-byte ack from the client
    global buf
    while len(buf) < 4:
        buf += c.recv(100)
    pk, buf = buf[:4], buf[4:]
    seen.append("%s %d" % (names.get(pk[0] >> 4, hex(pk[0])), int.from_bytes(pk[2:4], "big")))
try:
    c.sendall(b"\x20\x03\x00\x00\x00")       # CONNACK
    c.recv(1000)                             # SUBSCRIBE pid 1
    c.sendall(b"\x90\x04\x00\x01\x00\x02")   # SUBACK QoS 2
    c.sendall(publish(7, 0, 2)); expect()
    c.sendall(publish(7, 0, 2, True)); expect()  # same pid before PUBREL: same message
    c.sendall(rel(7)); expect()
    c.sendall(publish(7, 0, 2)); expect()         # after PUBCOMP: a new delivery
    c.sendall(rel(7)); expect()
    c.sendall(publish(8, 1, 2)); expect()
    c.sendall(rel(8)); expect()
    c.sendall(publish(9, 2, 1)); expect()
    c.sendall(publish(9, 2, 1, True)); expect()
    time.sleep(3)
except Exception as e:
    seen.append("error: %r" % e)
open(logf, "w").write(", ".join(seen) + "\n")
PY
track $!
wait_port 127.0.0.1 $FAKE 5 || { echo "# fake broker did not start"; exit 1; }
"$MQLB" bench sub -p $FAKE -c 1 -q 2 --drain 1 --quiet --json "$T_TMP/fake.json" >"$T_TMP/fake.txt" 2>&1
is "$?" 0 "scripted broker: bench sub exits 0"
sed 's/^/# /' "$T_TMP/fake.txt"
for _ in $(seq 50); do [ -s "$T_TMP/fake.log" ] && break; sleep 0.1; done
is "$(cat "$T_TMP/fake.log")" \
	"PUBREC 7, PUBREC 7, PUBCOMP 7, PUBREC 7, PUBCOMP 7, PUBREC 8, PUBCOMP 8, PUBACK 9, PUBACK 9" \
	"scripted broker: every PUBLISH acknowledged, the re-send with PUBREC (§4.3.3)"
is "$(jget "$T_TMP/fake.json" received)" 5 "scripted broker: 5 deliveries (the re-send before PUBREL is not one)"
is "$(jget "$T_TMP/fake.json" duplicates)" 2 "scripted broker: 2 duplicates (seq 0 after PUBCOMP, QoS 1 twice)"
is "$(jget "$T_TMP/fake.json" qos2_resent)" 1 "scripted broker: 1 QoS 2 re-send discarded"
is "$(jget "$T_TMP/fake.json" unique)" 3 "scripted broker: 3 distinct messages (seq 0, 1, 2)"
done_testing
