#!/usr/bin/env bash
# TLS at the proxy's edge with real parts (loopback, ports 19810-19819, no
# root): certificates made here with the openssl command; real mosquitto
# brokers (plain, and one TLS listener with cafile/certfile/keyfile and
# require_certificate); mosquitto_pub/sub and Python's ssl as TLS clients.
#   - a good client certificate connects and publishes end to end, TLS 1.2 and 1.3;
#   - an expired certificate, one from another CA, none at all, and a plain TCP
#     client are refused, each with its log line and counter, and the director
#     keeps serving;
#   - --scheduler clientid over TLS: one ClientID, one broker; --hash-cn: one
#     certificate CN, one broker, whatever the ClientID;
#   - new certificate files are picked up (new handshakes see them) while an
#     open TLS session keeps working;
#   - --backend-tls re-encrypts to a TLS broker that requires a client
#     certificate; a wrong --backend-ca is refused and counted;
#   - bad TLS flags exit 2.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
. "$(dirname "$0")/proxy_tls_certs.bash"
need mosquitto mosquitto_pub mosquitto_sub openssl $PY

C=$T_TMP/certs
tls_certs "$C" || { echo "Bail out! openssl could not make the test certificates"; exit 1; }
cp "$C/srv.crt" "$C/live.crt"
cp "$C/srv.key" "$C/live.key"

declare -A MLOG
for p in 19811 19812 19813; do
	start_mosquitto $p || exit 1
	MLOG[$p]=$MOSQ_LOG
done
start_mosquitto 19814 "cafile $C/ca.crt" "certfile $C/srv.crt" "keyfile $C/srv.key" \
	"require_certificate true" "user root" || exit 1
MLOG[19814]=$MOSQ_LOG

TLS1="--tls-cert $C/live.crt --tls-key $C/live.key --tls-ca $C/ca.crt"
px_start t1 127.0.0.1:19810 --backend 127.0.0.1:19811 $TLS1 --threads 2 || exit 1
px_start t2 127.0.0.1:19815 --backend 127.0.0.1:19811 --backend 127.0.0.1:19812 \
	--backend 127.0.0.1:19813 --scheduler clientid --tls-cert "$C/srv.crt" \
	--tls-key "$C/srv.key" --threads 2 || exit 1
px_start t3 127.0.0.1:19816 --backend 127.0.0.1:19811 --backend 127.0.0.1:19812 \
	--backend 127.0.0.1:19813 --scheduler clientid --hash-cn $TLS1 || exit 1

tpub() { # tpub PORT CERT ID [TOPIC MESSAGE]: one TLS session (CA = ours)
	local ca=(--cafile "$C/ca.crt")
	[ -n "$2" ] && ca+=(--cert "$C/$2.crt" --key "$C/$2.key")
	timeout 10 mosquitto_pub -h 127.0.0.1 -p "$1" "${ca[@]}" -i "$3" -t "${4:-tls/t}" \
		-m "${5:-x}" -q 1 2>&1
}
fail_of() { px_get "$1" "j['proxy']['tls']['failures']['$2']"; }
wait_log() { # wait_log FILE PATTERN: up to 5 s
	local k
	for ((k = 0; k < 100; k++)); do grep -q -- "$2" "$1" && return 0; sleep 0.05; done
	return 1
}

# ---- end to end through TLS, both directions ----
timeout 15 mosquitto_sub -h 127.0.0.1 -p 19810 --cafile "$C/ca.crt" --cert "$C/dev1.crt" \
	--key "$C/dev1.key" -i e2e-sub -t tls/e2e -C 1 -W 12 >"$T_TMP/e2e.out" 2>&1 &
SUB=$!
track $SUB
ok "a subscriber with a good certificate is connected through the TLS listener" \
	wait_log "${MLOG[19811]}" " as e2e-sub ("
out=$(tpub 19810 dev1 e2e-pub tls/e2e "over tls")
is "$out" "" "a publisher with a good certificate publishes (mosquitto_pub says nothing)"
wait $SUB
is "$(cat "$T_TMP/e2e.out")" "over tls" "the message went client -> TLS proxy -> broker -> TLS proxy -> client"

# TLS 1.2 and 1.3, one CONNECT/CONNACK each (Python pins the version)
connack() { # connack PORT VERSION CERT: "<version> <CONNACK hex>"
	$PY - "$1" "$2" "$C" "$3" <<'PYEOF'
import socket, ssl, sys
port, ver, d, cert = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=d + "/ca.crt")
v = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[ver]
ctx.minimum_version = ctx.maximum_version = v
ctx.load_cert_chain(d + "/" + cert + ".crt", d + "/" + cert + ".key")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="127.0.0.1")
cid = b"v" + ver.encode()
body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(cid).to_bytes(2, "big") + cid
s.sendall(bytes([0x10, len(body)]) + body)
ack = b""
while len(ack) < 4:
    b = s.recv(4 - len(ack))
    if not b:
        break
    ack += b
print(s.version(), ack.hex())
PYEOF
}
is "$(connack 19810 1.2 dev1 2>&1)" "TLSv1.2 20020000" "TLS 1.2: CONNECT through, CONNACK accepted"
is "$(connack 19810 1.3 dev1 2>&1)" "TLSv1.3 20020000" "TLS 1.3: CONNECT through, CONNACK accepted"
is "$(px_get t1 "(j['proxy']['tls']['tls1_2'] >= 1, j['proxy']['tls']['tls1_3'] >= 3)")" \
	"(True, True)" "status counts handshakes by version"

# ---- refusals: each with its reason, in the log and in status ----
refuse() { # refuse NAME CERT REASON PATTERN: the client fails, counted and logged
	local out before=$(fail_of t1 "$3")
	out=$(tpub 19810 "$2" "bad-$1")
	cmp_ok "$?" -ne 0 "$1: the client is refused (${out//$'\n'/ })"
	for ((k = 0; k < 40; k++)); do [ "$(fail_of t1 "$3")" -gt "$before" ] && break; sleep 0.05; done
	is "$(fail_of t1 "$3")" $((before + 1)) "$1: counted as tls.failures.$3"
	ok "$1: one log line says why" wait_log "$T_TMP/t1.log" "refused: tls_handshake: $3 ($4"
}
refuse "expired certificate" expired cert_expired "certificate: certificate has expired"
refuse "certificate of another CA" stranger unknown_ca "certificate: unable to get local issuer"
refuse "no client certificate" "" no_client_cert "peer did not return a certificate"
out=$(timeout 10 mosquitto_pub -h 127.0.0.1 -p 19810 -i plain -t tls/t -m x 2>&1)
cmp_ok "$?" -ne 0 "plain TCP client on the TLS port is refused ($out)"
ok "plain TCP: logged as such" wait_log "$T_TMP/t1.log" \
	"not_tls (first byte 0x10, an MQTT CONNECT: plain TCP on the TLS port)"
is "$(fail_of t1 not_tls)" 1 "plain TCP: counted as tls.failures.not_tls"
is "$(px_get t1 "j['proxy']['rejects']['tls_handshake']")" 4 "4 refusals in rejects.tls_handshake"
ok "none of the refused clients reached the broker" \
	bash -c "! grep -q ' as bad-\| as plain ' '${MLOG[19811]}'"
is "$(tpub 19810 dev1 after-refusals)" "" "the director keeps serving good clients after the refusals"

# ---- clientid over TLS: sticky ----
fails=0
for i in $(seq 1 8); do
	for r in 1 2 3; do tpub 19815 "" "sticky-$i" >/dev/null || fails=$((fails + 1)); done
done
is "$fails" 0 "24 TLS sessions (server certificate only) through the clientid director succeed"
stuck=0 used=""
for i in $(seq 1 8); do
	hits=()
	for p in 19811 19812 19813; do grep -q " as sticky-$i (" "${MLOG[$p]}" && hits+=("$p"); done
	if [ ${#hits[@]} -ne 1 ] || [ "$(grep -c " as sticky-$i (" "${MLOG[${hits[0]}]}")" -ne 3 ]; then
		stuck=$((stuck + 1))
		diag "sticky-$i on ${hits[*]}"
	else used+=" ${hits[0]}"; fi
done
is "$stuck" 0 "over TLS every ClientID landed on one broker, all 3 times"
cmp_ok "$(tr ' ' '\n' <<<"$used" | sort -u | grep -c .)" -ge 2 "the ClientIDs spread over brokers"

# ---- --hash-cn: the certificate, not the ClientID, picks the broker ----
cn_brokers() { # cn_brokers PREFIX: the brokers that saw ClientIDs PREFIX-*
	for p in 19811 19812 19813; do grep -q " as $1-[0-9]* (" "${MLOG[$p]}" && echo "$p"; done | tr '\n' ' '
}
for i in $(seq 1 6); do
	tpub 19816 dev1 "cnone-$RANDOM$i" >/dev/null
	tpub 19816 dev2 "cntwo-$RANDOM$i" >/dev/null
done
b1=$(cn_brokers cnone)
b2=$(cn_brokers cntwo)
is "$(wc -w <<<"$b1")" 1 "--hash-cn: 6 random ClientIDs with certificate CN dev-1 all on one broker ($b1)"
is "$(wc -w <<<"$b2")" 1 "--hash-cn: 6 random ClientIDs with certificate CN dev-2 all on one broker ($b2)"
ok "the director logs that it hashes the CN" grep -q "scheduler clientid (certificate CN)" "$T_TMP/t3.log"

# ---- new certificate files: new handshakes use them, open sessions stay ----
timeout 20 mosquitto_sub -h 127.0.0.1 -p 19810 --cafile "$C/ca.crt" --cert "$C/dev1.crt" \
	--key "$C/dev1.key" -i hold-sub -t tls/hold -C 1 -W 18 >"$T_TMP/hold.out" 2>&1 &
HOLD=$!
track $HOLD
wait_log "${MLOG[19811]}" " as hold-sub (" || diag "hold-sub not seen on the broker"
subject() { echo | timeout 5 openssl s_client -connect 127.0.0.1:19810 -CAfile "$C/ca.crt" \
	-cert "$C/dev1.crt" -key "$C/dev1.key" 2>/dev/null | sed -n 's/^subject=//p'; }
is "$(subject)" "CN = 127.0.0.1" "before: the listener presents the first certificate"
cp "$C/srv2.key" "$C/live.key.new" && cp "$C/srv2.crt" "$C/live.crt.new"
mv "$C/live.key.new" "$C/live.key" && mv "$C/live.crt.new" "$C/live.crt"
ok "the director logs the reload" wait_log "$T_TMP/t1.log" "TLS certificate reloaded"
is "$(subject)" "CN = reloaded.example" "after: new handshakes get the new certificate"
cmp_ok "$(px_get t1 "j['proxy']['tls']['reloads']")" -ge 1 "status counts the reload"
is "$(tpub 19810 dev1 reload-pub tls/hold "still here")" "" "a client publishes after the reload"
wait $HOLD
is "$(cat "$T_TMP/hold.out")" "still here" "the TLS session opened before the reload still receives"

# ---- --backend-tls: TLS again to a broker that requires a client certificate ----
BT="--backend-tls --backend-ca $C/ca.crt --backend-cert $C/dev2.crt --backend-key $C/dev2.key"
px_start t4 127.0.0.1:19817 --backend 127.0.0.1:19814 $BT --health-interval 0 || exit 1
timeout 15 mosquitto_sub -h 127.0.0.1 -p 19817 -i bt-sub -t tls/bt -C 1 -W 12 >"$T_TMP/bt.out" 2>&1 &
BSUB=$!
track $BSUB
wait_log "${MLOG[19814]}" " as bt-sub (" || diag "bt-sub not seen on the TLS broker"
out=$(timeout 10 mosquitto_pub -h 127.0.0.1 -p 19817 -i bt-pub -t tls/bt -m "re-encrypted" 2>&1)
is "$out" "" "plain client -> proxy -> TLS broker (require_certificate true): published"
wait $BSUB
is "$(cat "$T_TMP/bt.out")" "re-encrypted" "and received back through the re-encrypted connection"
cmp_ok "$(px_get t4 "j['proxy']['tls']['backend_handshakes']")" -ge 2 "status counts backend handshakes"
px_start t5 127.0.0.1:19818 --backend 127.0.0.1:19814 --backend-tls \
	--backend-ca "$C/other-ca.crt" --health-interval 0 || exit 1
out=$(timeout 10 mosquitto_pub -h 127.0.0.1 -p 19818 -i bt-wrong -t tls/bt -m x 2>&1)
cmp_ok "$?" -ne 0 "a broker whose certificate --backend-ca does not sign is not used ($out)"
cmp_ok "$(px_get t5 "j['proxy']['tls']['failures']['backend']")" -ge 1 "counted as tls.failures.backend"
ok "logged with the reason" wait_log "$T_TMP/t5.log" "TLS handshake failed: unknown_ca"

# ---- bad flags ----
bad() { # bad MSG ARGS...: exit 2, the reason on the first line
	local out msg=$1
	shift
	out=$("$MQLB" director run --dataplane proxy --listen 127.0.0.1:19819 \
		--backend 127.0.0.1:19811 --control "$T_TMP/bad.sock" "$@" 2>&1)
	is "$?" 2 "$msg: exit 2 ($(head -1 <<<"$out"))"
}
bad "--tls-cert without --tls-key" --tls-cert "$C/srv.crt"
bad "an unreadable --tls-key" --tls-cert "$C/srv.crt" --tls-key "$C/nope.key"
bad "--tls-ca without a certificate" --tls-ca "$C/ca.crt"
bad "--hash-cn without --tls-ca" --scheduler clientid --hash-cn --tls-cert "$C/srv.crt" --tls-key "$C/srv.key"
bad "--backend-tls with health checks on" --backend-tls
bad "--backend-ca without --backend-tls" --backend-ca "$C/ca.crt"
out=$("$MQLB" director run --dataplane nft --listen 127.0.0.1:19819 --backend 127.0.0.1:19811 \
	--tls-cert "$C/srv.crt" --tls-key "$C/srv.key" --control "$T_TMP/bad.sock" 2>&1)
is "$?" 2 "TLS flags on a kernel dataplane are refused ($out)"
out=$("$MQLB" director run --dataplane proxy --listen 127.0.0.1:19819 --backend 127.0.0.1:19811 \
	--tls-cert "$C/dev1.crt" --tls-key "$C/srv.key" --control "$T_TMP/bad.sock" 2>&1)
cmp_ok "$?" -ne 0 "a key that does not match the certificate stops the start"
ok "... saying which file" grep -q "tls-key.*srv.key" <<<"$out"

ok "director t1 still runs" test -S "$T_TMP/t1.sock"
done_testing
