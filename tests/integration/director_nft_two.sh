# Two nft director instances side by side in one director host (the
# distributed topology's "each keeps its own state"): each owns exactly its
# table; stopping one (SIGTERM, SIGINT) removes its table and nothing else —
# the other instance and a table that is not ours keep working.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/director_net.bash"
need_root
need nft mosquitto ss /usr/bin/python3

dirnet_up two || { echo "not ok 1 - network namespaces"; exit 1; }
for i in 0 1 2; do broker_start "$i" || exit 1; done
BE=(--backend "${BROKERS[0]}:$DIR_PORT" --backend "${BROKERS[1]}:$DIR_PORT" --backend "${BROKERS[2]}:$DIR_PORT")
# a table that belongs to someone else
ip netns exec "$NS_D" nft add table ip mqlb-dir-other
ip netns exec "$NS_D" nft add chain ip mqlb-dir-other c
director_start a --listen "$VIP:$VIP_PORT" --mode nat --scheduler rr --health-interval 0 "${BE[@]}" || exit 1
PID_A=$DIR_PID
director_start b --listen "$VIP:19310" --mode nat --scheduler wrr --health-interval 0 \
	--backend "${BROKERS[0]}:$DIR_PORT,weight=0" --backend "${BROKERS[2]}:$DIR_PORT" || exit 1
PID_B=$DIR_PID
is "$(ip netns exec "$NS_D" nft list tables | sort | tr '\n' ' ')" \
	"table ip mqlb-a table ip mqlb-b table ip mqlb-dir-other " "two instances, two tables, plus the foreign one"

# a third one with a taken name is refused and removes nothing
ip netns exec "$NS_D" "$MQLB" director run --name a --control "$T_TMP/a2.sock" --listen "$VIP:19311" \
	--mode nat "${BE[@]}" >"$T_TMP/a2.log" 2>&1
is "$?" 1 "a second instance named 'a' fails"
ok "and says the table exists" grep -q "already exists" "$T_TMP/a2.log"
ip netns exec "$NS_D" "$MQLB" director run --name c --control "$T_TMP/a.sock" --listen "$VIP:19311" \
	--mode nat "${BE[@]}" >"$T_TMP/c.log" 2>&1
is "$?" 1 "an instance on a control socket in use fails"
ok "and says so" grep -q "in use" "$T_TMP/c.log"
is "$(ip netns exec "$NS_D" nft list tables | wc -l)" 3 "the failed starts left the tables alone"

clients_hold 30 20 "$VIP_PORT" || exit 1
pa=$CL_PID
is "$(conns_on 0) $(conns_on 1) $(conns_on 2)" "10 10 10" "instance a (rr, port $VIP_PORT) spreads its clients"
clients_hold 20 20 19310 || exit 1
pb=$CL_PID
is "$(conns_on 0) $(conns_on 1) $(conns_on 2)" "10 10 30" "instance b (broker 0 at weight 0) sends all to broker 2"
sa=$("$MQLB" director status --json --control "$T_TMP/a.sock")
sb=$("$MQLB" director status --json --control "$T_TMP/b.sock")
is "$(json_get "$sa" "[b['active_connections'] for b in d['backends']]")" "[10, 10, 10]" "a counts only its own connections"
is "$(json_get "$sb" "[b['active_connections'] for b in d['backends']]")" "[0, 20]" "b counts only its own connections"

kill -INT "$PID_A"
wait "$PID_A"
is "$?" 0 "SIGINT: instance a exits 0"
is "$(ip netns exec "$NS_D" nft list tables | sort | tr '\n' ' ')" "table ip mqlb-b table ip mqlb-dir-other " \
	"only a's table is gone"
clients_hold 10 20 19310 || exit 1
is "$(cat "$CL_OUT")" "ok 10 failed 0" "instance b still balances"
is "$(conns_on 2)" 40 "to broker 2 (20 + 10 of b, and a's 10 are still there)"
is "$(conns_on 0) $(conns_on 1)" "10 10" "a's established flows outlive its table (conntrack keeps their NAT)"
director_stop "$PID_B"
is "$?" 0 "SIGTERM: instance b exits 0"
is "$(ip netns exec "$NS_D" nft list tables | tr '\n' ' ')" "table ip mqlb-dir-other " "the foreign table survives both"
kill "$pa" "$pb" 2>/dev/null
done_testing
