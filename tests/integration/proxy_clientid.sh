# The proxy's clientid scheduler (Maglev on the MQTT ClientID) with real
# mosquitto brokers and real clients (loopback, ports 19430-19439): the same
# ClientID lands on the same broker over many reconnects, and on the same broker
# through a second, independent director (backends listed in another order);
# a killed broker gets no new clients, only its clients move (Paho reconnects
# them to a healthy broker), and they come back after it restarts; with every
# broker down a client gets CONNACK "Server unavailable".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto mosquitto_pub ss $PY

declare -A MPID MLOG
for p in 19431 19432 19433; do
	start_mosquitto $p || exit 1
	MPID[$p]=$MOSQ_PID
	MLOG[$p]=$MOSQ_LOG
done
LOGS=("${MLOG[19431]}" "${MLOG[19432]}" "${MLOG[19433]}")
H="--health-interval 200ms --health-timeout 150ms --health-fall 2 --health-rise 2"
px_start ca 127.0.0.1:19430 --backend 127.0.0.1:19431 --backend 127.0.0.1:19432 \
	--backend 127.0.0.1:19433 --scheduler clientid --threads 2 $H || exit 1
px_start cb 127.0.0.1:19434 --backend 127.0.0.1:19433 --backend 127.0.0.1:19431 \
	--backend 127.0.0.1:19432 --scheduler clientid --threads 1 $H || exit 1

pub() { # pub PORT ID: one short MQTT session (CONNECT, PUBLISH, DISCONNECT)
	mosquitto_pub -h 127.0.0.1 -p "$1" -i "$2" -t px/sticky -m x -q 1 2>&1
}
broker_port() { # broker_port ID: the port of the one broker that saw ID (or "many")
	local hits=() p
	for p in 19431 19432 19433; do grep -q " as $1 (" "${MLOG[$p]}" && hits+=("$p"); done
	[ ${#hits[@]} -eq 1 ] && echo "${hits[0]}" || echo "many:${hits[*]}"
}
seen() { grep -c " as $2 (" "${MLOG[$1]}"; }

# 12 ClientIDs x 6 sessions, alternating the two directors
fails=0
for i in $(seq 1 12); do
	for r in 1 2 3; do
		pub 19430 "sticky-$i" >/dev/null || fails=$((fails + 1))
		pub 19434 "sticky-$i" >/dev/null || fails=$((fails + 1))
	done
done
is "$fails" 0 "72 sessions through two directors succeed"
declare -A HOME_OF
stuck=0 used=""
for i in $(seq 1 12); do
	b=$(broker_port "sticky-$i")
	HOME_OF[$i]=$b
	if [[ $b == many* ]]; then
		stuck=$((stuck + 1))
		diag "sticky-$i went to $b"
	else
		[ "$(seen "$b" "sticky-$i")" -eq 6 ] || stuck=$((stuck + 1))
		used+=" $b"
	fi
done
is "$stuck" 0 "every ClientID reached one broker, all 6 times, through either director"
nb=$(tr ' ' '\n' <<<"$used" | sort -u | grep -c .)
cmp_ok "$nb" -ge 2 "the 12 ClientIDs spread over several brokers ($nb)"

# a Paho client with a persistent session on the broker of sticky-1
victim=${HOME_OF[1]}
$PY "$PX_DIR/proxy_paho.py" reconnect 127.0.0.1 19430 sticky-1 2 20 >"$T_TMP/paho.out" 2>&1 &
PAHO=$!
track $PAHO
for ((k = 0; k < 100; k++)); do grep -q '^up' "$T_TMP/paho.out" && break; sleep 0.05; done
is "$(seen "$victim" sticky-1)" 7 "Paho's sticky-1 session is on its broker ($victim)"
kill "${MPID[$victim]}"
wait "${MPID[$victim]}" 2>/dev/null
# counted once it is dead: until then a health probe can still be logged
before=$(grep -c "New client connected" "${MLOG[$victim]}")
for ((k = 0; k < 60; k++)); do
	[ "$(px_get ca "[b['healthy'] for b in j['backends'] if b['address'].endswith('$victim')][0]")" = False ] && break
	sleep 0.05
done
ok "director A marks the killed broker down" grep -q "backend 127.0.0.1:$victim is DOWN" "$T_TMP/ca.log"
wait $PAHO
is "$?" 0 "Paho reconnected through the proxy after its broker died"
moved=0
for p in 19431 19432 19433; do
	[ "$p" != "$victim" ] && [ "$(seen $p sticky-1)" -eq 1 ] && moved=$p
done
cmp_ok "$moved" -gt 0 "Paho's sticky-1 now has its session on a healthy broker ($moved)"
# new sessions: the victim's IDs go elsewhere (consistently), everyone else stays
others_ok=0 others=0 victims_ok=0 victims=0
for i in $(seq 2 12); do
	pub 19434 "sticky-$i" >/dev/null
	pub 19430 "sticky-$i" >/dev/null
	if [ "${HOME_OF[$i]}" = "$victim" ]; then
		victims=$((victims + 1))
		n=0
		for p in 19431 19432 19433; do
			[ "$p" != "$victim" ] && [ "$(seen $p "sticky-$i")" -eq 2 ] && n=1
		done
		victims_ok=$((victims_ok + n))
	else
		others=$((others + 1))
		[ "$(seen "${HOME_OF[$i]}" "sticky-$i")" -eq 8 ] && others_ok=$((others_ok + 1))
	fi
done
is "$others_ok/$others" "$others/$others" "IDs of healthy brokers did not move"
is "$victims_ok/$victims" "$victims/$victims" "the dead broker's IDs moved, both directors to the same new broker"
is "$(grep -c "New client connected" "${MLOG[$victim]}")" "$before" "the killed broker got nothing new (log unchanged)"

# it comes back: its IDs return to it
start_mosquitto "$victim" || exit 1
MPID[$victim]=$MOSQ_PID # (start_mosquitto truncates its log: a fresh count)
sleep 1
pub 19430 sticky-1 >/dev/null
pub 19434 sticky-1 >/dev/null
is "$(grep -c ' as sticky-1 (' "${MLOG[$victim]}")" 2 "after a restart, sticky-1 is back on its broker ($victim)"

# every broker down (dead): the director fails open, tries two brokers in
# turn, then CONNACK Server unavailable (5.0: 0x88; 3.1.1: return code 3)
for p in 19431 19432 19433; do kill "${MPID[$p]}" 2>/dev/null; done
sleep 0.2
for ((k = 0; k < 60; k++)); do
	[ "$(px_get ca "sum(b['healthy'] for b in j['backends'])")" = 0 ] && break
	sleep 0.05
done
is "$($PY "$PX_DIR/proxy_raw.py" 127.0.0.1 19430 connect5:x --wait 2)" "2003008800 eof" \
	"all down, MQTT 5.0: CONNACK 0x88 Server unavailable, then close"
is "$($PY "$PX_DIR/proxy_raw.py" 127.0.0.1 19430 connect4:x --wait 2)" "20020003 eof" \
	"all down, MQTT 3.1.1: CONNACK return code 3, then close"
is "$(px_get ca 'j["failing_open"]')" True "every broker down: the director is failing open"
is "$(px_get ca 'j["proxy"]["rejects"]["backend_failed"]')" 2 "counted as backend_failed (two brokers tried)"
done_testing
