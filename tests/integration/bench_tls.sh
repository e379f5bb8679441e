#!/usr/bin/env bash
# mqlb bench --tls against a real Mosquitto TLS listener (issue 13) with
# require_certificate and certificates made here with the openssl command: a
# good client certificate publishes and receives end to end with exact counts;
# a wrong CA fails verification (counted as "verify: ..."), nothing published;
# an expired client certificate and a plain listener are refused and counted;
# --tls-version 1.2 and 1.3 both work; a relay cut resumes the TLS sessions
# (tls.resumed) and a broker restart is survived with --reconnect (its
# resumption figure is printed: mosquitto's tickets do not outlive it). Bad
# TLS flags exit 2. -I 0 publishes as fast as the window allows, exact.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_tls_certs.bash"
need mosquitto openssl
TLSP=19571 PLAIN=19572 RELAY=19573
RELAY_PY=$(dirname "$0")/bench_relay.py
C=$T_TMP/certs
tls_certs "$C" || { echo "Bail out! openssl could not make the test certificates"; exit 1; }
# jget FILE KEY[.SUB]: a JSON value ("" if absent); "tls.failures" sums the map
jget() {
	/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d.get(k, "") if isinstance(d, dict) else ""
print(sum(d.values()) if isinstance(d, dict) else d)' "$1" "$2" 2>/dev/null
}
# failkeys FILE: the tls.failures keys, one a line
failkeys() {
	/usr/bin/python3 -c 'import json,sys
print("\n".join(json.load(open(sys.argv[1]))["tls"]["failures"]))' "$1" 2>/dev/null
}
# max_queued_messages 0 (no limit): -I 0 publishers are bounded by their
# window only, and a subscriber slower than them (a sanitizer build) would
# otherwise lose what mosquitto drops beyond its default 1000
TLSCONF=("cafile $C/ca.crt" "certfile $C/srv.crt" "keyfile $C/srv.key" "require_certificate true"
	"user root" "max_queued_messages 0")
start_mosquitto $TLSP "${TLSCONF[@]}" || exit 1
TLS_PID=$MOSQ_PID
start_mosquitto $PLAIN "max_queued_messages 0" || exit 1
GOOD=(--tls --cafile "$C/ca.crt" --cert "$C/dev1.crt" --key "$C/dev1.key")
# bench NAME ARGS...: a bounded run, JSON in $T_TMP/NAME.json, text in NAME.txt
bench() {
	local n=$1
	shift
	timeout -k 5 60 "$MQLB" bench run --quiet --json "$T_TMP/$n.json" "$@" >"$T_TMP/$n.txt" 2>&1
}

# a good certificate: exact counts, both versions
for v in 1.2 1.3; do
	bench good$v "${GOOD[@]}" --tls-version $v -p $TLSP --pubs 2 --subs 2 -q 1 -I 5 -L 2000 \
		--drain 5 -F 4
	is "$(jget "$T_TMP/good$v.json" published)" 2000 "TLS $v: 2000 published"
	is "$(jget "$T_TMP/good$v.json" unique)" 4000 "TLS $v: 4000 received (2 subscribers)"
	is "$(jget "$T_TMP/good$v.json" lost)" 0 "TLS $v: lost 0"
	is "$(jget "$T_TMP/good$v.json" tls.handshakes)" 4 "TLS $v: 4 handshakes"
	is "$(jget "$T_TMP/good$v.json" tls.failures)" 0 "TLS $v: no failure"
done
ok "summary line: tls 4 handshakes" grep -q '^  tls          4 handshakes, 0 resumed$' "$T_TMP/good1.3.txt"
# the same through a plain listener is what the broker saw: counts match
bench plain -p $PLAIN --pubs 2 --subs 2 -q 1 -I 5 -L 2000 --drain 5 -F 4
is "$(jget "$T_TMP/plain.json" tls)" "" "no --tls: no tls key in the JSON"

# a wrong CA: verification fails, counted by the X509 error, nothing published
bench wrongca --tls --cafile "$C/other-ca.crt" --cert "$C/dev1.crt" --key "$C/dev1.key" \
	-p $TLSP --pubs 1 --subs 1 -I 5 -L 100 --drain 1 --connect-timeout 5
is "$(jget "$T_TMP/wrongca.json" connections_ok)" 0 "wrong CA: no connection"
is "$(jget "$T_TMP/wrongca.json" published)" 0 "wrong CA: nothing published"
is "$(jget "$T_TMP/wrongca.json" tls.failures)" 2 "wrong CA: 2 failures"
ok "wrong CA: counted as verify: <X509 error>" grep -q '^verify: ' <(failkeys "$T_TMP/wrongca.json")
ok "wrong CA: the summary names it" grep -q 'failed: verify: ' "$T_TMP/wrongca.txt"

# a name the certificate does not carry (--sni): verify: hostname mismatch
bench sni "${GOOD[@]}" --sni wrong.example -p $TLSP --pubs 1 --subs 0 -I 5 -L 10 --drain 1
ok "--sni wrong.example: verify: hostname mismatch" grep -qx 'verify: hostname mismatch' \
	<(failkeys "$T_TMP/sni.json")

# an expired client certificate: the broker refuses it (TLS 1.3: after our
# side finished, an alert or a reset before the CONNACK); nothing published
bench expired --tls --cafile "$C/ca.crt" --cert "$C/expired.crt" --key "$C/expired.key" \
	-p $TLSP --pubs 1 --subs 1 -I 5 -L 100 --drain 1 --connect-timeout 5
is "$(jget "$T_TMP/expired.json" connections_ok)" 0 "expired certificate: no connection"
is "$(jget "$T_TMP/expired.json" published)" 0 "expired certificate: nothing published"
is "$(jget "$T_TMP/expired.json" tls.failures)" 2 "expired certificate: 2 failures counted"
ok "mosquitto logged the refusal" grep -qi 'expired\|certificate' "$T_TMP/mosquitto-$TLSP.log"

# --tls against a plain listener: no TLS answer, counted as protocol
bench nottls --tls --cafile "$C/ca.crt" -p $PLAIN --pubs 1 --subs 1 -I 5 -L 100 --drain 1 \
	--connect-timeout 5
is "$(jget "$T_TMP/nottls.json" tls.failures)" 2 "plain listener: 2 failures"
ok "plain listener: counted as protocol" grep -q '^protocol' <(failkeys "$T_TMP/nottls.json")
is "$(jget "$T_TMP/nottls.json" published)" 0 "plain listener: nothing published"

# a relay cut: the reconnects resume their TLS sessions (and MQTT sessions)
EV=$T_TMP/relay-events
/usr/bin/python3 "$RELAY_PY" $RELAY $TLSP --events "$EV" --down 1 --max-seconds 60 \
	>"$T_TMP/relay.out" 2>&1 &
RELAY_PID=$!
track $RELAY_PID
wait_port 127.0.0.1 $RELAY 5 || echo "# relay did not start"
bench cut "${GOOD[@]}" -p $RELAY --pubs 2 --subs 2 -q 1 -C false -I 10 --duration 6 \
	--reconnect --reconnect-delay 200ms,1s --drain 5 &
BPID=$!
track $BPID
sleep 2.5
kill -USR1 $RELAY_PID
wait $BPID
is "$(jget "$T_TMP/cut.json" disconnects)" 4 "relay cut: 4 connections lost"
is "$(jget "$T_TMP/cut.json" tls.handshakes)" 8 "relay cut: 8 handshakes"
is "$(jget "$T_TMP/cut.json" tls.resumed)" 4 "relay cut: the 4 reconnects resumed their TLS session"
is "$(jget "$T_TMP/cut.json" lost)" 0 "relay cut: lost 0 (-C false, QoS 1)"

# a broker restart: --reconnect connects again over TLS; resumption is up to
# the broker (mosquitto makes new ticket keys when it starts)
bench restart "${GOOD[@]}" -p $TLSP --pubs 2 --subs 2 -q 1 -I 10 --duration 6 \
	--reconnect --reconnect-delay 200ms,1s --drain 5 &
BPID=$!
track $BPID
sleep 2.5
kill "$TLS_PID"
sleep 1
start_mosquitto $TLSP "${TLSCONF[@]}" || echo "# mosquitto did not restart"
wait $BPID
is "$(jget "$T_TMP/restart.json" reconnects)" 4 "broker restart: 4 reconnects"
cmp_ok "$(jget "$T_TMP/restart.json" tls.handshakes)" -ge 8 "broker restart: 8 handshakes or more"
diag "broker restart: $(jget "$T_TMP/restart.json" tls.resumed) of 4 TLS sessions resumed"

# -I 0: as fast as the window allows, still exact (QoS 0, 1 and 2)
for q in 0 1 2; do
	bench fast$q "${GOOD[@]}" -p $TLSP -q $q -I 0 -F 16 -L 5000 --drain 10
	is "$(jget "$T_TMP/fast$q.json" published)" 5000 "-I 0 -q $q: 5000 published"
	is "$(jget "$T_TMP/fast$q.json" lost)" 0 "-I 0 -q $q: lost 0"
	is "$(jget "$T_TMP/fast$q.json" interval_us)" 0 "-I 0 -q $q: interval_us 0"
	# one process: nothing may read as received before it was sent
	is "$(jget "$T_TMP/fast$q.json" skewed)" 0 "-I 0 -q $q: skewed 0"
done
bench fastdur -p $PLAIN -q 1 -I 0 -F 8 --duration 1 --drain 5
cmp_ok "$(jget "$T_TMP/fastdur.json" published)" -gt 500 "-I 0 --duration 1: more than 500 in 1 s"
is "$(jget "$T_TMP/fastdur.json" lost)" 0 "-I 0 --duration 1: lost 0"

# bad flags: one line, exit 2
bad() {
	local want=$1 out rc
	shift
	out=$("$MQLB" bench run "$@" 2>&1)
	rc=$?
	is "$rc" 2 "exit 2: $*"
	ok "names it: $want" grep -q -- "$want" <<<"$out"
}
bad "needs --tls" --cafile "$C/ca.crt" -L 1
bad "go together" --tls --cert "$C/dev1.crt" -L 1
bad "1.2 or 1.3" --tls --tls-version 1.1 -L 1
bad "not a host name" --tls --sni 'a b' -L 1
bad "--cafile $T_TMP/none" --tls --cafile "$T_TMP/none" -L 1
bad "give --duration or -L" -I 0
done_testing
