# Hostile input against the proxy (loopback, ports 19440-19449), a real
# mosquitto behind it: non-MQTT bytes, malformed CONNECTs (answered with the
# right CONNACK code where the protocol has one), an unsupported protocol
# level (MQTT 3.1 is passed to the broker),
# oversized CONNECTs, silent and slow clients (closed after the 5 s CONNECT
# timeout), clients that leave early, a flood of 500 half-open connections,
# and --max-connections. Everything is counted by reason in the status JSON,
# and a normal client still works afterwards.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto mosquitto_pub $PY

start_mosquitto 19441 || exit 1
px_start hx 127.0.0.1:19440 --backend 127.0.0.1:19441 --scheduler rr --threads 2 \
	--health-interval 0 || exit 1
DPID=$PX_PID
raw() { $PY "$PX_DIR/proxy_raw.py" 127.0.0.1 19440 "$@"; }
rej() { px_get hx "j['proxy']['rejects']['$1']"; }

# the silent / slow ones first, in the background: their 5 s run meanwhile
raw none --wait 8 >"$T_TMP/silent.out" &
S1=$!
raw 100c0004 --wait 8 >"$T_TMP/slow.out" &
S2=$!
# 500 half-open connections (nothing sent), held 7 s, bounded
$PY - >"$T_TMP/flood.out" 2>&1 <<'EOF' &
import socket, time
s = []
for i in range(500):
    try:
        s.append(socket.create_connection(("127.0.0.1", 19440), timeout=2))
    except OSError as e:
        print("connect failed", e)
print("open", len(s), flush=True)
time.sleep(7)
closed = 0
for c in s:
    c.settimeout(0.5)
    try:
        if c.recv(1) == b"":
            closed += 1
    except OSError:
        closed += 1
print("closed by proxy", closed, flush=True)
EOF
FL=$!
track $S1 $S2 $FL
for ((k = 0; k < 100; k++)); do grep -q '^open' "$T_TMP/flood.out" && break; sleep 0.05; done
is "$(head -1 "$T_TMP/flood.out")" "open 500" "500 half-open connections accepted"
ok "a normal client works during the flood" mosquitto_pub -h 127.0.0.1 -p 19440 -i normal1 -t px/h -m x -q 1

v=$(raw 474554202f20485454502f312e300d0a0d0a)
ok "HTTP instead of MQTT: closed, nothing sent back ($v)" test "${v%% *}" = "-"
is "$(raw 100d00044d5154540503003c000000)" "2003008100 eof" \
	"5.0 CONNECT with the reserved flag set: CONNACK 0x81 Malformed Packet"
is "$(raw 100c00044d5154540403003c0000)" "- eof" "3.1.1 malformed CONNECT: closed without CONNACK (3.1.1 §4.8)"
is "$(raw 100c00044d5154540400003c0000)" "20020002 eof" \
	"3.1.1 empty ClientID without clean session: return code 2 (identifier rejected)"
is "$(raw 100c00044d5154540602003c0000)" "20020001 eof" "protocol level 6: return code 1 (unacceptable version)"
# MQTT 3.1 is passed (issue 13): the broker judges this one (an empty ClientID,
# which 3.1 does not allow: mosquitto answers return code 2)
is "$(raw 100e00064d51497364700302003c0000)" "20020002 eof" \
	"MQTT 3.1 (MQIsdp), empty ClientID: passed; the broker answers return code 2"
is "$(raw big5:100000 --wait 3)" "2003009500 eof" "5.0 CONNECT of 100000 bytes: CONNACK 0x95 Packet too large"
v=$(raw big:70000 --wait 3)
ok "3.1.1 CONNECT of 70000 bytes: closed without CONNACK ($v)" test "${v%% *}" = "-"
raw 10 --shut --wait 1 >/dev/null
raw none --shut --wait 1 >/dev/null

wait $S1 $S2
is "$(cat "$T_TMP/silent.out")" "- eof" "a silent client is closed after the timeout"
is "$(cat "$T_TMP/slow.out")" "- eof" "a slow client (4 bytes of a CONNECT) is closed after the timeout"
wait $FL
is "$(tail -1 "$T_TMP/flood.out")" "closed by proxy 500" "the proxy closed all 500 half-open connections"

ok "a normal client works afterwards" mosquitto_pub -h 127.0.0.1 -p 19440 -i normal2 -t px/h -m x -q 1
ok "the director is still running" kill -0 $DPID
px_json hx | $PY -c 'import json,sys; print("# rejects:", json.load(sys.stdin)["proxy"]["rejects"])'
is "$(rej not_mqtt)" 1 "counted: not_mqtt 1"
is "$(rej malformed)" 3 "counted: malformed 3"
is "$(rej unsupported_version)" 1 "counted: unsupported_version 1 (level 6; 3.1 passes)"
is "$(rej too_large)" 2 "counted: too_large 2"
is "$(rej timeout)" 502 "counted: timeout 502"
is "$(rej closed_early)" 2 "counted: closed_early 2"
is "$(px_get hx 'j["proxy"]["open_connections"]')" 0 "no connection left open"
is "$(px_get hx 'j["backends"][0]["total_connections"]')" 3 \
	"only the 2 normal clients and the MQTT 3.1 one reached the broker"
ok "refusals were logged (rate-limited)" grep -q "refused: timeout" "$T_TMP/hx.log"
n=$(grep -c "refused" "$T_TMP/hx.log")
cmp_ok "$n" -lt 100 "... at most a few lines per second ($n lines for 511 refusals)"

# --max-connections
px_start hm 127.0.0.1:19442 --backend 127.0.0.1:19441 --scheduler lc --threads 1 \
	--health-interval 0 --max-connections 20 || exit 1
hold m 127.0.0.1 19442 25 --prefix maxc
is "$HOLD_READY" "ready 20 5" "--max-connections 20: 20 clients in, 5 refused"
is "$(px_get hm 'j["proxy"]["rejects"]["limit"]')" 5 "counted: limit 5"
release m
sleep 0.3
ok "after they leave, a client gets in again" mosquitto_pub -h 127.0.0.1 -p 19442 -i after -t px/h -m x
done_testing
