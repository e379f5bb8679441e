# Bytes through the proxy (loopback, ports 19450-19459), real mosquitto and
# real clients: mosquitto_sub/pub (3.1.1 and 5.0), Paho QoS 1/2 flows, 1 MiB
# messages (backpressure through 32 KiB buffers), byte counters in status;
# a half-close passes through (the client still gets its CONNACK); a reset
# passes through both ways; a backend that refuses connections costs one
# retry, not the client.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto mosquitto_sub mosquitto_pub $PY

start_mosquitto 19451 || exit 1
BLOG=$MOSQ_LOG
px_start fl 127.0.0.1:19450 --backend 127.0.0.1:19451 --scheduler lc --threads 2 \
	--health-interval 0 || exit 1

for v in mqttv311 mqttv5; do
	mosquitto_sub -h 127.0.0.1 -p 19450 -V $v -i "sub-$v" -t px/flow/$v -q 1 -C 3 -W 10 \
		>"$T_TMP/sub.$v" 2>&1 &
	SP=$!
	track $SP
	for ((k = 0; k < 100; k++)); do grep -q " as sub-$v (" "$BLOG" && break; sleep 0.05; done
	sleep 0.2
	for m in one two three; do
		mosquitto_pub -h 127.0.0.1 -p 19450 -V $v -i "pub-$v" -t px/flow/$v -q 1 -m $m
	done
	wait $SP
	is "$(tr '\n' ' ' <"$T_TMP/sub.$v")" "one two three " "mosquitto_sub/pub $v through the proxy"
done

is "$($PY "$PX_DIR/proxy_paho.py" flow 127.0.0.1 19450 500 1 256)" "received 500 of 500" \
	"Paho 3.1.1: 500 QoS 1 messages of 256 bytes"
is "$($PY "$PX_DIR/proxy_paho.py" flow 127.0.0.1 19450 200 2 1000 v5)" "received 200 of 200" \
	"Paho 5.0: 200 QoS 2 messages of 1000 bytes"
before=$(px_get fl 'j["backends"][0]["bytes_in"]')
is "$($PY "$PX_DIR/proxy_paho.py" flow 127.0.0.1 19450 16 1 1048576)" "received 16 of 16" \
	"Paho: 16 QoS 1 messages of 1 MiB (backpressure, bounded buffers)"
after_in=$(px_get fl 'j["backends"][0]["bytes_in"]')
after_out=$(px_get fl 'j["backends"][0]["bytes_out"]')
cmp_ok "$((after_in - before))" -ge $((16 * 1048576)) "status bytes_in counts the 16 MiB sent"
cmp_ok "$after_out" -ge $((16 * 1048576)) "status bytes_out counts the 16 MiB delivered"
is "$(px_get fl 'j["proxy"]["open_connections"]')" 0 "every connection closed afterwards"

# half-close: CONNECT then FIN; the broker still answers, then closes
is "$($PY "$PX_DIR/proxy_raw.py" 127.0.0.1 19450 connect4:half --shut --wait 3)" "20020000 eof" \
	"client half-close passes through: CONNACK comes back, then EOF"
# resets both ways, against a fake backend that reports what it sees:
# connection 1: CONNECT/CONNACK, then the CLIENT resets -> the backend must see a reset;
# connection 2: the BACKEND resets after the CONNECT -> the client must see a reset.
$PY - >"$T_TMP/fake.out" 2>&1 <<'EOF' &
import socket, struct
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 19452))
l.listen(4)
l.settimeout(15)
print("listening", flush=True)
c, _ = l.accept()
c.recv(100)
c.sendall(b"\x20\x02\x00\x00")
c.settimeout(5)
try:
    print("backend saw", "eof" if c.recv(100) == b"" else "data", flush=True)
except ConnectionResetError:
    print("backend saw reset", flush=True)
c, _ = l.accept()
c.recv(100)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
EOF
FB=$!
track $FB
for ((k = 0; k < 100; k++)); do grep -q listening "$T_TMP/fake.out" && break; sleep 0.05; done
px_start rb 127.0.0.1:19453 --backend 127.0.0.1:19452 --scheduler rr --threads 1 \
	--health-interval 0 || exit 1
$PY - <<'EOF'
import socket, struct, time
s = socket.create_connection(("127.0.0.1", 19453))
s.sendall(bytes.fromhex("101200044d5154540402003c0006726573657431"))
s.recv(4)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
EOF
for ((k = 0; k < 100; k++)); do grep -q "backend saw" "$T_TMP/fake.out" && break; sleep 0.05; done
is "$(grep "backend saw" "$T_TMP/fake.out")" "backend saw reset" "client RST reaches the backend as a reset"
is "$($PY "$PX_DIR/proxy_raw.py" 127.0.0.1 19453 connect4:victim --wait 3)" "- reset" \
	"backend RST reaches the client as a reset"

# a dead backend (nothing listens on 19459): one retry on the next, clients never notice
px_start rt 127.0.0.1:19454 --backend 127.0.0.1:19459 --backend 127.0.0.1:19451 \
	--scheduler rr --threads 1 --health-interval 0 || exit 1
hold r 127.0.0.1 19454 10 --prefix retry
is "$HOLD_READY" "ready 10 0" "10 clients through rr with one dead backend all connect"
is "$(px_get rt 'j["proxy"]["retries"]')" 10 "each tried the dead one first (rr, no health checks) and was retried once"
is "$(px_get rt 'j["proxy"]["rejects"]["backend_failed"]')" 0 "none failed"
is "$(px_get rt '[b["active_connections"] for b in j["backends"]]')" "[0, 10]" "all 10 live on the healthy one"
release r
done_testing
