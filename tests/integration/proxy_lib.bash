# tests/integration/proxy_lib.bash — helpers shared by the proxy_*.sh tests
# (sourced after tests/lib.sh). Everything on loopback, ports 19400-19499, no root.
PX_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3

# px_start NAME LISTEN [director run args...]: a proxy director in the
# background (tracked), waits until its control socket answers. Sets PX_PID.
px_start() {
	local name=$1 listen=$2 k
	shift 2
	"$MQLB" director run --dataplane proxy --name "$name" --control "$T_TMP/$name.sock" \
		--listen "$listen" "$@" >"$T_TMP/$name.log" 2>&1 &
	PX_PID=$!
	track $PX_PID
	for ((k = 0; k < 100; k++)); do
		"$MQLB" director status --control "$T_TMP/$name.sock" >/dev/null 2>&1 && return 0
		kill -0 $PX_PID 2>/dev/null || break
		sleep 0.05
	done
	echo "# director $name did not start:"
	sed 's/^/#   /' "$T_TMP/$name.log"
	return 1
}

# px_json NAME: its status JSON
px_json() { "$MQLB" director status --json --control "$T_TMP/$1.sock"; }

# px_get NAME EXPR: one value out of the status JSON (python expression on j)
px_get() { px_json "$1" | $PY -c "import json,sys; j=json.load(sys.stdin); print($2)"; }

# conns PORT: broker-side established sockets on 127.0.0.1:PORT (min of two
# samples: health probes are short-lived connections too)
conns() {
	local a b
	a=$(ss -Htn state established "( sport = :$1 )" | wc -l)
	sleep 0.05
	b=$(ss -Htn state established "( sport = :$1 )" | wc -l)
	echo $((a < b ? a : b))
}

# hold TAG HOST PORT N [proxy_hold.py args]: N connections held open in the
# background (tracked); waits for them. Sets HOLD_PID[TAG] and HOLD_READY
# ("ready OK FAILED"). Not in $(...): the PID must reach the caller's shell.
declare -A HOLD_PID
hold() {
	local tag=$1 out="$T_TMP/hold.$1" k
	shift
	: >"$out"
	$PY "$PX_DIR/proxy_hold.py" "$@" --hold 50 >"$out" 2>&1 </dev/null &
	HOLD_PID[$tag]=$!
	track $!
	for ((k = 0; k < 600; k++)); do
		grep -q '^ready' "$out" && break
		sleep 0.05
	done
	HOLD_READY=$(grep '^ready' "$out" || sed 's/^/# /' "$out")
}
release() { # release TAG
	kill "${HOLD_PID[$1]}" 2>/dev/null
	wait "${HOLD_PID[$1]}" 2>/dev/null
}

# broker_of LOG... CLIENTID: which broker log says "New client connected ... as ID "
broker_of() {
	local id=${!#} f
	for f in "${@:1:$#-1}"; do
		grep -q " as $id (" "$f" && echo "$f"
	done
}

# px_haproxy_accept LISTEN_PORT BROKER_PORT: writes $T_TMP/haproxy.cfg for a
# real PROXY-protocol reader, HAProxy `bind 127.0.0.1:LISTEN accept-proxy` in
# front of the broker on BROKER_PORT, which logs each session as
# "client=ADDR:PORT" (the address the header carried) to $T_TMP/haproxy.log.
px_haproxy_accept() {
	cat >"$T_TMP/haproxy.cfg" <<EOC
global
	log stdout format raw local0
defaults
	mode tcp
	log global
	option logasap
	log-format "client=%ci:%cp"
	timeout connect 3s
	timeout client 30s
	timeout server 30s
frontend f
	bind 127.0.0.1:$1 accept-proxy
	default_backend b
backend b
	server s1 127.0.0.1:$2
EOC
}

# px_haproxy_start LISTEN_PORT: starts HAProxy on that config (tracked; the log
# appends, so a restart keeps the earlier sessions), waits for its port. Sets
# HAP_PID. Bails out of the test when it does not listen within 5 s.
px_haproxy_start() {
	haproxy -db -f "$T_TMP/haproxy.cfg" >>"$T_TMP/haproxy.log" 2>&1 &
	HAP_PID=$!
	track $HAP_PID
	wait_port 127.0.0.1 "$1" 5 || {
		echo "Bail out! haproxy did not start"
		cat "$T_TMP/haproxy.log"
		exit 1
	}
}
