#!/usr/bin/env bash
# Host names (issue 13): every address mqlb takes accepts a DNS name, resolved
# once at parse time; a director resolves its backends' names again on
# `director set --reload` and SIGHUP. The names live in a hosts file of this
# test's network namespace (/etc/netns/mqlb-e5-names/hosts, which `ip netns
# exec` bind-mounts over /etc/hosts): the machine's /etc/hosts is not touched.
# In the namespace: real mosquitto on 198.18.0.1, 198.18.0.2, [2001:2::2] and
# [::1], port 19001 (19002 for ::1);
#   - bench -h, cluster probe, director --listen/--backend take names; an
#     unresolvable name is one line and exit 2;
#   - proxy: a v4 name, then the name moves (hosts file rewritten): --reload
#     moves the backend, new clients reach the new broker; the name vanishes:
#     SIGHUP keeps the old address and logs it;
#   - IPv6: a proxy listening on a ::1 name with a v6-only backend name; nft
#     (mode local) on [::1] to a v6 backend name.
. "$(dirname "$0")/../lib.sh"
need_root
need mosquitto mosquitto_pub nft
NS=mqlb-e5-names
NSDIR=/etc/netns/$NS
HOSTS=$NSDIR/hosts
ip netns del $NS 2>/dev/null
rm -rf "$NSDIR"
ip netns add $NS || exit 1
on_exit "ip netns del $NS"
mkdir -p "$NSDIR"
on_exit "rm -rf $NSDIR"
ip -n $NS link set lo up
# a veth pair inside the namespace holds its addresses (no dummy in every kernel)
ip -n $NS link add d0 type veth peer name d1 || exit 1
ip -n $NS addr add 198.18.0.1/24 dev d0
ip -n $NS addr add 198.18.0.2/24 dev d0
ip -n $NS addr add 2001:2::2/64 dev d0 nodad
ip -n $NS link set d0 up
ip -n $NS link set d1 up
# hosts HOST-LINE...: the namespace's hosts file, rewritten in place (same
# inode: the bind mount of a running `ip netns exec` still shows it)
hosts() {
	{
		echo "127.0.0.1 localhost"
		for l in "$@"; do echo "$l"; done
	} >"$HOSTS"
}
hosts "198.18.0.1 moving.mqlb-e5.test vip.mqlb-e5.test" "2001:2::2 b6.mqlb-e5.test" \
	"::1 lo6.mqlb-e5.test"
# nsx CMD...: CMD in the namespace (not for '&': a function in the background
# is a subshell, and $! would be that shell, not the command)
nsx() { ip netns exec $NS "$@"; }

# ns_mosq ADDR PORT TAG: a broker in the namespace, tracked, logging connects
ns_mosq() {
	cat >"$T_TMP/m-$3.conf" <<EOC
listener $2 $1
allow_anonymous true
persistence false
log_type all
EOC
	ip netns exec $NS mosquitto -c "$T_TMP/m-$3.conf" >"$T_TMP/m-$3.log" 2>&1 &
	track $!
	local k
	for ((k = 0; k < 100; k++)); do
		grep -q "Opening ipv. listen socket on port $2" "$T_TMP/m-$3.log" && return 0
		sleep 0.05
	done
	echo "Bail out! mosquitto $3 did not start"
	cat "$T_TMP/m-$3.log"
	exit 1
}
ns_mosq 198.18.0.1 19001 b1
ns_mosq 198.18.0.2 19001 b2
ns_mosq 2001:2::2 19001 b6
ns_mosq ::1 19002 l6
sleep 0.3
# seen TAG ID: broker TAG logged client ID (<= 5 s)
seen() {
	local k
	for ((k = 0; k < 100; k++)); do
		grep -q "New client connected .* as $2 " "$T_TMP/m-$1.log" && return 0
		sleep 0.05
	done
	return 1
}
pub() { nsx mosquitto_pub -h "$1" -p "$2" -i "$3" -t t -m x; } # pub HOST PORT ID

# ---- the front ends of mqlb ----
ok "cluster probe takes a name (moving.mqlb-e5.test:19001)" \
	nsx "$MQLB" cluster probe moving.mqlb-e5.test:19001 --timeout 3s
out=$(nsx timeout 30 "$MQLB" bench conn -h b6.mqlb-e5.test -p 19001 -c 5 -i 1 --duration 1 --quiet 2>&1)
ok "bench -h takes a name: 5 connections to b6.mqlb-e5.test = [2001:2::2]:19001" \
	grep -q "target .*\[2001:2::2\]:19001: 5 connections" <<<"$out"
out=$(nsx "$MQLB" bench conn -h nosuch.mqlb-e5.test -p 19001 -c 1 2>&1)
is "$?" 2 "bench -h with a name that does not resolve: exit 2"
ok "... and says so: '$(echo "$out" | head -1)'" \
	grep -q "cannot resolve host name 'nosuch.mqlb-e5.test'" <<<"$out"
out=$(ip netns exec $NS "$MQLB" director run --dataplane proxy --listen vip.mqlb-e5.test:19100 \
	--backend nosuch.mqlb-e5.test:19001 2>&1)
is "$?" 2 "director run --backend with an unresolvable name: exit 2"
ok "... one line naming it" grep -q "^mqlb: .*cannot resolve host name 'nosuch.mqlb-e5.test'" \
	<<<"$out"

# ---- proxy: a v4 name that moves ----
ip netns exec $NS "$MQLB" director run --dataplane proxy --name e5n --control "$T_TMP/n.sock" \
	--listen vip.mqlb-e5.test:19100 --backend moving.mqlb-e5.test:19001 \
	--health-interval 0 >"$T_TMP/n.log" 2>&1 &
DPID=$!
track $DPID
st() { "$MQLB" director status --json --control "$T_TMP/n.sock" |
	python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
for ((k = 0; k < 100; k++)); do st 1 >/dev/null 2>&1 && break; sleep 0.05; done
is "$(st "j['listen']")" 198.18.0.1:19100 "--listen vip.mqlb-e5.test:19100 listens on 198.18.0.1"
is "$(st "j['backends'][0]['address'], j['backends'][0]['host_name']")" \
	"198.18.0.1:19001 moving.mqlb-e5.test" "the backend: its address and its name in status"
ok "a client through the proxy reaches 198.18.0.1" pub 198.18.0.1 19100 e5-before
ok "... broker b1 saw it" seen b1 e5-before

hosts "198.18.0.2 moving.mqlb-e5.test" "198.18.0.1 vip.mqlb-e5.test" "2001:2::2 b6.mqlb-e5.test"
ok "before a reload the backend stays where it was" test "$(st "j['backends'][0]['address']")" = 198.18.0.1:19001
out=$("$MQLB" director set --control "$T_TMP/n.sock" --reload)
is "$out" "ok 1 backend moved" "director set --reload after the name moved: '$out'"
is "$(st "j['backends'][0]['address']")" 198.18.0.2:19001 "status: the backend is now 198.18.0.2"
ok "a new client reaches the new broker" pub 198.18.0.1 19100 e5-after
ok "... broker b2 saw it" seen b2 e5-after
ok "the log says so" grep -q "backend moving.mqlb-e5.test: 198.18.0.1:19001 -> 198.18.0.2:19001" \
	"$T_TMP/n.log"

hosts "198.18.0.1 vip.mqlb-e5.test"
kill -HUP $DPID
for ((k = 0; k < 100; k++)); do grep -q "keeping 198.18.0.2:19001" "$T_TMP/n.log" && break; sleep 0.05; done
ok "SIGHUP with the name gone: logged, old address kept" grep -q \
	"backend moving.mqlb-e5.test (198.18.0.2:19001): cannot resolve .*; keeping 198.18.0.2:19001" \
	"$T_TMP/n.log"
is "$(st "j['backends'][0]['address']")" 198.18.0.2:19001 "status: still 198.18.0.2"
ok "clients still pass" pub 198.18.0.1 19100 e5-kept
ok "... to b2" seen b2 e5-kept
st_proc=$(awk '{print $3}' /proc/$DPID/stat 2>/dev/null)
ok "the director still runs (state '$st_proc')" test -n "$st_proc" -a "$st_proc" != Z
kill -TERM $DPID
hosts "198.18.0.1 moving.mqlb-e5.test vip.mqlb-e5.test" "2001:2::2 b6.mqlb-e5.test" \
	"::1 lo6.mqlb-e5.test"

# ---- IPv6: proxy on a ::1 name to a v6-only name ----
ip netns exec $NS "$MQLB" director run --dataplane proxy --name e5p6 --control "$T_TMP/p6.sock" \
	--listen lo6.mqlb-e5.test:19101 --backend b6.mqlb-e5.test:19001 >"$T_TMP/p6.log" 2>&1 &
track $!
for ((k = 0; k < 100; k++)); do "$MQLB" director status --control "$T_TMP/p6.sock" >/dev/null 2>&1 && break; sleep 0.05; done
ok "proxy [::1]:19101 (lo6.mqlb-e5.test) -> b6.mqlb-e5.test: a client passes" pub ::1 19101 e5-p6
ok "... broker [2001:2::2] saw it" seen b6 e5-p6
ok "status lists [2001:2::2]:19001" sh -c "'$MQLB' director status --json --control '$T_TMP/p6.sock' | grep -q '\"\\[2001:2::2\\]:19001\"'"

# ---- IPv6: nft on [::1] to a v6 name ----
ip netns exec $NS "$MQLB" director run --dataplane nft --name e5n6 --control "$T_TMP/n6.sock" \
	--listen '[::1]:19102' --backend b6.mqlb-e5.test:19001 >"$T_TMP/n6.log" 2>&1 &
track $!
for ((k = 0; k < 100; k++)); do "$MQLB" director status --control "$T_TMP/n6.sock" >/dev/null 2>&1 && break; sleep 0.05; done
ok "nft [::1]:19102 -> b6.mqlb-e5.test: a client passes" pub ::1 19102 e5-n6
ok "... broker [2001:2::2] saw it" seen b6 e5-n6
if [ "$T_FAIL" -ne 0 ]; then
	for f in n p6 n6; do diag "--- $f.log"; sed 's/^/#   /' "$T_TMP/$f.log" 2>/dev/null | tail -15; done
fi
done_testing
