# The nft director in --mode local: clients on the same host, loopback
# (ports 19300-19399), IPv4 and IPv6, in a namespace of its own so nothing on
# the machine's own loopback is touched. 127.0.0.1:19300 -> 127.0.0.1:19301..3
# needs no sysctl (DNAT in the output hook, loopback to loopback).
. "$(dirname "$0")/../lib.sh"
need_root
need nft mosquitto mosquitto_sub mosquitto_pub ss /usr/bin/python3

NS=mqlb-dir-lo
ip netns del $NS 2>/dev/null
ip netns add $NS || { echo "not ok 1 - namespace"; exit 1; }
on_exit "ip netns del $NS"
ip -n $NS link set lo up
declare -a MP
for p in 19301 19302 19303; do
	printf 'listener %s 127.0.0.1\nlistener %s ::1\nallow_anonymous true\npersistence false\n' $p $p >"$T_TMP/m$p.conf"
	ip netns exec $NS mosquitto -c "$T_TMP/m$p.conf" >"$T_TMP/m$p.log" 2>&1 &
	MP[$p]=$!
	track $!
done
for ((k = 0; k < 100; k++)); do
	[ "$(ip netns exec $NS ss -Hltn '( sport >= :19301 and sport <= :19303 )' | wc -l)" -ge 6 ] && break
	sleep 0.05
done
# broker-side established sockets on PORT from host H (min of two samples: the
# health probes are short-lived loopback connections too)
conns() {
	local a b
	a=$(ip netns exec $NS ss -Htn state established "( sport = :$1 )" | wc -l)
	sleep 0.05
	b=$(ip netns exec $NS ss -Htn state established "( sport = :$1 )" | wc -l)
	echo $((a < b ? a : b))
}
hold() { # hold HOST PORT N: N clients held open; sets HP, HOUT
	HOUT="$T_TMP/hold.$RANDOM"
	: >"$HOUT"
	ip netns exec $NS /usr/bin/python3 "$(dirname "$0")/director_clients.py" "$1" "$2" "$3" 20 >"$HOUT" 2>&1 &
	HP=$!
	track $HP
	for ((k = 0; k < 200; k++)); do grep -q '^ok' "$HOUT" && return 0; sleep 0.05; done
	return 1
}
release() {
	kill "$HP" 2>/dev/null
	wait "$HP" 2>/dev/null
	sleep 0.2
}

ip netns exec $NS "$MQLB" director run --name lo --control "$T_TMP/lo.sock" --listen 127.0.0.1:19300 \
	--backend 127.0.0.1:19301 --backend 127.0.0.1:19302 --backend 127.0.0.1:19303 \
	--health-interval 200ms --health-timeout 100ms >"$T_TMP/lo.log" 2>&1 &
DP=$!
track $DP
for ((k = 0; k < 100; k++)); do "$MQLB" director status --control "$T_TMP/lo.sock" >/dev/null 2>&1 && break; sleep 0.05; done
js=$("$MQLB" director status --json --control "$T_TMP/lo.sock")
ok "default mode for a loopback VIP is local" grep -q '"mode":"local"' <<<"$js"
ip netns exec $NS nft list chain ip mqlb-lo lb | grep -q "hook output"
is "$?" 0 "the balancing chain hooks output"
hold 127.0.0.1 19300 30 || { echo "not ok - clients"; cat "$HOUT"; }
is "$(cat "$HOUT")" "ok 30 failed 0" "30 loopback clients connect to 127.0.0.1:19300"
is "$(conns 19301) $(conns 19302) $(conns 19303)" "10 10 10" "rr over loopback: 10/10/10"
release
ip netns exec $NS mosquitto_sub -h 127.0.0.1 -p 19300 -t t -C 1 -W 5 >"$T_TMP/sub.out" 2>&1 &
S=$!
sleep 0.3
# with rr the next connection lands on the next broker: publish to each until the subscriber hears
for i in 1 2 3; do ip netns exec $NS mosquitto_pub -h 127.0.0.1 -p 19300 -t t -m "local $i"; done
wait $S
ok "a subscriber through the loopback VIP receives a message published through it" grep -q '^local ' "$T_TMP/sub.out"
kill -TERM $DP
wait $DP
is "$?" 0 "director exits 0 on SIGTERM"
is "$(ip netns exec $NS nft list tables | wc -l)" 0 "and its table is gone"

# IPv6: table ip6 mqlb-lo6
ip netns exec $NS "$MQLB" director run --name lo6 --control "$T_TMP/lo6.sock" --listen '[::1]:19300' \
	--scheduler wrr --backend '[::1]:19301,weight=2' --backend '[::1]:19302' >"$T_TMP/lo6.log" 2>&1 &
DP=$!
track $DP
for ((k = 0; k < 100; k++)); do "$MQLB" director status --control "$T_TMP/lo6.sock" >/dev/null 2>&1 && break; sleep 0.05; done
ip netns exec $NS nft list table ip6 mqlb-lo6 >/dev/null 2>&1
is "$?" 0 "an IPv6 VIP gets an ip6 table"
hold ::1 19300 30 || { echo "not ok - clients"; cat "$HOUT"; }
is "$(cat "$HOUT")" "ok 30 failed 0" "30 clients connect to [::1]:19300"
is "$(conns 19301) $(conns 19302)" "20 10" "wrr 2:1 over IPv6 loopback: 20/10"
release
kill -TERM $DP
wait $DP
is "$?" 0 "IPv6 director exits 0"
is "$(ip netns exec $NS nft list tables | wc -l)" 0 "its table is gone"
done_testing
