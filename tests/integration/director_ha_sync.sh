# Director failover with connection sync, for real, in namespaces mqlb-hs-*:
# two nft NAT directors (--snat to a back VIP) share the front VIP 198.18.0.10
# and the back VIP 198.18.1.10 through keepalived (configs from `mqlb director
# ha render --back-vip ... --conntrackd DIR`), conntrackd (FTFW over the back
# link) in each director namespace, three real mosquitto brokers. One MQTT
# connection (ha_sync_client.py: subscribed, a PINGREQ a second, never
# reconnects) is open through the VIP when the whole active host dies (links
# down, keepalived, conntrackd and director SIGKILL).
#   with sync:    the same TCP connection keeps working: the messages
#                 published after the failover arrive on it, pings answered;
#   without sync: (same topology, no conntrackd) it breaks: reset or timeout.
# Both are asserted: the second shows the first can fail.
# HA_SYNC_BREAK=nocommit renders a hook that does not commit (the test must
# then fail in the sync half). HA_SYNC_ONLY=nosync runs the second half only;
# HA_KEEP=DIR keeps the logs, configs and b's conntrack events there.
. "$(dirname "$0")/../lib.sh"
HA_PREFIX=mqlb-hs
. "$(dirname "$0")/director_ha_net.bash"
need_root
need keepalived conntrackd conntrack mosquitto mosquitto_pub nft ss
[ -x /usr/bin/python3 ] || skip_all "needs /usr/bin/python3"
ADV=0.5
CLIENT_S=22 # the client's life: first election + failover + 3 publishes + slack
here=$(cd "$(dirname "$0")" && pwd)
ha_own_binary || exit 1

# bad values: one line naming the problem, exit 2
R=(ha render --vip 198.18.0.10/24 --interface fr --router-id 5 --control /run/x.sock --out "$T_TMP/never.conf")
S=(--conntrackd "$T_TMP/ctx" --sync-interface bk --sync-address 198.18.1.11 --sync-peer 198.18.1.12)
B=(--back-vip 198.18.1.10/24 --back-interface bk)
ha_refused "invalid --back-vip '198.18.1.10'" "${R[@]}" --back-vip 198.18.1.10 --back-interface bk
ha_refused "not of the --vip's family" "${R[@]}" --back-vip fd00::10/64 --back-interface bk
ha_refused "the same as --vip" "${R[@]}" --back-vip 198.18.0.10/24 --back-interface bk
ha_refused "--back-vip needs --back-interface" "${R[@]}" --back-vip 198.18.1.10/24
ha_refused "--conntrackd needs --back-vip" "${R[@]}" "${S[@]}"
ha_refused "--conntrackd needs --sync-interface" "${R[@]}" "${B[@]}" --conntrackd "$T_TMP/ctx"
ha_refused "need --conntrackd DIR" "${R[@]}" "${B[@]}" --sync-peer 198.18.1.12
ha_refused "invalid --sync-peer '224.0.0.18'" "${R[@]}" "${B[@]}" "${S[@]}" --sync-peer 224.0.0.18
ha_refused "invalid --sync-address 'fd00::1'" "${R[@]}" "${B[@]}" "${S[@]}" --sync-address fd00::1
ha_refused "are the same address" "${R[@]}" "${B[@]}" "${S[@]}" --sync-peer 198.18.1.11
ha_refused "invalid --conntrackd 'rel/dir'" "${R[@]}" "${B[@]}" "${S[@]}" --conntrackd rel/dir
ha_refused "invalid --sync-interface" "${R[@]}" "${B[@]}" "${S[@]}" --sync-interface "a b"
N=(run --listen 198.18.0.10:1883 --backend 198.18.1.21:1883 --health-interval 0)
ha_refused "invalid --snat '198.18.1.10:5'" "${N[@]}" --snat 198.18.1.10:5
ha_refused "--snat needs --dataplane nft --mode nat" "${N[@]}" --snat 198.18.1.10 --dataplane proxy
ha_refused "--snat needs --dataplane nft --mode nat" "${N[@]}" --snat 198.18.1.10 --mode local
ha_refused "--snat needs --mode nat and an address of the --listen" "${N[@]}" --snat fd00::10
ok "nothing was written" test ! -e "$T_TMP/never.conf" -a ! -e "$T_TMP/ctx/conntrackd.conf"

ha_keep

# publish_all MSG: MSG on ha/sync to every broker directly (the client's
# subscription is on one of them; the publisher does not cross the directors)
publish_all() {
	local b
	for b in "${HA_BROKERS[@]}"; do
		ip netns exec "$HA_NS_K" mosquitto_pub -h "$b" -p "$HA_BPORT" -t ha/sync -m "$1" || return 1
	done
}

# wait_grep PATTERN FILE SECONDS
wait_grep() {
	local k
	for ((k = 0; k < $3 * 20; k++)); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# variant TAG sync|nosync: the whole experiment in namespaces mqlb-hs-TAG-*.
# Sets V_LAST (the client's last line) and V_AFTER (messages after failover).
variant() {
	local tag=$1 mode=$2 h out=$T_TMP/client-$1.out cp k
	ha_up "$tag" || return 1
	ha_brokers || return 1
	for h in a b; do
		ha_director_nft "$h" --snat "$HA_BACK_VIP" || return 1
		# shellcheck disable=SC2046 # flags are words
		if [ "$mode" = sync ]; then
			ha_render "$h" --advert-int "$ADV" --fall 2 --rise 1 $(ha_sync_flags "$h")
		else
			ha_render "$h" --advert-int "$ADV" --fall 2 --rise 1 \
				--back-vip "$HA_BACK_VIP/24" --back-interface bk
		fi
		is "$?" 0 "$mode: ha render for host $h"
		ok "$mode: keepalived -t accepts host $h's config" keepalived -t -f "$T_TMP/ka-$h.conf"
		if [ "$mode" = sync ]; then
			[ "${HA_SYNC_BREAK:-}" = nocommit ] && sed -i 's/\t\$C -c ||/\ttrue ||/' "$T_TMP/ct-$h/primary-backup.sh"
			ha_conntrackd "$h"
			ok "$mode: conntrackd runs in host $h with the rendered config" ha_alive "${HA_CT_PID[$h]}"
		fi
	done
	ha_keepalived a
	ha_keepalived b
	# every conntrack event of b, for the diagnosis when something fails
	ip netns exec "${HA_NS[b]}" timeout 60 conntrack -E -p tcp -o timestamp >"$T_TMP/ct-events-$tag" 2>&1 &
	track $!
	ha_wait_holder a 10 >/dev/null
	is "$(ha_holder)" a "$mode: a holds the VIP"
	ok "$mode: and the back VIP" sh -c "ip -n ${HA_NS[a]} -4 addr show dev bk | grep -q 'inet $HA_BACK_VIP/'"
	ip netns exec "$HA_NS_C" /usr/bin/python3 "$here/ha_sync_client.py" "$HA_VIP" "$HA_PORT" \
		"hs-$tag" ha/sync "$CLIENT_S" >"$out" 2>&1 &
	cp=$!
	track "$cp"
	wait_grep '^ready' "$out" 5
	ok "$mode: the client subscribed through the VIP" grep -q '^ready' "$out"
	publish_all before
	wait_grep '^msg before' "$out" 5
	ok "$mode: a message before the failover arrives" grep -q '^msg before' "$out"
	ok "$mode: brokers see the back VIP as the client's address (--snat)" \
		sh -c "ip netns exec $HA_NS_K ss -Htn state established '( sport = :$HA_BPORT )' | grep -q '$HA_BACK_VIP:'"
	if [ "$mode" = sync ]; then
		for ((k = 0; k < 60; k++)); do
			ip netns exec "${HA_NS[b]}" conntrackd -C "$T_TMP/ct-b/conntrackd.conf" -e ct 2>/dev/null | grep -q "dport=$HA_PORT" && break
			sleep 0.05
		done
		ok "$mode: b's conntrackd holds a's client connection (external cache)" \
			sh -c "ip netns exec ${HA_NS[b]} conntrackd -C '$T_TMP/ct-b/conntrackd.conf' -e ct | grep -q 'dport=$HA_PORT'"
	fi
	sleep 1
	ha_host_down a
	t=$(ha_wait_holder b 15)
	ok "$mode: VIP on b after host a died (${t:-never} s)" [ -n "$t" ]
	sleep 2 # the notify hook commits; the client's pings resume
	for k in 1 2 3; do
		publish_all "after-$k"
		sleep 0.5
	done
	for ((k = 0; k < 30 * 20; k++)); do
		ha_alive "$cp" || break
		sleep 0.05
	done
	wait "$cp" 2>/dev/null
	V_LAST=$(tail -n 1 "$out")
	V_AFTER=$(grep -c '^msg after-' "$out")
	diag "$mode: client: $(tr '\n' ' ' <"$out")"
	diag "$mode: b's conntrack table: $(ip netns exec "${HA_NS[b]}" conntrack -L -p tcp --dport "$HA_PORT" 2>/dev/null | tr '\n' ' ')"
}

if [ "${HA_SYNC_ONLY:-}" != nosync ]; then
variant s1 sync || exit 1
like_end() { case $1 in end*) return 0 ;; esac; return 1; }
ok "with sync: the same TCP connection still works after the failover ($V_LAST)" like_end "$V_LAST"
is "$V_AFTER" 3 "with sync: the 3 messages published after the failover arrived on it"
[ "$V_AFTER" = 3 ] || ha_diag

fi
variant s2 nosync || exit 1
ok "without sync: the connection breaks ($V_LAST)" sh -c "case '$V_LAST' in dead*) exit 0;; esac; exit 1"
is "$V_AFTER" 0 "without sync: none of the 3 messages after the failover arrived"
done_testing
