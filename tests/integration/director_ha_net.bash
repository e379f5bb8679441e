# director_ha_net.bash — sourced (after tests/lib.sh) by tests/integration/
# director_ha.sh and bench/failover.sh: two director "hosts" sharing a VIP held
# by real keepalived, in namespaces this script owns, all named
# $HA_PREFIX-<tag>-* (HA_PREFIX default mqlb-ha):
#
#   client 198.18.0.2 ─┐            ┌─ director A 198.18.0.11 | 198.18.1.11 ─┐
#                      └─ br0 (sw) ─┤                                         ├─ br1 (sw) ─ brokers
#                                   └─ director B 198.18.0.12 | 198.18.1.12 ─┘   198.18.1.21-23
#   VIP 198.18.0.10/24 on the front interface "fr" of whichever director is MASTER.
#
# Each director host runs `mqlb director run --dataplane proxy --scheduler
# clientid` listening on VIP:19500 (IP_FREEBIND: the standby listens before it
# holds the VIP) and keepalived -P with the config `mqlb director ha render`
# wrote (--netns: keepalived enters the namespace itself). Brokers: real
# mosquitto on port 19501 of each broker address.
#
# The nft variant (director_ha_sync.sh, bench/failover.sh): ha_director_nft
# runs `director run --dataplane nft --mode nat --snat $HA_BACK_VIP`, keepalived
# moves the back VIP 198.18.1.10/24 on "bk" with the front one, and with
# ha_conntrackd each host runs conntrackd (FTFW over the back link).

HA_VIP=198.18.0.10
HA_PORT=19500
HA_BPORT=19501
HA_BROKERS=(198.18.1.21 198.18.1.22 198.18.1.23)
declare -A HA_FRONT=([a]=198.18.0.11 [b]=198.18.0.12)
declare -A HA_BACK=([a]=198.18.1.11 [b]=198.18.1.12)
declare -A HA_PRIO=([a]=150 [b]=100)
HA_BACK_VIP=198.18.1.10
HA_PREFIX=${HA_PREFIX:-mqlb-ha}
declare -A HA_DIR_PID HA_KA_PID HA_CT_PID

# ha_own_binary: copies $MQLB to T_TMP/mqlb (until the copy runs: the tree
# may be mid-rebuild) and points MQLB there.
ha_own_binary() {
	local k
	for ((k = 0; k < 50; k++)); do
		cp "$MQLB" "$T_TMP/mqlb" 2>/dev/null && "$T_TMP/mqlb" director --help >/dev/null 2>&1 &&
			{ MQLB=$T_TMP/mqlb; return 0; }
		sleep 0.2
	done
	echo "# cannot copy a working $MQLB"
	return 1
}

# ha_up TAG: namespaces, veths, bridges; sets HA_NS_C HA_NS_K HA_NS_SW and
# HA_NS[a] HA_NS[b].
declare -A HA_NS
ha_up() {
	local tag=$1 ns h
	local p=$HA_PREFIX-$tag
	HA_NS_C=$p-c HA_NS_K=$p-k HA_NS_SW=$p-sw
	HA_NS[a]=$p-a HA_NS[b]=$p-b
	for ns in $HA_NS_C $HA_NS_K $HA_NS_SW ${HA_NS[a]} ${HA_NS[b]}; do
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns" || return 1
		on_exit "ip netns del $ns"
		ip -n "$ns" link set lo up
	done
	ip -n "$HA_NS_SW" link add br0 type bridge
	ip -n "$HA_NS_SW" link add br1 type bridge
	ip -n "$HA_NS_SW" link set br0 up
	ip -n "$HA_NS_SW" link set br1 up
	ha_port "$HA_NS_C" c0 br0 198.18.0.2/24 || return 1
	ha_port "$HA_NS_K" k0 br1 "${HA_BROKERS[0]}/24" || return 1
	local b
	for b in "${HA_BROKERS[@]:1}"; do ip -n "$HA_NS_K" addr add "$b/24" dev k0; done
	for h in a b; do
		ha_port "${HA_NS[$h]}" fr br0 "${HA_FRONT[$h]}/24" || return 1
		ha_port "${HA_NS[$h]}" bk br1 "${HA_BACK[$h]}/24" || return 1
	done
}

# ha_port NS IF BRIDGE ADDR/PLEN: a veth from NS (named IF) to BRIDGE in the switch.
ha_port() {
	local sw=${2}-${1##*-}
	ip link add "$2" netns "$1" type veth peer name "$sw" netns "$HA_NS_SW" || return 1
	ip -n "$HA_NS_SW" link set "$sw" master "$3" up
	ip -n "$1" addr add "$4" dev "$2"
	ip -n "$1" link set "$2" up
}

# ha_brokers: mosquitto on each broker address, logs in T_TMP/broker-ADDR.log.
ha_brokers() {
	local b k
	for b in "${HA_BROKERS[@]}"; do
		printf 'listener %s %s\nallow_anonymous true\npersistence false\n' "$HA_BPORT" "$b" \
			>"$T_TMP/broker-$b.conf"
		ip netns exec "$HA_NS_K" mosquitto -c "$T_TMP/broker-$b.conf" >"$T_TMP/broker-$b.log" 2>&1 &
		track $!
	done
	for b in "${HA_BROKERS[@]}"; do
		for ((k = 0; k < 100; k++)); do
			ip netns exec "$HA_NS_K" ss -Hltn "sport = :$HA_BPORT" | grep -q "$b:" && break
			sleep 0.05
		done
		[ "$k" -lt 100 ] || { echo "# broker $b did not start"; return 1; }
	done
}

# ha_director H: the proxy director of host H (a|b), control socket T_TMP/H.sock,
# state file T_TMP/H.state; waits until it answers. Sets HA_DIR_PID[H].
ha_director() {
	local h=$1 bk=()
	for b in "${HA_BROKERS[@]}"; do bk+=(--backend "$b:$HA_BPORT"); done
	ip netns exec "${HA_NS[$h]}" "$MQLB" director run --name "ha$h" --control "$T_TMP/$h.sock" \
		--dataplane proxy --scheduler clientid --threads 1 --listen "$HA_VIP:$HA_PORT" \
		"${bk[@]}" --health-interval 500ms --vrrp-state "$T_TMP/$h.state" \
		>>"$T_TMP/dir-$h.log" 2>&1 &
	ha_director_wait "$h" "director $h" $!
}

# ha_director_wait H WHAT PID: tracks PID as host H's director (HA_DIR_PID[H])
# and waits until its control socket answers; says so and fails otherwise.
ha_director_wait() {
	local h=$1 what=$2 k
	HA_DIR_PID[$h]=$3
	track "${HA_DIR_PID[$h]}"
	for ((k = 0; k < 100; k++)); do
		"$MQLB" director check --control "$T_TMP/$h.sock" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "# $what did not come up:"
	sed 's/^/#   /' "$T_TMP/dir-$h.log"
	return 1
}

# ha_director_nft H ARGS...: the nft NAT director of host H (forwarding on),
# otherwise like ha_director; ARGS go to director run (e.g. --snat ADDR).
ha_director_nft() {
	local h=$1 bk=()
	shift
	for b in "${HA_BROKERS[@]}"; do bk+=(--backend "$b:$HA_BPORT"); done
	ip netns exec "${HA_NS[$h]}" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "${HA_NS[$h]}" "$MQLB" director run --name "ha$h" --control "$T_TMP/$h.sock" \
		--dataplane nft --mode nat --listen "$HA_VIP:$HA_PORT" "${bk[@]}" \
		--health-interval 500ms --vrrp-state "$T_TMP/$h.state" "$@" >>"$T_TMP/dir-$h.log" 2>&1 &
	ha_director_wait "$h" "nft director $h" $!
}

# ha_sync_flags H: the render flags of host H for the back VIP and conntrackd
# (files in T_TMP/ct-H, FTFW to the other host's back address).
ha_sync_flags() {
	local o=b
	[ "$1" = b ] && o=a
	mkdir -p "$T_TMP/ct-$1"
	echo --back-vip "$HA_BACK_VIP/24" --back-interface bk --conntrackd "$T_TMP/ct-$1" \
		--sync-interface bk --sync-address "${HA_BACK[$1]}" --sync-peer "${HA_BACK[$o]}"
}

# ha_conntrackd H: conntrackd (foreground) in host H's namespace with the
# config ha render wrote; waits until it answers. Sets HA_CT_PID[H].
ha_conntrackd() {
	local h=$1 k conf=$T_TMP/ct-$1/conntrackd.conf
	rm -f "$T_TMP/ct-$h/conntrackd.lock" "$T_TMP/ct-$h/conntrackd.ctl"
	ip netns exec "${HA_NS[$h]}" conntrackd -C "$conf" >>"$T_TMP/ct-$h.out" 2>&1 &
	HA_CT_PID[$h]=$!
	track "${HA_CT_PID[$h]}"
	for ((k = 0; k < 100; k++)); do
		conntrackd -C "$conf" -s >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "# conntrackd $h did not come up:"
	sed 's/^/#   /' "$T_TMP/ct-$h.out" "$T_TMP/ct-$h/conntrackd.log" 2>/dev/null
	return 1
}

# ha_render H ARGS...: keepalived.conf of host H into T_TMP/ka-H.conf.
ha_render() {
	local h=$1
	shift
	"$MQLB" director ha render --vip "$HA_VIP/24" --interface fr --router-id 51 \
		--priority "${HA_PRIO[$h]}" --control "$T_TMP/$h.sock" --state-file "$T_TMP/$h.state" \
		--netns "${HA_NS[$h]}" "$@" --out "$T_TMP/ka-$h.conf"
}

# ha_keepalived H: keepalived (VRRP only, foreground) with T_TMP/ka-H.conf and
# its own pid files. Sets HA_KA_PID[H] (the parent; the VRRP child's pid is in
# T_TMP/ka-H.vrrp.pid).
ha_keepalived() {
	local h=$1
	# a killed predecessor's pids may live on as zombies (PID 1 here reaps
	# nothing): keepalived would take them for a running daemon and refuse
	rm -f "$T_TMP/ka-$h.pid" "$T_TMP/ka-$h.vrrp.pid"
	keepalived -n -l -D -P -f "$T_TMP/ka-$h.conf" -p "$T_TMP/ka-$h.pid" \
		-r "$T_TMP/ka-$h.vrrp.pid" >>"$T_TMP/ka-$h.log" 2>&1 &
	HA_KA_PID[$h]=$!
	track "${HA_KA_PID[$h]}"
	on_exit "ha_kill_vrrp_child $h"
}

# ha_kill_vrrp_child H: SIGKILL keepalived's VRRP child of host H (by its pid
# file; only when that pid is still a keepalived).
ha_kill_vrrp_child() {
	local p
	p=$(cat "$T_TMP/ka-$1.vrrp.pid" 2>/dev/null) || return 0
	[ -n "$p" ] && grep -q keepalived "/proc/$p/comm" 2>/dev/null && kill -9 "$p"
}

# ha_host_down H: host H "loses power": its links go down first (no
# farewell advert reaches the peer; its back VIP, left behind by a killed
# keepalived, answers no broker), then keepalived stops without a word:
# the parent is frozen so it cannot respawn its VRRP child or pass it a
# SIGTERM (the child's parent-death signal, on which it would send a
# priority-0 advert), the child is SIGKILLed, then the parent, then the director.
ha_host_down() {
	local h=$1
	ip -n "${HA_NS[$h]}" link set fr down
	ip -n "${HA_NS[$h]}" link set bk down
	kill -STOP "${HA_KA_PID[$h]}"
	ha_kill_vrrp_child "$h"
	kill -9 "${HA_KA_PID[$h]}" "${HA_DIR_PID[$h]}" ${HA_CT_PID[$h]:+"${HA_CT_PID[$h]}"}
	wait "${HA_KA_PID[$h]}" "${HA_DIR_PID[$h]}" ${HA_CT_PID[$h]:+"${HA_CT_PID[$h]}"} 2>/dev/null
	HA_CT_PID[$h]=""
}

# ha_diag: the last lines of both keepalived logs, as TAP comments.
ha_diag() {
	local h
	for h in a b; do
		diag "keepalived $h:"
		tail -n 25 "$T_TMP/ka-$h.log" | sed 's/^/#   /'
	done
}

# ha_alive PID: 0 when PID runs (not a zombie: PID 1 here reaps nothing).
ha_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# ha_holder: which host holds the VIP on a link that is up: a, b, none or
# both. (A dead host's VIP may stay on its downed link: keepalived was killed
# before it could remove it. That one serves nobody.)
ha_holder() {
	local h got=()
	for h in a b; do
		ip -n "${HA_NS[$h]}" -4 addr show dev fr up 2>/dev/null | grep -q "inet $HA_VIP/" && got+=("$h")
	done
	case ${#got[@]} in 0) echo none ;; 1) echo "${got[0]}" ;; *) echo both ;; esac
}

# ha_wait_holder H SECONDS: until host H alone holds the VIP; prints the
# seconds it took (3 decimals), returns 1 on timeout.
ha_wait_holder() {
	local t0 now lim
	t0=$(date +%s%N)
	lim=$(awk -v s="$2" 'BEGIN{printf "%.0f", s * 1e9}')
	while :; do
		now=$(date +%s%N)
		[ "$(ha_holder)" = "$1" ] && { awk -v d=$((now - t0)) 'BEGIN{printf "%.3f\n", d / 1e9}'; return 0; }
		[ $((now - t0)) -gt "$lim" ] && return 1
		sleep 0.02
	done
}

# ha_state H: the state file of host H.
ha_state() { cat "$T_TMP/$1.state" 2>/dev/null || echo none; }

# json_get JSON EXPR: a value out of director status JSON (j) via python.
json_get() {
	/usr/bin/python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# ha_refused PATTERN ARGS...: `mqlb director ARGS` exits 2 with one line that
# says PATTERN (two assertions; the name shows the first two and last two args)
ha_refused() {
	local pat=$1 out rc
	shift
	out=$("$MQLB" director "$@" 2>&1)
	rc=$?
	is "$rc" 2 "director ${*:1:2} ... ${*: -2} exits 2"
	ok "  and says '$pat'" grep -q -- "$pat" <<<"$out"
}

# ha_keep: with HA_KEEP=DIR, the logs, configs and state files are kept there
ha_keep() {
	[ -z "${HA_KEEP:-}" ] || on_exit "rm -rf '$HA_KEEP'; cp -r '$T_TMP' '$HA_KEEP'"
}
