#!/usr/bin/env bash
# A director killed with SIGKILL leaves its nft table behind (no cleanup ran);
# restarted under the same --name (systemd Restart=) it takes that table over
# instead of failing, because the table carries its owner's pid and start time
# (counter owner_<pid>_<start>) and that process is gone. A live director's
# table is never taken: a second one with the same --name is refused and told
# the pid. In a namespace of its own (mqlb-edge-rs, loopback, ports
# 19880-19883), real mosquitto brokers behind the VIP.
. "$(dirname "$0")/../lib.sh"
need_root
need nft mosquitto mosquitto_pub

NS=mqlb-edge-rs
ip netns del $NS 2>/dev/null
ip netns add $NS || { echo "Bail out! cannot create namespace $NS"; exit 1; }
on_exit "ip netns del $NS"
ip -n $NS link set lo up
for p in 19881 19882; do
	printf '%s\n' "listener $p 127.0.0.1" "allow_anonymous true" "persistence false" >"$T_TMP/m$p.conf"
	ip netns exec $NS mosquitto -c "$T_TMP/m$p.conf" >"$T_TMP/m$p.log" 2>&1 &
	track $!
done
sleep 0.5
run() { # run TAG: a director named rs in the background; sets DP
	ip netns exec $NS "$MQLB" director run --name rs --control "$T_TMP/$1.sock" \
		--listen 127.0.0.1:19880 --backend 127.0.0.1:19881 --backend 127.0.0.1:19882 \
		--health-interval 200ms >"$T_TMP/$1.log" 2>&1 &
	DP=$!
	track $DP
	for ((k = 0; k < 100; k++)); do
		"$MQLB" director status --control "$T_TMP/$1.sock" >/dev/null 2>&1 && return 0
		[ "$(awk '{print $3}' "/proc/$DP/stat" 2>/dev/null)" = Z ] && return 1
		[ -e "/proc/$DP" ] || return 1
		sleep 0.05
	done
	return 1
}
pub() { ip netns exec $NS timeout 5 mosquitto_pub -h 127.0.0.1 -p 19880 -i "rs-$1" -t rs/t -m x >/dev/null 2>&1; }

ok "a director starts" run first
ok "clients get through its VIP" pub 1
owner=$(ip netns exec $NS nft list counters table ip mqlb-rs | grep -o 'owner_[0-9]*_[0-9]*')
ok "its table names its owner ($owner)" test -n "$owner"
cmp_ok "$(cut -d_ -f2 <<<"$owner")" -eq "$DP" "... the director's pid"
# a second one with the same name while the first lives: refused, pid named
ip netns exec $NS "$MQLB" director run --name rs --control "$T_TMP/second.sock" \
	--listen 127.0.0.1:19880 --backend 127.0.0.1:19881 >"$T_TMP/second.log" 2>&1
cmp_ok "$?" -ne 0 "a second director under the same name is refused while the first runs"
ok "... told the first one's pid" grep -q "another director named 'rs' is running as pid $DP" "$T_TMP/second.log"
ok "... and the first one's table is intact" pub 2
OLD=$DP
kill -KILL "$OLD"
for ((k = 0; k < 40; k++)); do [ "$(awk '{print $3}' "/proc/$OLD/stat" 2>/dev/null)" = Z ] || [ ! -e "/proc/$OLD" ] && break; sleep 0.05; done
ok "SIGKILL left the table behind" bash -c "ip netns exec $NS nft -t list table ip mqlb-rs >/dev/null"
ok "restarted under the same name, it starts" run third
ok "... saying it took the stale table over" grep -q "was left by director pid $OLD, which is gone (killed?): taking it over" "$T_TMP/third.log"
ok "clients get through the VIP again" pub 3
new=$(ip netns exec $NS nft list counters table ip mqlb-rs | grep -o 'owner_[0-9]*_[0-9]*')
cmp_ok "$(cut -d_ -f2 <<<"$new")" -eq "$DP" "the table is the new director's now ($new)"
is "$(ip netns exec $NS nft list tables | grep -c mqlb-rs)" 1 "one table, not two"
kill -TERM "$DP"
wait "$DP"
is "$(ip netns exec $NS nft list tables | grep -c mqlb-rs)" 0 "a clean stop still removes it"
done_testing
