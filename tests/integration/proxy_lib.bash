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
