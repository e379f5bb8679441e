#!/usr/bin/env bash
# The nft dataplane passes TLS through untouched (issue 13): in a namespace of
# its own (mqlb-edge-nft, loopback, ports 19830-19833), two real mosquitto TLS
# listeners that require client certificates (cafile, certfile, keyfile,
# require_certificate, use_identity_as_username) behind an nft director in
# --mode local that has no certificate at all. A TLS client with a good
# certificate publishes to a TLS subscriber through the VIP; the broker names
# the client certificate's CN as the user (the certificate crossed the
# director); the certificate the client sees is the broker's; a client without
# a certificate is refused by the broker itself. Both brokers get clients.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_tls_certs.bash"
need_root
need nft mosquitto mosquitto_sub mosquitto_pub openssl ss

NS=mqlb-edge-nft
ip netns del $NS 2>/dev/null
ip netns add $NS || { echo "Bail out! cannot create namespace $NS"; exit 1; }
on_exit "ip netns del $NS"
ip -n $NS link set lo up
C=$T_TMP/certs
tls_certs "$C" || { echo "Bail out! openssl could not make the test certificates"; exit 1; }
for p in 19831 19832; do
	# user root: mosquitto would drop to its own user, which cannot read $T_TMP
	printf '%s\n' "listener $p 127.0.0.1" "allow_anonymous true" "persistence false" \
		"cafile $C/ca.crt" "certfile $C/srv.crt" "keyfile $C/srv.key" \
		"require_certificate true" "use_identity_as_username true" "user root" >"$T_TMP/m$p.conf"
	ip netns exec $NS mosquitto -c "$T_TMP/m$p.conf" >"$T_TMP/m$p.log" 2>&1 &
	track $!
done
for ((k = 0; k < 100; k++)); do
	[ "$(ip netns exec $NS ss -Hltn '( sport >= :19831 and sport <= :19832 )' | wc -l)" -ge 2 ] && break
	sleep 0.05
done
# health checks speak plain MQTT, which a TLS listener cannot answer: off
ip netns exec $NS "$MQLB" director run --name edge-tls --control "$T_TMP/d.sock" \
	--listen 127.0.0.1:19830 --backend 127.0.0.1:19831 --backend 127.0.0.1:19832 \
	--health-interval 0 >"$T_TMP/d.log" 2>&1 &
track $!
for ((k = 0; k < 100; k++)); do "$MQLB" director status --control "$T_TMP/d.sock" >/dev/null 2>&1 && break; sleep 0.05; done
ok "the nft director is up" bash -c "ip netns exec $NS nft -t list table ip mqlb-edge-tls >/dev/null"

TLS=(--cafile "$C/ca.crt" --cert "$C/dev1.crt" --key "$C/dev1.key")
ip netns exec $NS timeout 15 mosquitto_sub -h 127.0.0.1 -p 19830 "${TLS[@]}" -i nft-sub \
	-t nft/tls -C 1 -W 12 >"$T_TMP/sub.out" 2>&1 &
SUB=$!
track $SUB
for ((k = 0; k < 100; k++)); do grep -q " as nft-sub " "$T_TMP"/m1983?.log && break; sleep 0.05; done
# the publisher must meet the subscriber's broker: retry with new ClientIDs
# until one lands there (rr alternates, so the second does at the latest)
sb=$(grep -l " as nft-sub " "$T_TMP"/m1983?.log)
for i in 1 2 3 4; do
	out=$(ip netns exec $NS timeout 10 mosquitto_pub -h 127.0.0.1 -p 19830 "${TLS[@]}" \
		-i "nft-pub-$i" -t nft/tls -m "through nft" 2>&1) || diag "pub $i: $out"
	grep -q " as nft-pub-$i " "$sb" && break
done
wait $SUB
is "$(cat "$T_TMP/sub.out")" "through nft" "TLS publish -> nft VIP -> TLS broker -> TLS subscriber"
ok "the broker names the client certificate's CN (u'dev-1'): it crossed the director" \
	grep -q "as nft-sub (.*u'dev-1')" "$sb"
subj=$(echo | ip netns exec $NS timeout 5 openssl s_client -connect 127.0.0.1:19830 \
	-CAfile "$C/ca.crt" -cert "$C/dev1.crt" -key "$C/dev1.key" 2>/dev/null |
	grep -E '^subject=|^Verify return code')
is "$subj" "subject=CN = 127.0.0.1
Verify return code: 0 (ok)" "the client sees and verifies the broker's certificate through the VIP"
out=$(ip netns exec $NS timeout 10 mosquitto_pub -h 127.0.0.1 -p 19830 --cafile "$C/ca.crt" \
	-i nft-nocert -t nft/tls -m x 2>&1)
cmp_ok "$?" -ne 0 "without a client certificate the broker refuses ($out)"
n1=$(grep -c "New client connected" "$T_TMP/m19831.log")
n2=$(grep -c "New client connected" "$T_TMP/m19832.log")
cmp_ok "$((n1 > 0 && n2 > 0))" -eq 1 "both TLS brokers got clients through the VIP ($n1, $n2)"
done_testing
