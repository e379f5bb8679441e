#!/usr/bin/env bash
# PROXY protocol v2 on the proxy dataplane (loopback, ports 19850-19859, no
# root). Mosquitto 2.0 cannot read the header, so the peer that does is HAProxy
# (bind ... accept-proxy, mode tcp, logging the client address it was told)
# forwarding to a real mosquitto:
#   - --send-proxy-v2: a client bound to 127.0.0.9 reaches the broker through
#     mqlb and HAProxy; HAProxy logs 127.0.0.9 and the client's own port;
#   - --accept-proxy: a client that says it is 203.0.113.7:4242 is that client
#     for mqlb (its refusal log names it) and for HAProxy behind it;
#   - a LOCAL header (a balancer's probe) is accepted; a missing header, a v1
#     header, a bad version byte and an oversized one are refused, logged and
#     counted in rejects.proxy_header, and the director keeps serving.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto haproxy $PY

start_mosquitto 19851 || exit 1
px_haproxy_accept 19852 19851
px_haproxy_start 19852
px_start s 127.0.0.1:19850 --backend 127.0.0.1:19852 --send-proxy-v2 --health-interval 0 || exit 1
px_start a 127.0.0.1:19853 --backend 127.0.0.1:19852 --accept-proxy --send-proxy-v2 \
	--health-interval 0 || exit 1

# client PORT HEADER-HEX [SRC-IP] [PAYLOAD-HEX]: connects (from SRC-IP), sends
# HEADER then a CONNECT (or PAYLOAD), prints "<its port> <CONNACK hex or EOF>"
client() {
	$PY - "$@" <<'PYEOF'
import socket, sys
port, hdr = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
src = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else "127.0.0.1"
body = b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x04pv2c"
pkt = bytes.fromhex(sys.argv[4]) if len(sys.argv) > 4 else bytes([0x10, len(body)]) + body
s = socket.socket()
s.settimeout(5)
s.bind((src, 0))
s.connect(("127.0.0.1", port))
s.sendall(hdr + pkt)
ack = b""
try:
    while len(ack) < 4:
        b = s.recv(4 - len(ack))
        if not b:
            break
        ack += b
except OSError:
    pass
print(s.getsockname()[1], ack.hex() or "EOF")
PYEOF
}
SIG=0d0a0d0a000d0a515549540a
v2hdr() { # v2hdr IP PORT: a PROXY v2 TCP4 header from IP:PORT to 127.0.0.1:19853
	$PY -c "import socket,struct,sys; print(('$SIG' + '2111000c' + (socket.inet_aton('$1') + socket.inet_aton('127.0.0.1') + struct.pack('>HH', $2, 19853)).hex()))"
}
hlog() { # hlog PATTERN: HAProxy logged it (<= 5 s)
	local k
	for ((k = 0; k < 100; k++)); do grep -q -- "$1" "$T_TMP/haproxy.log" && return 0; sleep 0.05; done
	return 1
}

# ---- --send-proxy-v2 ----
read -r port ack <<<"$(client 19850 "" 127.0.0.9)"
is "$ack" 20020000 "client -> mqlb --send-proxy-v2 -> HAProxy accept-proxy -> mosquitto: CONNACK accepted"
ok "HAProxy learned the client's address and port from mqlb's header (client=127.0.0.9:$port)" \
	hlog "client=127.0.0.9:$port"
ok "the broker saw the session" grep -q " as pv2c " "$MOSQ_LOG"

# ---- --accept-proxy ----
read -r port ack <<<"$(client 19853 "$(v2hdr 203.0.113.7 4242)")"
is "$ack" 20020000 "a client behind a balancer (v2 header 203.0.113.7:4242) is served"
ok "... and HAProxy behind mqlb hears of 203.0.113.7:4242" hlog "client=203.0.113.7:4242"
read -r port ack <<<"$(client 19853 "$(v2hdr 203.0.113.8 5151)" "" 30020000)"
ok "mqlb's own log names the real client (refusal of 203.0.113.8:5151, not MQTT)" \
	grep -q "client 203.0.113.8:5151 refused: not_mqtt" "$T_TMP/a.log"
read -r port ack <<<"$(client 19853 "${SIG}20000000")"
is "$ack" 20020000 "a LOCAL header (the balancer's own probe) is accepted"

rej() { px_get a "j['proxy']['rejects']['proxy_header']"; }
bad() { # bad MSG HEADER-HEX LOGPATTERN
	local before
	before=$(rej)
	read -r port ack <<<"$(client 19853 "$2")"
	is "$ack" EOF "$1: refused without an answer"
	for ((k = 0; k < 40; k++)); do [ "$(rej)" -gt "$before" ] && break; sleep 0.05; done
	is "$(rej)" $((before + 1)) "$1: counted in rejects.proxy_header"
	ok "$1: logged ($3)" grep -q "refused: proxy_header: $3" "$T_TMP/a.log"
}
bad "no header (a plain CONNECT)" "" "no PROXY protocol v2 header"
bad "a v1 text header" "$(printf 'PROXY TCP4 203.0.113.9 127.0.0.1 5000 19853\r\n' | od -An -tx1 | tr -d ' \n')" \
	"a version 1 (text) header"
bad "version byte 0x31" "${SIG}3111000c000000000000000000000000" "bad version/command byte"
bad "a 60000-byte header" "${SIG}2111ea60" "header longer than we accept"
read -r port ack <<<"$(client 19853 "$(v2hdr 198.51.100.1 1000)")"
is "$ack" 20020000 "the director keeps serving after the refusals"

out=$("$MQLB" director run --listen 127.0.0.1:19859 --backend 127.0.0.1:19851 \
	--accept-proxy --control "$T_TMP/bad.sock" 2>&1)
is "$?" 2 "--accept-proxy on the nft dataplane: exit 2 ($(head -1 <<<"$out"))"
done_testing
