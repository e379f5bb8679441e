# director_net.bash — sourced by tests/integration/director_*.sh (after lib.sh):
# builds the study's network in namespaces this test owns, all named
# mqlb-dir-<tag>-*:
#
#   client (198.18.0.2/24) ──veth── director (198.18.0.1/24 = VIP host)
#                                    director (198.18.1.1/24) ──veth──┐
#                                                     bridge br0 in mqlb-dir-<tag>-sw
#   brokers (198.18.1.11, .12, .13 /24 on one veth) ─────────────────┘
#
# No default route anywhere: the client only knows 198.18.0.0/24, so it can
# reach the brokers only through the director's DNAT + masquerade.
# Brokers: real mosquitto on port 19301 of each broker address (tracked PIDs).

DIR_PORT=19301 # broker port (inside the broker namespace)
VIP_PORT=19300
VIP=198.18.0.1
BROKERS=(198.18.1.11 198.18.1.12 198.18.1.13)

# dirnet_up TAG: creates the namespaces; sets NS_C NS_D NS_B NS_SW.
dirnet_up() {
	local tag=$1
	NS_C=mqlb-dir-$tag-c NS_D=mqlb-dir-$tag-d NS_B=mqlb-dir-$tag-b NS_SW=mqlb-dir-$tag-sw
	local ns
	for ns in $NS_C $NS_D $NS_B $NS_SW; do
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns" || return 1
		on_exit "ip netns del $ns"
		ip -n "$ns" link set lo up
	done
	# client <-> director
	ip link add dc0 netns "$NS_C" type veth peer name dd0 netns "$NS_D" || return 1
	ip -n "$NS_C" addr add 198.18.0.2/24 dev dc0
	ip -n "$NS_D" addr add 198.18.0.1/24 dev dd0
	ip -n "$NS_C" link set dc0 up
	ip -n "$NS_D" link set dd0 up
	# director and brokers on a bridge
	ip -n "$NS_SW" link add br0 type bridge
	ip -n "$NS_SW" link set br0 up
	ip link add dd1 netns "$NS_D" type veth peer name sd1 netns "$NS_SW" || return 1
	ip link add db0 netns "$NS_B" type veth peer name sb0 netns "$NS_SW" || return 1
	ip -n "$NS_SW" link set sd1 master br0 up
	ip -n "$NS_SW" link set sb0 master br0 up
	ip -n "$NS_D" addr add 198.18.1.1/24 dev dd1
	ip -n "$NS_D" link set dd1 up
	local b
	for b in "${BROKERS[@]}"; do ip -n "$NS_B" addr add "$b/24" dev db0; done
	ip -n "$NS_B" link set db0 up
	ip netns exec "$NS_D" sysctl -qw net.ipv4.ip_forward=1
}

# broker_start I [EXTRA-CONF-LINES]: mosquitto on ${BROKERS[I]}:19301 in NS_B.
# Sets BROKER_PID[I].
declare -a BROKER_PID
broker_start() {
	local i=$1 addr=${BROKERS[$1]} conf="$T_TMP/broker$1.conf"
	shift
	{
		echo "listener $DIR_PORT $addr"
		echo "allow_anonymous true"
		echo "persistence false"
		echo "max_connections -1"
		for l in "$@"; do echo "$l"; done
	} >"$conf"
	ip netns exec "$NS_B" mosquitto -c "$conf" >>"$T_TMP/broker$i.log" 2>&1 &
	BROKER_PID[$i]=$!
	track "${BROKER_PID[$i]}"
	local k
	for ((k = 0; k < 100; k++)); do
		ip netns exec "$NS_B" ss -Hltn "sport = :$DIR_PORT" | grep -q "$addr:" && return 0
		sleep 0.05
	done
	echo "# broker $i did not start:"
	sed 's/^/#   /' "$T_TMP/broker$i.log"
	return 1
}

broker_stop() {
	kill "${BROKER_PID[$1]}" 2>/dev/null
	wait "${BROKER_PID[$1]}" 2>/dev/null
}

# conns_on I: established client connections on broker I that came through the
# director (masqueraded source 198.18.1.1), counted by the broker host's kernel.
# The director's health probes come from that address too but live a few ms:
# the smaller of two samples 50 ms apart leaves them out.
conns_on() {
	local a b
	a=$(ip netns exec "$NS_B" ss -Htn state established "( sport = :$DIR_PORT )" \
		src "${BROKERS[$1]}" dst 198.18.1.1 | wc -l)
	sleep 0.05
	b=$(ip netns exec "$NS_B" ss -Htn state established "( sport = :$DIR_PORT )" \
		src "${BROKERS[$1]}" dst 198.18.1.1 | wc -l)
	echo $((a < b ? a : b))
}

# director_start NAME ARGS...: mqlb director run in NS_D, control socket in
# T_TMP, log in T_TMP/NAME.log; waits until it answers status. Sets DIR_PID.
director_start() {
	local name=$1
	shift
	ip netns exec "$NS_D" "$MQLB" director run --name "$name" --control "$T_TMP/$name.sock" \
		"$@" >"$T_TMP/$name.log" 2>&1 &
	DIR_PID=$!
	track "$DIR_PID"
	local k
	for ((k = 0; k < 100; k++)); do
		"$MQLB" director status --control "$T_TMP/$name.sock" >/dev/null 2>&1 && return 0
		kill -0 "$DIR_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# director $name did not come up:"
	sed 's/^/#   /' "$T_TMP/$name.log"
	return 1
}

# director_stop PID: SIGTERM, wait; returns its exit status.
director_stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
}

# clients_hold N SECONDS [PORT]: N MQTT clients from NS_C to the VIP, held
# open in the background. Sets CL_PID; CL_OUT holds "ok K failed F" once done.
clients_hold() {
	CL_OUT="$T_TMP/clients.$RANDOM"
	: >"$CL_OUT"
	ip netns exec "$NS_C" /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/director_clients.py" \
		"$VIP" "${3:-$VIP_PORT}" "$1" "$2" >"$CL_OUT" 2>&1 &
	CL_PID=$!
	track "$CL_PID"
	local k
	for ((k = 0; k < 600; k++)); do
		grep -q '^ok ' "$CL_OUT" && return 0
		kill -0 "$CL_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# clients did not finish connecting:"
	sed 's/^/#   /' "$CL_OUT"
	return 1
}

clients_release() {
	kill "$CL_PID" 2>/dev/null
	wait "$CL_PID" 2>/dev/null
	# let the FINs land so the next count starts from zero
	local k
	for ((k = 0; k < 40; k++)); do
		[ "$(($(conns_on 0) + $(conns_on 1) + $(conns_on 2)))" -eq 0 ] && return 0
		sleep 0.05
	done
}

# json_get JSON EXPR: a value out of director status JSON via python.
json_get() {
	/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
