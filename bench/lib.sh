# bench/lib.sh — what the proxy benches (bench/proxy.sh, bench/proxy_tls.sh)
# share: CPU ticks, medians, waiting for idle, the round order, HAProxy.
# Sourced after tests/lib.sh (T_TMP, track).

HZ=$(getconf CLK_TCK)

# cpu_ticks PID: utime + stime of PID (all its threads), in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# median: of the numbers on stdin ("-" = a round whose checks failed: left out);
# "-" when none is left
median() { grep -v '^-$' | sort -g | awk '{v[NR] = $1} END {if (!NR) print "-"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# idle: waits (<= 20 s) until the broker and both proxies ($MOSQ_PID $PXPID
# $HAPID) used < 5 % of a core for 0.5 s; 1 if they did not settle
idle() {
	local i p a b
	for ((i = 0; i < 40; i++)); do
		a=0 b=0
		for p in $MOSQ_PID $PXPID $HAPID; do a=$((a + $(cpu_ticks "$p"))); done
		sleep 0.5
		for p in $MOSQ_PID $PXPID $HAPID; do b=$((b + $(cpu_ticks "$p"))); done
		[ $(((b - a) * 100)) -lt $((HZ * 5 / 2)) ] && return 0
	done
	return 1
}

# round_order R: the order of the three in round R, rotated so that drift in
# the machine's load hits all three alike
round_order() {
	case $(($1 % 3)) in
	1) echo "direct mqlb haproxy" ;;
	2) echo "mqlb haproxy direct" ;;
	0) echo "haproxy direct mqlb" ;;
	esac
}

# haproxy_start PORT BROKER THREADS [BIND_OPTS [GLOBAL_LINE [BACKEND_LINE]]]:
# HAProxy (mode tcp) on 127.0.0.1:PORT to the broker at 127.0.0.1:BROKER, in
# the background, tracked; sets HAPID. BIND_OPTS follow the bind address
# (e.g. "ssl crt FILE"), GLOBAL_LINE and BACKEND_LINE are one more line each.
haproxy_start() {
	{
		printf 'global\n\tmaxconn 9000\n\tnbthread %s\n' "$3"
		[ -z "${5:-}" ] || printf '\t%s\n' "$5"
		printf 'defaults\n\tmode tcp\n\ttimeout connect 3s\n\ttimeout client 60s\n\ttimeout server 60s\n'
		printf 'frontend f\n\tbind 127.0.0.1:%s%s\n\tdefault_backend b\nbackend b\n' "$1" "${4:+ $4}"
		[ -z "${6:-}" ] || printf '\t%s\n' "$6"
		printf '\tserver s1 127.0.0.1:%s\n' "$2"
	} >"$T_TMP/haproxy.cfg"
	haproxy -db -f "$T_TMP/haproxy.cfg" >"$T_TMP/haproxy.log" 2>&1 &
	HAPID=$!
	track $HAPID
}
