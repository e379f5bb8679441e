# Director HA with real keepalived (VRRP) in namespaces mqlb-ha-t-*: two proxy
# directors (--scheduler clientid) share VIP 198.18.0.10, keepalived configs
# from `mqlb director ha render`. Exactly one host holds the VIP; after SIGKILL
# of the active director process alone keepalived's vrrp_script (`mqlb director
# check`) puts that host in FAULT and the VIP moves within interval x fall +
# advert + slack; clients reach the same broker for the same ClientID through
# the other director; the recovered host takes the VIP back (preempt); then
# the whole active host dies (keepalived + director SIGKILL, front link down)
# and the VIP moves within 3 x advert_int + skew + slack.
# HA_BREAK=notrack renders without track_script (the test must then fail).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/director_ha_net.bash"
need_root
need keepalived mosquitto mosquitto_pub ss
ADV=${HA_ADVERT:-0.5} # seconds between adverts (VRRP v3)
FALL=2                # failed checks (1 s apart: keepalived's minimum) before FAULT
SLACK=1.0             # scheduling on a loaded 2-core machine, our 20 ms polling
BOUND_DIR=$(awk -v a="$ADV" -v f="$FALL" -v s="$SLACK" 'BEGIN{print f * 1 + a + s}')
# master down interval 3 x advert + skew (256 - prio) / 256 x advert, prio of b
BOUND_HOST=$(awk -v a="$ADV" -v s="$SLACK" 'BEGIN{print 3 * a + (256 - 100) / 256 * a + s}')

# Our own copy of the binary: keepalived runs it for checks and notifies, and
# a rebuild of ./mqlb by someone else mid-test would fail them (a spurious FAULT).
ha_own_binary || exit 1
# bad values: one line naming the problem, exit 2, nothing written
R=(ha render --interface fr --router-id 5 --control /run/x.sock --out "$T_TMP/never.conf")
ha_refused "invalid --vip '198.18.0.10'" "${R[@]}" --vip 198.18.0.10
ha_refused "invalid --vip '198.18.0.10/33'" "${R[@]}" --vip 198.18.0.10/33
ha_refused "invalid --advert-int '0.05s'" "${R[@]}" --vip 198.18.0.10/24 --advert-int 0.05s
ha_refused "invalid --advert-int '0.001'" "${R[@]}" --vip 198.18.0.10/24 --advert-int 0.001
ha_refused "invalid --router-id '256'" "${R[@]}" --vip 198.18.0.10/24 --router-id 256
ha_refused "invalid --priority '255'" "${R[@]}" --vip 198.18.0.10/24 --priority 255
ha_refused "invalid --control 'rel.sock'" "${R[@]}" --vip 198.18.0.10/24 --control rel.sock
ha_refused "invalid --state-file '/tmp/a b'" "${R[@]}" --vip 198.18.0.10/24 --state-file "/tmp/a b"
ha_refused "invalid --unicast-peer 'fd00::1'" "${R[@]}" --vip 198.18.0.10/24 --unicast-peer fd00::1
ha_refused "invalid --interface" "${R[@]}" --vip 198.18.0.10/24 --interface "a/b"
ha_refused "invalid --netns" "${R[@]}" --vip 198.18.0.10/24 --netns "a b"
ha_refused "--vip ADDR/PLEN is required" ha render --interface fr --router-id 5 --control /run/x.sock
ha_refused "invalid state 'LEADER'" ha notify --state-file "$T_TMP/st" INSTANCE v LEADER 100
ha_refused "invalid --timeout" check --control /run/x.sock --timeout 0
ok "nothing was written" test ! -e "$T_TMP/never.conf" -a ! -e "$T_TMP/st"
"$MQLB" director check --control "$T_TMP/nobody.sock" 2>/dev/null
is "$?" 1 "director check without a director exits 1"

# HA_KEEP=DIR: keep the logs, configs and state files there for a look
ha_keep
ha_up t || exit 1
ha_brokers || exit 1
for h in a b; do
	ha_director "$h" || exit 1
	ha_render "$h" --advert-int "$ADV" --fall "$FALL" --rise 1
	is "$?" 0 "ha render for host $h"
	[ "${HA_BREAK:-}" = notrack ] && sed -i '/track_script {/,/}/d' "$T_TMP/ka-$h.conf"
	ok "keepalived -t accepts host $h's config" keepalived -t -f "$T_TMP/ka-$h.conf"
done
ok "the standby proxy listens on the VIP it does not hold (IP_FREEBIND)" \
	grep -q "IP_FREEBIND" "$T_TMP/dir-b.log"
ha_keepalived a
ha_keepalived b

ha_wait_state() { # ha_wait_state H STATE SECONDS
	local k
	for ((k = 0; k < $3 * 20; k++)); do
		[ "$(ha_state "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# first election: both start BACKUP, a (priority 150) wins after 3 x advert + skew
ha_wait_holder a 10 >/dev/null
is "$(ha_holder)" a "exactly one director namespace holds the VIP: a (priority 150)"
ha_wait_state a MASTER 5
is "$(ha_state a)" MASTER "a's notify hook wrote MASTER to its state file"
ha_wait_state b BACKUP 5
is "$(ha_state b)" BACKUP "b's notify hook wrote BACKUP"
json=$("$MQLB" director status --json --control "$T_TMP/a.sock")
is "$(json_get "$json" "j['vrrp_state']" 2>&1)" MASTER "director a's status --json: vrrp_state MASTER"
if ip netns exec "${HA_NS[a]}" cat /proc/sys/net/netfilter/nf_conntrack_count >/dev/null 2>&1; then
	n=$(json_get "$json" "j['conntrack_count']" 2>&1)
	ok "status --json has conntrack_count ($n)" [ "$n" -ge 0 ] 2>/dev/null
else
	ok "status --json leaves conntrack_count out without a conntrack table" \
		json_get "$json" "'conntrack_count' not in j"
fi
ok "the status table shows the VRRP state" \
	sh -c "'$MQLB' director status --control '$T_TMP/b.sock' | grep -q '^VRRP state BACKUP'"

# sessions: ClientID -> the one broker whose log saw it
pub() { ip netns exec "$HA_NS_C" mosquitto_pub -h "$HA_VIP" -p "$HA_PORT" -i "$1" -t ha/t -m x -q 1 2>&1; }
broker_of() {
	local b hits=()
	for b in "${HA_BROKERS[@]}"; do grep -q " as $1 (" "$T_TMP/broker-$b.log" && hits+=("$b"); done
	[ ${#hits[@]} -eq 1 ] && echo "${hits[0]}" || echo "many:${hits[*]}"
}
declare -A HOME_OF
sessions() { # sessions LABEL: 6 ClientIDs through the VIP; same broker as the first time
	local i fails=0 moved=0
	for i in 1 2 3 4 5 6; do
		pub "ha-$i" >/dev/null || fails=$((fails + 1))
		if [ -z "${HOME_OF[$i]:-}" ]; then
			HOME_OF[$i]=$(broker_of "ha-$i")
		elif [ "$(broker_of "ha-$i")" != "${HOME_OF[$i]}" ]; then
			moved=$((moved + 1))
			diag "ha-$i: now $(broker_of "ha-$i"), first ${HOME_OF[$i]}"
		fi
	done
	is "$fails" 0 "$1: 6 MQTT sessions through the VIP"
	is "$moved" 0 "$1: every ClientID on the same broker as before"
}
sessions "through a"
nb=$(printf '%s\n' "${HOME_OF[@]}" | sort -u | grep -vc many)
cmp_ok "$nb" -ge 2 "the 6 ClientIDs spread over $nb brokers, one each"

# 1. the active director process dies; keepalived on a stays up
kill -9 "${HA_DIR_PID[a]}"
wait "${HA_DIR_PID[a]}" 2>/dev/null
t=$(ha_wait_holder b 15)
ok "VIP moved to b after director a's SIGKILL: ${t:-never} s (bound $BOUND_DIR s = $FALL checks x 1 s + advert $ADV + $SLACK)" \
	awk -v t="${t:-99}" -v b="$BOUND_DIR" 'BEGIN{exit !(t <= b)}'
ha_wait_state b MASTER 3
is "$(ha_state b)" MASTER "b's state file says MASTER"
is "$(ha_state a)" FAULT "a's state file says FAULT (its check fails)"
json=$("$MQLB" director status --json --control "$T_TMP/b.sock")
is "$(json_get "$json" "j['vrrp_state']" 2>&1)" MASTER "director b's status: vrrp_state MASTER"
sessions "through b after director a died"

# 2. a's director comes back: its check passes (rise 1), a preempts
ha_director a || exit 1
t=$(ha_wait_holder a 10)
ok "a takes the VIP back once its director answers (${t:-never} s)" [ -n "$t" ]
[ -n "$t" ] || ha_diag
ha_wait_state b BACKUP 3
is "$(ha_state b)" BACKUP "b is BACKUP again"
sessions "through a again"

# 3. the whole host a dies: ha_host_down takes its front link down first (a
# dying keepalived's farewell advert must not help) and SIGKILLs the rest
ha_host_down a
t=$(ha_wait_holder b 15)
ok "VIP up on b after host a died: ${t:-never} s (bound $BOUND_HOST s = 3 x $ADV + skew + $SLACK)" \
	awk -v t="${t:-99}" -v b="$BOUND_HOST" 'BEGIN{exit !(t <= b)}'
ha_wait_state b MASTER 3
is "$(ha_state b)" MASTER "b's state file says MASTER"
sessions "through b after host a died"
ok "keepalived on b still runs" ha_alive "${HA_KA_PID[b]}"
done_testing
