#!/usr/bin/env bash
# A PROXY protocol v2 header to ONE backend (--backend ADDR,send-proxy-v2;
# issue 13): one director, two backends, round robin (loopback, ports
# 19980-19985, no root):
#   - backend 1: HAProxy (bind ... accept-proxy, logging the client address it
#     was told) in front of a mosquitto; it must get the header;
#   - backend 2: a plain mosquitto 2.0, which cannot read the header (a header
#     would be a malformed packet to it); it must not get one.
# Clients bound to 127.0.0.9 (mosquitto_pub -A) all connect; HAProxy logs
# 127.0.0.9 for its half, mosquitto 2 sees the director (127.0.0.1) for the
# other half; status shows send_proxy_v2 per backend; bad spellings exit 2.
# (Health checks to such a backend: proxy_v2_health.sh.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto mosquitto_pub haproxy $PY

start_mosquitto 19981 "log_type all" || exit 1
LOG1=$MOSQ_LOG
start_mosquitto 19983 "log_type all" || exit 1
LOG2=$MOSQ_LOG
px_haproxy_accept 19982 19981
px_haproxy_start 19982
px_start pb 127.0.0.1:19980 --backend 127.0.0.1:19982,send-proxy-v2 \
	--backend 127.0.0.1:19983,weight=1 --health-interval 0 || exit 1

fails=0
for i in 1 2 3 4 5 6 7 8; do
	mosquitto_pub -A 127.0.0.9 -h 127.0.0.1 -p 19980 -i "e5-pb-$i" -t e5/pb -m x -q 1 \
		>>"$T_TMP/pub.out" 2>&1 || fails=$((fails + 1))
done
is "$fails" 0 "8 sessions from 127.0.0.9 through one director to both backends succeed"
sed 's/^/# pub: /' "$T_TMP/pub.out"
n1=$(grep -c "New client connected .* as e5-pb-" "$LOG1")
n2=$(grep -c "New client connected .* as e5-pb-" "$LOG2")
is "$n1 $n2" "4 4" "round robin: 4 sessions behind HAProxy, 4 on the plain mosquitto"
is "$(grep -c '^client=127\.0\.0\.9:' "$T_TMP/haproxy.log")" 4 \
	"HAProxy (accept-proxy) got a header with the client's address (127.0.0.9) for each of its 4"
is "$(grep -c "New client connected from 127.0.0.1:[0-9]* as e5-pb-" "$LOG2")" 4 \
	"the plain mosquitto got no header: 4 clean sessions, from the director's address"
ok "... and logged no bad packet" sh -c "! grep -Eiq 'protocol error|malformed|bad packet' '$LOG2'"
is "$(px_get pb "[b['send_proxy_v2'] for b in j['backends']]")" "[True, False]" \
	"status: send_proxy_v2 per backend"

out=$("$MQLB" director run --listen 127.0.0.1:19985 --backend 127.0.0.1:19983,send-proxy-v2 \
	--control "$T_TMP/bad.sock" 2>&1)
is "$?" 2 "per-backend send-proxy-v2 on the nft dataplane: exit 2 ($(head -1 <<<"$out"))"
out=$("$MQLB" director run --dataplane proxy --listen 127.0.0.1:19985 --health-interval 0 \
	--backend 127.0.0.1:19983,send-proxy-v1 --control "$T_TMP/bad.sock" 2>&1)
is "$?" 2 "a misspelt backend option: exit 2 ($(head -1 <<<"$out"))"
done_testing
