#!/usr/bin/env bash
# MQTT 3.1 (protocol name "MQIsdp", level 3; issue 13) through the proxy
# dataplane with --scheduler clientid, real mosquitto 2.0 brokers and the real
# mosquitto clients speaking 3.1 (-V mqttv31); loopback ports 19970-19974:
#   - 3.1 sessions pass (CONNACK accepted, the broker logs protocol p1) and a
#     3.1 subscriber receives what a 3.1 publisher sent, through the proxy;
#   - the same ClientID lands on the same broker every time, and on the same
#     broker as that ClientID over 3.1.1: the proxy hashed the 3.1 ClientID
#     (not nothing, not the connection), and the ids spread over the brokers.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto mosquitto_pub mosquitto_sub $PY

declare -A MLOG
for p in 19971 19972 19973; do
	start_mosquitto $p "log_type all" || exit 1
	MLOG[$p]=$MOSQ_LOG
done
px_start m31 127.0.0.1:19970 --backend 127.0.0.1:19971 --backend 127.0.0.1:19972 \
	--backend 127.0.0.1:19973 --scheduler clientid --threads 2 || exit 1

pub() { # pub VERSION ID: one short session (CONNECT, PUBLISH QoS 1, DISCONNECT)
	mosquitto_pub -V "$1" -h 127.0.0.1 -p 19970 -i "$2" -t e5/m31 -m x -q 1 2>&1
}
homes() { # homes ID: the ports of the brokers that saw ID (sorted, unique)
	local p
	for p in 19971 19972 19973; do grep -q " as $1 (" "${MLOG[$p]}" && echo "$p"; done
}
count() { # count PORT ID PROTO: sessions of ID with protocol PROTO on PORT (mosquitto logs p1 for 3.1, p2 for 3.1.1)
	grep -c " as $2 ($3," "${MLOG[$1]}"
}

fails=0
for i in $(seq 1 10); do
	for r in 1 2 3; do pub mqttv31 "e5-31-$i" >/dev/null || fails=$((fails + 1)); done
	pub mqttv311 "e5-31-$i" >/dev/null || fails=$((fails + 1))
done
is "$fails" 0 "40 sessions (30 MQTT 3.1, 10 MQTT 3.1.1) through the proxy are accepted"
bad=0 used=""
for i in $(seq 1 10); do
	h=$(homes "e5-31-$i")
	if [ "$(wc -w <<<"$h")" -ne 1 ]; then
		bad=$((bad + 1))
		diag "e5-31-$i went to: $h"
		continue
	fi
	used+=" $h"
	[ "$(count "$h" "e5-31-$i" p1)" -eq 3 ] && [ "$(count "$h" "e5-31-$i" p2)" -eq 1 ] ||
		{ bad=$((bad + 1)) && diag "e5-31-$i on $h: $(count "$h" "e5-31-$i" p1) x p1, $(count "$h" "e5-31-$i" p2) x p2"; }
done
is "$bad" 0 "every ClientID on one broker: its 3 MQTT 3.1 (p1) sessions and its 3.1.1 (p2) one"
nb=$(tr ' ' '\n' <<<"$used" | sort -u | grep -c .)
cmp_ok "$nb" -ge 2 "the 10 ClientIDs spread over several brokers ($nb)"

# a 3.1 subscriber and a 3.1 publisher with the SAME home (same ClientID hash
# is not needed: pick the publisher's id so that both land on one broker)
sub_home=$(homes e5-31-1)
pub_id=""
for i in $(seq 2 10); do [ "$(homes "e5-31-$i")" = "$sub_home" ] && pub_id=e5-31-$i && break; done
if [ -n "$pub_id" ]; then
	mosquitto_sub -V mqttv31 -h 127.0.0.1 -p 19970 -i e5-31-1 -t e5/m31/s -C 3 -W 10 \
		>"$T_TMP/sub.out" 2>&1 &
	SPID=$!
	track $SPID
	for ((k = 0; k < 100; k++)); do
		[ "$(grep -c " as e5-31-1 (p1," "${MLOG[$sub_home]}")" -ge 4 ] && break
		sleep 0.05
	done
	sleep 0.2
	for m in a b c; do
		mosquitto_pub -V mqttv31 -h 127.0.0.1 -p 19970 -i "$pub_id" -t e5/m31/s -m "$m" -q 1
	done
	wait $SPID
	is "$(tr '\n' ' ' <"$T_TMP/sub.out")" "a b c " "a 3.1 subscriber got a 3.1 publisher's 3 messages through the proxy"
else
	ok "a second ClientID on broker $sub_home (none among 10: unexpected)" false
fi
is "$(px_get m31 "j['proxy']['rejects'].get('not_mqtt', 0)")" 0 "nothing refused as not MQTT"
done_testing
