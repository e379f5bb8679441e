#!/usr/bin/env bash
# bench/director.sh — what the nft director costs: connection setups/s and
# messages/s through the director's VIP (DNAT + masquerade) vs straight to the
# brokers over the same path routed without NAT, same run, same namespaces
# (client -> director host -> bridge -> broker host, 198.18.0.0/15, no route
# out). Prints each round and the ratio of the medians (target >= 0.95). Needs root; skips
# otherwise. Bounded: ~1 minute. Clients are a small raw-socket Python program
# (bench/director_client.py) until `mqlb bench` can drive it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
MQLB=${MQLB:-$here/../mqlb}
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v mosquitto >/dev/null; then
	echo "director bench: SKIP (needs root, nft, mosquitto)"
	exit 0
fi
. "$here/../tests/lib.sh"
. "$here/../tests/integration/director_net.bash"
CONN_S=${CONN_S:-2}
MSGS=${MSGS:-200000}
ROUNDS=${ROUNDS:-5}

dirnet_up bn || exit 1
# routes for the "direct" path: routed by the director host, no NAT
ip -n "$NS_C" route add 198.18.1.0/24 via 198.18.0.1
ip -n "$NS_B" route add 198.18.0.0/24 via 198.18.1.1
broker_start 0 || exit 1
# messages: one backend, so publisher and subscriber share a broker
director_start bn --listen "$VIP:$VIP_PORT" --mode nat --scheduler rr \
	--backend "${BROKERS[0]}:$DIR_PORT" >/dev/null || exit 1
run() { ip netns exec "$NS_C" /usr/bin/python3 "$here/director_client.py" "$@"; }
# median of the rounds: the machine is shared, single rounds swing by +-30 %
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

: >"$T_TMP/c_direct"
: >"$T_TMP/c_vip"
: >"$T_TMP/m_direct"
: >"$T_TMP/m_vip"
for ((r = 1; r <= ROUNDS; r++)); do
	# alternate the order so drift in machine load hits both alike
	for target in direct vip; do
		if [ "$target" = direct ]; then h=${BROKERS[0]} p=$DIR_PORT; else h=$VIP p=$VIP_PORT; fi
		out=$(run conn "$h" "$p" "$CONN_S")
		echo "round $r $target: $out"
		awk '{print $2}' <<<"$out" >>"$T_TMP/c_$target"
		out=$(run msgs "$h" "$p" "$MSGS" 64)
		echo "round $r $target: $out"
		awk '{print $2}' <<<"$out" >>"$T_TMP/m_$target"
	done
done
"$MQLB" director status --stats --control "$T_TMP/bn.sock"
director_stop "$DIR_PID"
cd_=$(median <"$T_TMP/c_direct") cv=$(median <"$T_TMP/c_vip")
md=$(median <"$T_TMP/m_direct") mv=$(median <"$T_TMP/m_vip")
echo "medians of $ROUNDS interleaved rounds:"
awk -v cd="$cd_" -v cv="$cv" -v md="$md" -v mv="$mv" 'BEGIN {
	printf "connection setups/s: direct %.0f, via nft director %.0f, ratio %.3f (target >= 0.95)\n", cd, cv, cv / cd
	printf "messages/s (QoS 0, 64 B): direct %.0f, via nft director %.0f, ratio %.3f (target >= 0.95)\n", md, mv, mv / md
}'
