#!/usr/bin/env bash
# mqtt_real_broker.sh — the codec against a real Mosquitto (ports 19001-19019):
#  1. our encoder's CONNECT/SUBSCRIBE/PUBLISH (QoS 0/1/2, 3.1.1 and 5.0) are accepted;
#     our decoder reads Mosquitto's CONNACK/SUBACK/PUBACK/PUBREC/PUBCOMP/PUBLISH;
#  2. a mosquitto_sub receives the PUBLISHes we encoded (payloads asserted);
#  3. what mosquitto_pub / mosquitto_sub send and receive (3.1.1 and 5.0, with 5.0
#     properties) is captured on the wire and decoded by our decoder, fields asserted.
# The helper tests/integration/mqtt_peer.c is compiled here against the codec alone (src/mqtt/mqtt_*.c: probe.c, the one file there with sockets, needs src/common) with
# ASan+UBSan. MQLB_SAVE_CORPUS=DIR keeps the captured streams (seed corpus).
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_sub mosquitto_pub cc
root=$(cd "$(dirname "$0")/../.." && pwd)
PORT=19001
PEER=$T_TMP/mqtt_peer

cc -std=c11 -D_GNU_SOURCE -I"$root/src" -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -o "$PEER" "$root/tests/integration/mqtt_peer.c" \
	"$root"/src/mqtt/mqtt_*.c 2>"$T_TMP/cc.log"
ok "mqtt_peer builds against src/mqtt" test -x "$PEER" || { sed 's/^/# /' "$T_TMP/cc.log"; done_testing; exit 1; }

start_mosquitto $PORT "log_type all" || { ok "mosquitto starts" false; done_testing; exit 1; }

# wait_log PATTERN: until the broker log shows it (bounded, 10 s)
wait_log() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -qF -- "$1" "$MOSQ_LOG" && return 0
		sleep 0.05
	done
	echo "# broker log never showed: $1"
	return 1
}
# wait_pid PID [SECONDS]: until it exits (bounded); returns its status
wait_pid() {
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }
		sleep 0.05
	done
	return 124
}
has() { grep -qF -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1"; return 1; }; }

for v in 4 5; do
	# ---- 1+2: we publish (QoS 0, 1, 2); a real mosquitto_sub receives ----
	vflag=mqttv311
	[ $v = 5 ] && vflag=mqttv5
	timeout 20 mosquitto_sub -p $PORT -V $vflag -i "msub$v" -t "codec/v$v/#" -q 2 -C 3 -v \
		>"$T_TMP/msub$v.out" 2>&1 &
	msub=$!
	track $msub
	wait_log "Received SUBSCRIBE from msub$v"
	timeout 20 "$PEER" session $PORT $v "pub$v" "pub:codec/v$v/q0:0:hello-q0" \
		"pub:codec/v$v/q1:1:hello-q1" "pub:codec/v$v/q2:2:hello-q2" \
		>"$T_TMP/pub$v.out" 2>&1
	is "$?" 0 "v$v: our CONNECT + PUBLISH QoS 0/1/2 session with mosquitto completes"
	ok "v$v: decoded mosquitto's CONNACK (accepted)" has "$T_TMP/pub$v.out" "CONNACK v$v session_present=0 reason=0"
	ok "v$v: decoded PUBACK for QoS 1" has "$T_TMP/pub$v.out" "PUBACK v$v id=1 reason=0"
	ok "v$v: decoded PUBREC for QoS 2" has "$T_TMP/pub$v.out" "PUBREC v$v id=2 reason=0"
	ok "v$v: decoded PUBCOMP after our PUBREL" has "$T_TMP/pub$v.out" "PUBCOMP v$v id=2 reason=0"
	wait_pid $msub 10
	is "$?" 0 "v$v: mosquitto_sub got 3 messages and exited"
	is "$(sort "$T_TMP/msub$v.out" | tr '\n' '|')" \
		"codec/v$v/q0 hello-q0|codec/v$v/q1 hello-q1|codec/v$v/q2 hello-q2|" \
		"v$v: mosquitto_sub received our three payloads"

	# ---- we subscribe; mosquitto_pub publishes; our decoder reads the PUBLISHes ----
	timeout 20 "$PEER" session $PORT $v "psub$v" "sub:codec/peer$v/#:2" "recv:3" \
		>"$T_TMP/psub$v.out" 2>&1 &
	psub=$!
	track $psub
	wait_log "Received SUBSCRIBE from psub$v"
	for q in 0 1 2; do
		timeout 10 mosquitto_pub -p $PORT -V $vflag -q $q -t "codec/peer$v/q$q" -m "msg-q$q"
	done
	wait_pid $psub 10
	is "$?" 0 "v$v: our SUBSCRIBE session received 3 PUBLISHes and completed"
	ok "v$v: SUBACK granted QoS 2" has "$T_TMP/psub$v.out" "SUBACK v$v id=1 reasons=2"
	for q in 0 1 2; do
		ok "v$v: decoded mosquitto's QoS $q PUBLISH" \
			grep -qE "^PUBLISH v$v qos=$q dup=0 retain=0 id=[0-9]+ topic=codec/peer$v/q$q payload=msg-q$q" \
			"$T_TMP/psub$v.out"
	done
	ok "v$v: decoded mosquitto's PUBREL for QoS 2" grep -q "^PUBREL v$v id=" "$T_TMP/psub$v.out"

	# ---- 3: capture mosquitto_sub and mosquitto_pub on the wire, decode it ----
	cap=$T_TMP/cap$v
	"$PEER" record 19010 $PORT "$cap-sub" 2>"$T_TMP/rec-sub$v.log" &
	rsub=$!
	track $rsub
	"$PEER" record 19011 $PORT "$cap-pub" 2>"$T_TMP/rec-pub$v.log" &
	rpub=$!
	track $rpub
	for f in "$cap-sub.ready" "$cap-pub.ready"; do
		for ((i = 0; i < 100; i++)); do [ -e "$f" ] && break; sleep 0.05; done
	done
	sub_props=() pub_props=()
	if [ $v = 5 ]; then
		sub_props=(-D connect user-property who sub -D subscribe user-property s v)
		pub_props=(-D publish user-property trace abc -D publish content-type text/plain
			-D publish message-expiry-interval 60 -D publish payload-format-indicator 1
			-D connect session-expiry-interval 30)
	fi
	timeout 20 mosquitto_sub -p 19010 -V $vflag -i "capsub$v" -t "cap/v$v/#" -q 1 -C 1 \
		"${sub_props[@]}" >"$T_TMP/capsub$v.out" 2>&1 &
	csub=$!
	track $csub
	wait_log "Received SUBSCRIBE from capsub$v"
	timeout 10 mosquitto_pub -p 19011 -V $vflag -i "cappub$v" -t "cap/v$v/x" -q 1 \
		-m "captured-$v" "${pub_props[@]}"
	is "$?" 0 "v$v: mosquitto_pub through the recorder"
	wait_pid $csub 10
	wait_pid $rsub 5
	wait_pid $rpub 5
	is "$(cat "$T_TMP/capsub$v.out")" "captured-$v" "v$v: mosquitto_sub through the recorder got the message"

	"$PEER" decode $v server "$cap-pub.c2s" >"$T_TMP/d-pub-c2s$v" 2>&1
	is "$?" 0 "v$v: mosquitto_pub's bytes decode cleanly (role server)"
	ok "v$v: its CONNECT: version, client id" has "$T_TMP/d-pub-c2s$v" "CONNECT v$v client_id=cappub$v clean=1"
	ok "v$v: its PUBLISH: qos, topic, payload" has "$T_TMP/d-pub-c2s$v" "PUBLISH v$v qos=1 dup=0 retain=0 id=1 topic=cap/v$v/x payload=captured-$v"
	ok "v$v: its DISCONNECT" has "$T_TMP/d-pub-c2s$v" "DISCONNECT v$v"
	"$PEER" decode $v client "$cap-pub.s2c" >"$T_TMP/d-pub-s2c$v" 2>&1
	is "$?" 0 "v$v: mosquitto's replies to mosquitto_pub decode cleanly (role client)"
	ok "v$v: CONNACK and PUBACK" grep -q "PUBACK v$v id=1" "$T_TMP/d-pub-s2c$v"
	"$PEER" decode $v server "$cap-sub.c2s" >"$T_TMP/d-sub-c2s$v" 2>&1
	is "$?" 0 "v$v: mosquitto_sub's bytes decode cleanly"
	ok "v$v: its SUBSCRIBE: filter and QoS" has "$T_TMP/d-sub-c2s$v" "filter=cap/v$v/# qos=1"
	"$PEER" decode $v client "$cap-sub.s2c" >"$T_TMP/d-sub-s2c$v" 2>&1
	is "$?" 0 "v$v: what mosquitto sent mosquitto_sub decodes cleanly"
	ok "v$v: SUBACK granted QoS 1" has "$T_TMP/d-sub-s2c$v" "SUBACK v$v id=1 reasons=1"
	ok "v$v: the PUBLISH it delivered" has "$T_TMP/d-sub-s2c$v" "topic=cap/v$v/x payload=captured-$v"
	if [ $v = 5 ]; then
		ok "v5: CONNECT property Session Expiry Interval" has "$T_TMP/d-pub-c2s$v" "prop[Session Expiry Interval]=30"
		ok "v5: PUBLISH property User Property" has "$T_TMP/d-pub-c2s$v" "prop[User Property]=trace:abc"
		ok "v5: PUBLISH property Content Type" has "$T_TMP/d-pub-c2s$v" "prop[Content Type]=text/plain"
		ok "v5: PUBLISH property Message Expiry Interval" has "$T_TMP/d-pub-c2s$v" "prop[Message Expiry Interval]=60"
		ok "v5: PUBLISH property Payload Format Indicator" has "$T_TMP/d-pub-c2s$v" "prop[Payload Format Indicator]=1"
		ok "v5: SUBSCRIBE User Property" has "$T_TMP/d-sub-c2s$v" "prop[User Property]=s:v"
		ok "v5: CONNECT User Property" has "$T_TMP/d-sub-c2s$v" "prop[User Property]=who:sub"
		ok "v5: forwarded PUBLISH keeps the user property" has "$T_TMP/d-sub-s2c$v" "prop[User Property]=trace:abc"
		ok "v5: CONNACK carries mosquitto's properties" grep -q "^CONNACK v5 .*prop\[" "$T_TMP/d-sub-s2c$v"
	fi
	if [ -n "${MQLB_SAVE_CORPUS:-}" ]; then
		mkdir -p "$MQLB_SAVE_CORPUS"
		for d in sub-c2s sub-s2c pub-c2s pub-s2c; do
			cp "$cap-${d%-*}.${d#*-}" "$MQLB_SAVE_CORPUS/mosquitto-v$v-$d"
		done
	fi
done

# the broker saw nothing it had to refuse
ok "mosquitto logged no protocol errors" bash -c "! grep -iE 'protocol error|malformed|bad packet' '$MOSQ_LOG'"
done_testing
