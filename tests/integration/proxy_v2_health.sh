#!/usr/bin/env bash
# Health checks to a PROXY v2 backend: its probes start with a v2 LOCAL header
# (the balancer's own connection; proxy-protocol.txt §2.2) and then speak
# CONNECT -> CONNACK, so --backend ADDR,send-proxy-v2 works with health checks
# on. One director (loopback, ports 19986-19989 and 19979, no root), two backends:
#   - backend 1: HAProxy (bind ... accept-proxy) in front of a mosquitto: its
#     probes pass through HAProxy (LOCAL: HAProxy keeps the real address) to
#     the broker, and it stays healthy; HAProxy killed: DOWN; restarted: UP;
#   - backend 2: a plain mosquitto 2.0 in the same director: plain probes
#     (a header would be a malformed packet to it), healthy throughout.
# Then a director with the global --send-proxy-v2 and health checks on.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto mosquitto_pub haproxy $PY

start_mosquitto 19986 "log_type all" || exit 1
LOG1=$MOSQ_LOG
start_mosquitto 19988 "log_type all" || exit 1
LOG2=$MOSQ_LOG
px_haproxy_accept 19987 19986
start_haproxy() { px_haproxy_start 19987; }
start_haproxy
px_start hv 127.0.0.1:19989 --backend 127.0.0.1:19987,send-proxy-v2 \
	--backend 127.0.0.1:19988 --health-interval 200ms --health-timeout 150ms || exit 1

# state: "healthy effective_weight" of both backends
state() { px_get hv "' '.join('%s/%d' % (b['healthy'], b['effective_weight']) for b in j['backends'])"; }
# wait_state WANT SECONDS: until state says WANT (bounded)
wait_state() {
	local k s
	for ((k = 0; k < $2 * 10; k++)); do
		s=$(state)
		[ "$s" = "$1" ] && break
		sleep 0.1
	done
	echo "$s"
}

sleep 2 # about 10 probe rounds
is "$(state)" "True/1 True/1" "health checks on: both backends healthy after 2 s of 200 ms rounds"
oks=$(px_get hv "j['backends'][0]['health_oks']")
cmp_ok "$oks" -ge 5 "the PROXY v2 backend passed $oks probes in a row (>= 5)"
is "$(px_get hv "j['backends'][0]['health_fails']")" 0 "... and failed none"
n1=$(grep -c "New client connected .* as mqlb-probe-[0-9]*-v2-" "$LOG1")
cmp_ok "$n1" -ge 5 "the broker behind HAProxy saw $n1 probe sessions (LOCAL header + CONNECT)"
is "$(grep -c '^client=127\.0\.0\.1:' "$T_TMP/haproxy.log")" "$(grep -c '^client=' "$T_TMP/haproxy.log")" \
	"HAProxy logged the probes from the director's real address (LOCAL keeps it)"
ok "HAProxy refused no header" sh -c "! grep -Eiq 'does not look like a PROXY|PROXY protocol error|handshake' '$T_TMP/haproxy.log'"
n2=$(grep -c "New client connected .* as mqlb-probe-[0-9]*-[0-9]* " "$LOG2")
cmp_ok "$n2" -ge 5 "the plain mosquitto got $n2 plain probes"
is "$(grep -c "as mqlb-probe-[0-9]*-v2-" "$LOG2")" 0 "... and no LOCAL-header probe"
ok "... and logged no bad packet" sh -c "! grep -Eiq 'protocol error|malformed|bad packet' '$LOG2'"

fails=0
for i in 1 2 3 4; do
	mosquitto_pub -A 127.0.0.9 -h 127.0.0.1 -p 19989 -i "d7-hv-$i" -t d7/hv -m x -q 1 \
		>>"$T_TMP/pub.out" 2>&1 || fails=$((fails + 1))
done
is "$fails" 0 "4 client sessions through the director succeed"
is "$(grep -c '^client=127\.0\.0\.9:' "$T_TMP/haproxy.log")" 2 \
	"HAProxy still got the client's address (127.0.0.9) for its 2 sessions"

kill "$HAP_PID"
t0=$(date +%s%N)
s=$(wait_state "False/0 True/1" 5)
t1=$(date +%s%N)
is "$s" "False/0 True/1" "HAProxy killed: the PROXY v2 backend goes DOWN in $(((t1 - t0) / 1000000)) ms; the plain one stays UP"
ok "the director logged it DOWN" grep -q "backend 127.0.0.1:19987 is DOWN" "$T_TMP/hv.log"
grep "is DOWN" "$T_TMP/hv.log" | sed 's/^/# /'
fails=0
for i in 5 6 7 8; do
	mosquitto_pub -h 127.0.0.1 -p 19989 -i "d7-hv-$i" -t d7/hv -m x -q 1 \
		>>"$T_TMP/pub.out" 2>&1 || fails=$((fails + 1))
done
is "$fails" 0 "4 more sessions while it is DOWN all succeed (on the plain backend)"
is "$(grep -c "New client connected .* as d7-hv-" "$LOG2")" 6 "... the plain mosquitto has 2 + 4 of them"

start_haproxy
s=$(wait_state "True/1 True/1" 5)
is "$s" "True/1 True/1" "HAProxy back: the PROXY v2 backend is UP again"
ok "the director logged it UP" grep -q "backend 127.0.0.1:19987 is UP" "$T_TMP/hv.log"
ok "director still running" test "$(awk '{print $3}' /proc/$PX_PID/stat)" != Z

# The global flag: every backend gets the header, so every probe starts with LOCAL.
px_start hg 127.0.0.1:19979 --backend 127.0.0.1:19987 --send-proxy-v2 \
	--health-interval 200ms --health-timeout 150ms || exit 1
sleep 1.5
is "$(px_get hg "'%s/%d/%d' % (j['backends'][0]['healthy'], j['backends'][0]['health_oks'] >= 5, j['backends'][0]['health_fails'])")" \
	"True/1/0" "--send-proxy-v2 (all backends) with health checks on: healthy, >= 5 probes passed, none failed"
done_testing
