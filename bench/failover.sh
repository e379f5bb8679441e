#!/usr/bin/env bash
# bench/failover.sh — client-visible failover time of an HA pair of proxy
# directors (keepalived, configs from `mqlb director ha render`), keepalived's
# default advert_int 1 against mqlb's choice (sub-second adverts, VRRP v3), for
# both failure kinds: the active director process dies (SIGKILL; keepalived's
# vrrp_script `mqlb director check` notices) and the whole active host dies
# (link down, keepalived and director SIGKILL; the peer's master-down timer).
#
# Client-visible = from the kill to the first CONNACK through the VIP of a
# client that started a fresh attempt after the kill and retries every 20-50 ms
# (bench/failover_probe.py, 200 ms per attempt). Each round starts from a clean
# pair (a MASTER). Prints every round, the medians and the ratio mqlb/default.
# Then a quiet FAILOVER_QUIET s (default 20) with each advert interval in
# FAILOVER_STABLE (default "0.05 0.1 0.2"; empty: none) counts VIP flaps: the lowest with 0
# is what this machine sustains.
# Namespaces mqlb-ha-f-* (198.18.0.0/15, no route out). Needs root, keepalived,
# mosquitto; skips otherwise. Bounded: ROUNDS (default 5) x 4 x ~12 s + quiet runs.
#   FAILOVER_MQLB="--advert-int 0.1 --fall 1"   mqlb's choice (render flags)
#   FAILOVER_DEFAULT="--advert-int 1"           the default (render defaults: fall 2)
# Last, the nft pair with and without connection sync (when conntrackd is
# installed; FAILOVER_SYNC_ROUNDS, default 3, 0 = none): nft NAT directors
# with --snat to the back VIP, conntrackd from `ha render --conntrackd` or
# none, SYNC_CLIENTS (default 20) subscribed connections through the VIP that
# never reconnect (tests/integration/ha_sync_client.py), 30 messages 0.2 s
# apart published to every broker, the active host dies at the 5th: the
# fraction of connections that survive and the messages they lost, medians.
#   FAILOVER_ONLY=sync   only that part
set -u
here=$(cd "$(dirname "$0")" && pwd)
MQLB=${MQLB:-$here/../mqlb}
if [ "$(id -u)" -ne 0 ] || ! command -v keepalived >/dev/null || ! command -v mosquitto >/dev/null; then
	echo "failover bench: SKIP (needs root, keepalived, mosquitto)"
	exit 0
fi
. "$here/../tests/lib.sh"
HA_PREFIX=${HA_PREFIX:-mqlb-hs}
. "$here/../tests/integration/director_ha_net.bash"
ROUNDS=${ROUNDS:-5}
V_DEFAULT=${FAILOVER_DEFAULT:---advert-int 1}
V_MQLB=${FAILOVER_MQLB:---advert-int 0.1 --fall 1}
QUIET=${FAILOVER_QUIET:-20}
STABLE=${FAILOVER_STABLE-0.05 0.1 0.2}

ha_own_binary || exit 1
ha_up f || exit 1
ha_brokers || exit 1

# pair_start RENDER-FLAGS...: both directors and keepalived, until a is MASTER.
pair_start() {
	local h
	for h in a b; do
		ip -n "${HA_NS[$h]}" link set fr up
		ip -n "${HA_NS[$h]}" link set bk up
		rm -f "$T_TMP/$h.state"
		ha_director "$h" || return 1
		ha_render "$h" "$@" || return 1
		ha_keepalived "$h"
	done
	ha_wait_holder a 15 >/dev/null || { echo "# no first election"; ha_diag; return 1; }
}

# pair_stop: every keepalived and director of the pair, by PID.
pair_stop() {
	local h p
	for h in a b; do
		for p in "${HA_KA_PID[$h]:-}" "${HA_DIR_PID[$h]:-}"; do
			[ -n "$p" ] && kill -TERM "$p" 2>/dev/null
		done
	done
	for h in a b; do
		for p in "${HA_KA_PID[$h]:-}" "${HA_DIR_PID[$h]:-}"; do
			[ -n "$p" ] && wait "$p" 2>/dev/null
		done
		ha_kill_vrrp_child "$h"
	done
}

# round KIND: one failover (KIND director|host) of a running pair; sets RES to
# the client-visible and the VIP-move seconds, or "fail". Runs in this shell,
# not in $(...): a subshell's `wait` on our children blocks on the wrong ones.
round() {
	local out=$T_TMP/probe.$RANDOM t0 tw vip probe k first
	ip netns exec "$HA_NS_C" /usr/bin/python3 "$here/failover_probe.py" "$HA_VIP" "$HA_PORT" \
		failover-probe 20 >"$out" 2>&1 &
	probe=$!
	track "$probe"
	for ((k = 0; k < 100; k++)); do
		[ "$(grep -c '^ok' "$out" 2>/dev/null)" -ge 10 ] 2>/dev/null && break
		sleep 0.05
	done
	[ -n "${FAILOVER_DEBUG:-}" ] && echo "# before kill: holder $(ha_holder), states $(ha_state a)/$(ha_state b), ok $(grep -c "^ok" "$out")" >&2
	# a random phase against keepalived's 1 s script clock: the pair was just
	# started, and killing at a fixed time after it measures one phase only
	sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
	# t0 once the failure is in place: the kill returned, or the link is down
	# (an attempt already past the link before that could still succeed)
	if [ "$1" = director ]; then
		kill -9 "${HA_DIR_PID[a]}"
		t0=$(date +%s%N)
		wait "${HA_DIR_PID[a]}" 2>/dev/null
	else
		ip -n "${HA_NS[a]}" link set fr down
		t0=$(date +%s%N)
		ha_host_down a
	fi
	tw=$(date +%s%N)
	vip=$(ha_wait_holder b 15)
	[ -n "$vip" ] && vip=$(awk -v v="$vip" -v d=$((tw - t0)) 'BEGIN{printf "%.3f", v + d / 1e9}')
	first=""
	for ((k = 0; k < 300; k++)); do
		first=$(awk -v t0="$t0" '$1 == "ok" && $2 >= t0 {print $3; exit}' "$out")
		[ -n "$first" ] && break
		sleep 0.05
	done
	kill "$probe" 2>/dev/null
	wait "$probe" 2>/dev/null
	if [ -z "$first" ] || [ -z "$vip" ]; then
		RES=fail
		return
	fi
	RES=$(awk -v f="$first" -v t0="$t0" -v v="$vip" 'BEGIN{printf "%.3f %.3f\n", (f - t0) / 1e9, v}')
}

median() { sort -g | awk '{v[NR] = $1} END {if (!NR) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# ---- the nft pair with and without conntrackd ----
SYNC_ROUNDS=${FAILOVER_SYNC_ROUNDS:-3}
SYNC_CLIENTS=${SYNC_CLIENTS:-20}
SYNC_MSGS=30
SYNC_KILL_AT=5
# advert 0.5: 0.1 flapped here while other jobs loaded the 2 cores, and a flap
# before the kill is not what this part measures
V_SYNC=${FAILOVER_SYNC_FLAGS:---advert-int 0.5 --fall 2}

# nft_pair_start sync|nosync: clean hosts (links up, no stale table, VIP or
# conntrack entry of a dead predecessor), nft directors, conntrackd (sync),
# keepalived, until a is MASTER.
nft_pair_start() {
	local h
	for h in a b; do
		ip -n "${HA_NS[$h]}" link set fr up
		ip -n "${HA_NS[$h]}" link set bk up
		ip -n "${HA_NS[$h]}" addr del "$HA_VIP/24" dev fr 2>/dev/null
		ip -n "${HA_NS[$h]}" addr del "$HA_BACK_VIP/24" dev bk 2>/dev/null
		ip netns exec "${HA_NS[$h]}" nft delete table ip "mqlb-ha$h" 2>/dev/null
		ip netns exec "${HA_NS[$h]}" conntrack -F 2>/dev/null
		rm -f "$T_TMP/$h.state"
		ha_director_nft "$h" --snat "$HA_BACK_VIP" || return 1
		if [ "$1" = sync ]; then
			# shellcheck disable=SC2046 # flags are words
			ha_render "$h" $V_SYNC $(ha_sync_flags "$h") || return 1
			ha_conntrackd "$h" || return 1
		else
			# shellcheck disable=SC2086 # flags are words
			ha_render "$h" $V_SYNC --back-vip "$HA_BACK_VIP/24" --back-interface bk || return 1
		fi
		ha_keepalived "$h"
	done
	ha_wait_holder a 15 >/dev/null || { echo "# no first election"; ha_diag; return 1; }
}

nft_pair_stop() {
	local h
	pair_stop
	for h in a b; do
		[ -n "${HA_CT_PID[$h]:-}" ] && kill -TERM "${HA_CT_PID[$h]}" 2>/dev/null &&
			wait "${HA_CT_PID[$h]}" 2>/dev/null
		HA_CT_PID[$h]=""
	done
}

publish_all() {
	local b
	for b in "${HA_BROKERS[@]}"; do
		ip netns exec "$HA_NS_K" mosquitto_pub -h "$b" -p "$HA_BPORT" -t ha/sync -m "$1"
	done
}

# sync_round sync|nosync: one host death under SYNC_CLIENTS connections; sets
# RES to "SURVIVED LOST" (connections still working at the end, messages the
# clients did not get out of SYNC_CLIENTS x SYNC_MSGS) or "fail".
sync_round() {
	local i k pids=() n ready
	rm -f "$T_TMP"/sc-*.out
	for ((i = 0; i < SYNC_CLIENTS; i++)); do
		ip netns exec "$HA_NS_C" /usr/bin/python3 "$here/../tests/integration/ha_sync_client.py" \
			"$HA_VIP" "$HA_PORT" "sc-$i" ha/sync 25 >"$T_TMP/sc-$i.out" 2>&1 &
		pids+=($!)
		track $!
	done
	for ((k = 0; k < 200; k++)); do
		ready=$(cat "$T_TMP"/sc-*.out 2>/dev/null | grep -c '^ready')
		[ "$ready" -ge "$SYNC_CLIENTS" ] && break
		sleep 0.05
	done
	[ -n "${FAILOVER_DEBUG:-}" ] && echo "# $ready ready; client neigh: $(ip -n "$HA_NS_C" neigh | tr '\n' ' '); holder $(ha_holder)" >&2
	if [ "$1" = sync ]; then # the backup holds every connection before the kill
		for ((k = 0; k < 100; k++)); do
			n=$(ip netns exec "${HA_NS[b]}" conntrackd -C "$T_TMP/ct-b/conntrackd.conf" -e ct 2>/dev/null |
				grep -c "dport=$HA_PORT ")
			[ "$n" -ge "$SYNC_CLIENTS" ] && break
			sleep 0.05
		done
		[ -n "${FAILOVER_DEBUG:-}" ] && echo "# b's external cache: $n of $SYNC_CLIENTS" >&2
	fi
	for ((k = 1; k <= SYNC_MSGS; k++)); do
		[ "$k" -eq "$SYNC_KILL_AT" ] && ha_host_down a
		publish_all "m-$k"
		sleep 0.2
	done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	n=$(grep -l '^end' "$T_TMP"/sc-*.out | wc -l)
	k=$(cat "$T_TMP"/sc-*.out | grep -c '^msg m-')
	RES="$n $((SYNC_CLIENTS * SYNC_MSGS - k))"
	[ "$ready" -ge "$SYNC_CLIENTS" ] && return
	echo "# only $ready of $SYNC_CLIENTS clients subscribed: $(grep -h Error "$T_TMP"/sc-*.out | sort | uniq -c | tr '\n' ' ')"
	RES=fail
}

sync_part() {
	local r variant
	for variant in sync nosync; do : >"$T_TMP/s_$variant"; done
	for ((r = 1; r <= SYNC_ROUNDS; r++)); do
		for variant in sync nosync; do
			[ $((r % 2)) -eq 0 ] && variant=$([ "$variant" = sync ] && echo nosync || echo sync)
			nft_pair_start "$variant" || exit 1
			sync_round "$variant"
			nft_pair_stop
			echo "round $r nft $variant ($V_SYNC): ${RES% *} of $SYNC_CLIENTS connections survived the host death, ${RES#* } of $((SYNC_CLIENTS * SYNC_MSGS)) messages lost"
			[ "$RES" != fail ] && echo "$RES" >>"$T_TMP/s_$variant"
		done
	done
	for variant in sync nosync; do
		awk -v v="$variant" -v c="$SYNC_CLIENTS" -v m="$((SYNC_CLIENTS * SYNC_MSGS))" -v n="$SYNC_ROUNDS" '
			{ s[NR] = $1; l[NR] = $2 }
			function med(a, k,   i, j, t) {
				for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
				return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
			}
			END { if (!NR) { printf "nft %-6s: no round finished\n", v; exit }
				printf "nft %-6s (medians of %d of %d rounds): %.2f of connections survive (%s of %d), messages lost %.2f %% (%s of %d)\n",
					v, NR, n, med(s, NR) / c, med(s, NR), c, 100 * med(l, NR) / m, med(l, NR), m }' "$T_TMP/s_$variant"
	done
}

if [ "${FAILOVER_ONLY:-}" = sync ]; then
	command -v conntrackd >/dev/null || { echo "failover bench: SKIP sync (needs conntrackd)"; exit 0; }
	sync_part
	exit 0
fi

for kind in director host; do
	for variant in default mqlb; do : >"$T_TMP/r_${kind}_$variant"; done
done
for ((r = 1; r <= ROUNDS; r++)); do
	for kind in director host; do
		# alternate the order so drift in machine load hits both alike
		for variant in default mqlb; do
			[ $((r % 2)) -eq 0 ] && variant=$([ "$variant" = default ] && echo mqlb || echo default)
			flags=$V_DEFAULT
			[ "$variant" = mqlb ] && flags=$V_MQLB
			# shellcheck disable=SC2086 # flags are words
			pair_start $flags || exit 1
			round "$kind"
			pair_stop
			echo "round $r $kind $variant ($flags): client ${RES% *} s, VIP moved ${RES#* } s"
			[ "$RES" != fail ] && echo "${RES% *}" >>"$T_TMP/r_${kind}_$variant"
		done
	done
done

echo "medians of $ROUNDS rounds (client-visible: kill -> first CONNACK through the VIP):"
for kind in director host; do
	d=$(median <"$T_TMP/r_${kind}_default")
	m=$(median <"$T_TMP/r_${kind}_mqlb")
	awk -v k="$kind" -v d="$d" -v m="$m" -v vd="$V_DEFAULT" -v vm="$V_MQLB" -v nd="$(wc -l <"$T_TMP/r_${kind}_default")" \
		-v nm="$(wc -l <"$T_TMP/r_${kind}_mqlb")" 'BEGIN {
		printf "%-8s dies: default (%s) %.3f s [%d ok], mqlb (%s) %.3f s [%d ok], ratio mqlb/default %.3f\n",
			k, vd, d, nd, vm, m, nm, (d > 0 ? m / d : 0)
	}'
done

# mqlb bench --reconnect (when this mqlb has it): 50 clients hold connections
# through the VIP, the active director is SIGKILLed (their connections are cut
# at once), each reconnects with 20-50 ms backoff: the distribution of "lost
# -> CONNACK again". Director death only: after a host death a client notices
# the loss only by its keepalive, which would be what this measures.
if "$MQLB" bench --help 2>&1 | grep -q -- --reconnect-delay; then
	for variant in default mqlb; do
		flags=$V_DEFAULT
		[ "$variant" = mqlb ] && flags=$V_MQLB
		# shellcheck disable=SC2086 # flags are words
		pair_start $flags || exit 1
		ip netns exec "$HA_NS_C" "$MQLB" bench conn -h "$HA_VIP" -p "$HA_PORT" -c 50 \
			--reconnect --reconnect-delay 20ms,50ms --duration 10 --quiet \
			--json "$T_TMP/rc-$variant.json" >"$T_TMP/rc-$variant.out" 2>&1 &
		bp=$!
		track "$bp"
		sleep 3
		kill -9 "${HA_DIR_PID[a]}"
		wait "${HA_DIR_PID[a]}" 2>/dev/null
		wait "$bp"
		pair_stop
		/usr/bin/python3 - "$T_TMP/rc-$variant.json" "$variant" "$flags" <<'PY' || sed 's/^/# /' "$T_TMP/rc-$variant.out"
import json, sys
r = json.load(open(sys.argv[1])).get("reconnect_ms", {})
print("bench --reconnect, director dies, %s (%s): %s reconnected, lost -> CONNACK ms p50 %s p99 %s max %s"
      % (sys.argv[2], sys.argv[3], r.get("count"), r.get("p50"), r.get("p99"), r.get("max")))
PY
	done
fi

# quiet runs: does the pair hold still with a short advert interval?
for adv in $STABLE; do
	: >"$T_TMP/ka-a.log"
	: >"$T_TMP/ka-b.log"
	pair_start --advert-int "$adv" --fall 1 || exit 1
	changes=0 prev=a
	end=$(($(date +%s) + QUIET))
	while [ "$(date +%s)" -lt "$end" ]; do
		cur=$(ha_holder)
		[ "$cur" != "$prev" ] && changes=$((changes + 1)) && prev=$cur
		sleep 0.05
	done
	trans=$(cat "$T_TMP/ka-a.log" "$T_TMP/ka-b.log" | grep -c "Entering MASTER STATE")
	pair_stop
	echo "quiet ${QUIET} s at advert_int $adv: $changes VIP holder changes, $trans MASTER transitions (1 = the first election)"
done

if [ "$SYNC_ROUNDS" -gt 0 ] && command -v conntrackd >/dev/null; then
	sync_part
fi
