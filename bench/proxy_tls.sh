#!/usr/bin/env bash
# bench/proxy_tls.sh — TLS termination: the proxy dataplane (--tls-cert) against
# HAProxy (Debian, mode tcp, bind ... ssl crt) with the same certificate (EC
# P-256, made here by openssl), both forwarding to the plain listener of one
# mosquitto; "direct" is that mosquitto's own TLS listener. Same run,
# interleaved rounds, loopback ports 19840-19849, no root. The client is
# build/rel/bench/tls_client (mqlb bench has no TLS yet): full handshakes, no
# resumption, server authentication only.
#   sessions/s     tls_client hs: $PROCS processes for $HS_SECS s, each a loop of
#                  connect, TLS handshake, CONNECT, CONNACK, DISCONNECT
#   CPU/session    utime+stime of the proxy during that / sessions
#   CPU/message    tls_client loop: one session publishes $MSGS QoS 0 messages to
#                  itself (window 200), each through the proxy twice; proxy
#                  CPU / messages
#   added p99      tls_client loop at 1000 msg/s, 3000 messages: round-trip p99
#                  minus direct's (same round)
# Prints each round, the medians of the rounds whose checks passed (every
# session/message arrived), and the ratios mqlb/HAProxy (targets: sessions/s
# >= 1, CPU per message <= 1). Bounded: every client under timeout -k, ~3 min.
set -u
here=$(cd "$(dirname "$0")" && pwd)
MQLB=${MQLB:-$here/../mqlb}
TLSC=${TLSC:-$here/../build/rel/bench/tls_client}
if ! command -v mosquitto >/dev/null || ! command -v haproxy >/dev/null || ! command -v openssl >/dev/null; then
	echo "proxy tls bench: SKIP (needs mosquitto, haproxy and openssl)"
	exit 0
fi
[ -x "$TLSC" ] || make -C "$here/.." build/rel/bench/tls_client >/dev/null || exit 1
. "$here/../tests/lib.sh"
. "$here/../tests/integration/proxy_tls_certs.bash"
. "$here/lib.sh"
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
PROCS=${PROCS:-16} # 4 measures the session latency (closed loop), not the capacity
HS_SECS=${HS_SECS:-4}
MSGS=${MSGS:-60000}
BROKER=19841 BTLS=19843 PX=19840 HA=19842

C=$T_TMP/certs
tls_certs "$C" || { echo "proxy tls bench: openssl could not make certificates"; exit 1; }
cat "$C/srv.crt" "$C/srv.key" >"$C/srv.pem"
# user root: mosquitto would drop to its own user, which cannot read $T_TMP
start_mosquitto $BROKER "max_queued_messages 100000" "listener $BTLS 127.0.0.1" \
	"certfile $C/srv.crt" "keyfile $C/srv.key" "user root" || exit 1
"$MQLB" director run --dataplane proxy --name pxtls --control "$T_TMP/px.sock" \
	--listen 127.0.0.1:$PX --backend 127.0.0.1:$BROKER --threads "$THREADS" \
	--health-interval 0 --tls-cert "$C/srv.crt" --tls-key "$C/srv.key" >"$T_TMP/px.log" 2>&1 &
PXPID=$!
track $PXPID
haproxy_start $HA $BROKER "$THREADS" "ssl crt $C/srv.pem" "ssl-default-bind-options ssl-min-ver TLSv1.2"
wait_port 127.0.0.1 $PX 5 && wait_port 127.0.0.1 $HA 5 && wait_port 127.0.0.1 $BTLS 5 || {
	echo "proxy tls bench: proxies did not start"
	cat "$T_TMP/px.log" "$T_TMP/haproxy.log" "$MOSQ_LOG"
	exit 1
}
sleep 0.3
echo "proxy tls bench: mqlb $("$MQLB" --version 2>&1 | head -1), $(haproxy -v | head -1), $(openssl version), $THREADS threads each, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}'; }
per() { awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN {printf "%.2f", n ? t / hz * 1e6 / n : 0}'; }

for ((r = 1; r <= ROUNDS; r++)); do
	for t in $(round_order $r); do
		case $t in
		direct) port=$BTLS pid=$MOSQ_PID ;;
		mqlb) port=$PX pid=$PXPID ;;
		haproxy) port=$HA pid=$HAPID ;;
		esac
		idle || echo "round $r $t: the broker/proxies did not go idle within 20 s"
		c0=$(cpu_ticks "$pid")
		out=$(timeout -k 5 $((HS_SECS + 20)) "$TLSC" hs 127.0.0.1 "$port" "$C/ca.crt" "$HS_SECS" "$PROCS")
		rc=$?
		c1=$(cpu_ticks "$pid")
		sps=$(field rate <<<"$out") n=$(field sessions <<<"$out")
		cps=$(per $((c1 - c0)) "$n")
		if [ $rc -ne 0 ] || [ -z "$sps" ]; then
			echo "round $r $t: no sessions figure (rc $rc: $out)"
			sps=- cps=-
		fi
		idle || echo "round $r $t: the broker/proxies did not go idle within 20 s"
		c0=$(cpu_ticks "$pid")
		out=$(timeout -k 5 60 "$TLSC" loop 127.0.0.1 "$port" "$C/ca.crt" "$MSGS" 200 0)
		rc=$?
		c1=$(cpu_ticks "$pid")
		mps=$(field rate <<<"$out") cpm=$(per $((c1 - c0)) "$MSGS")
		if [ $rc -ne 0 ] || [ -z "$mps" ]; then
			echo "round $r $t: no throughput figure (rc $rc: $out)"
			mps=- cpm=-
		fi
		idle || echo "round $r $t: the broker/proxies did not go idle within 20 s"
		out=$(timeout -k 5 40 "$TLSC" loop 127.0.0.1 "$port" "$C/ca.crt" 3000 100000 1000)
		rc=$?
		p50=$(field p50 <<<"$out") p99=$(field p99 <<<"$out")
		if [ $rc -ne 0 ] || [ -z "$p99" ] || [ "$p50" -ge 50000 ]; then
			echo "round $r $t: no latency figure (rc $rc: $out)"
			p50=- p99=-
		fi
		[ $t = direct ] && cps=- cpm=- # the broker's CPU is not a proxy's
		printf 'round %d %-8s %6s sessions/s %7s us CPU/session %7s msg/s %6s us CPU/msg  p50 %5s us  p99 %6s us\n' \
			"$r" "$t" "$sps" "$cps" "$mps" "$cpm" "$p50" "$p99"
		echo "$sps" >>"$T_TMP/sps.$t"
		echo "$cps" >>"$T_TMP/cps.$t"
		echo "$mps" >>"$T_TMP/mps.$t"
		echo "$cpm" >>"$T_TMP/cpm.$t"
		echo "$p99" >>"$T_TMP/p99.$t"
		echo "$r $p99" >>"$T_TMP/p99r.$t"
	done
done
for t in mqlb haproxy; do
	join "$T_TMP/p99r.$t" "$T_TMP/p99r.direct" | awk '$2 != "-" && $3 != "-" {print $2 - $3}' >"$T_TMP/add.$t"
done
echo "medians of $ROUNDS rounds:"
for t in direct mqlb haproxy; do
	printf '  %-8s %6s sessions/s %7s us CPU/session %7s msg/s %6s us CPU/msg  p99 %6s us  added p99 %s us\n' "$t" \
		"$(median <"$T_TMP/sps.$t")" "$(median <"$T_TMP/cps.$t")" "$(median <"$T_TMP/mps.$t")" \
		"$(median <"$T_TMP/cpm.$t")" "$(median <"$T_TMP/p99.$t")" \
		"$([ $t = direct ] && echo - || median <"$T_TMP/add.$t")"
done
missing=$(for f in sps.mqlb sps.haproxy cpm.mqlb cpm.haproxy cps.mqlb cps.haproxy; do median <"$T_TMP/$f"; done | grep -c '^-$')
awk -v ok="$missing" -v ms="$(median <"$T_TMP/sps.mqlb")" -v hs="$(median <"$T_TMP/sps.haproxy")" \
	-v mc="$(median <"$T_TMP/cpm.mqlb")" -v hc="$(median <"$T_TMP/cpm.haproxy")" \
	-v mcs="$(median <"$T_TMP/cps.mqlb")" -v hcs="$(median <"$T_TMP/cps.haproxy")" 'BEGIN {
	if (ok) { print "ratios: not printed (a figure has no round that passed its checks)"; exit }
	printf "ratio mqlb/haproxy: sessions/s %.3f (target >= 1), CPU per message %.3f (target <= 1), CPU per session %.3f\n", ms / hs, mc / hc, mcs / hcs
}'
"$MQLB" director status --json --control "$T_TMP/px.sock" |
	/usr/bin/python3 -c "import json,sys; t=json.load(sys.stdin)['proxy']['tls']; print('  mqlb tls: handshakes %d (1.3: %d), failures %s' % (t['handshakes'], t['tls1_3'], {k: v for k, v in t['failures'].items() if v}))"
