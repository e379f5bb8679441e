# The nft director in --mode nat between a client host and a broker host
# (network namespaces, veth + bridge, 198.18.0.0/15, real mosquitto brokers):
# rr spreads 300 connections 100/100/100 as counted by the brokers' kernel;
# wrr follows weights; status agrees; drain via `director set`; SIGTERM leaves
# nothing behind.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/director_net.bash"
need_root
need nft mosquitto ss /usr/bin/python3

dirnet_up nat || { echo "not ok 1 - network namespaces"; exit 1; }
for i in 0 1 2; do broker_start "$i" || exit 1; done
BE=(--backend "${BROKERS[0]}:$DIR_PORT" --backend "${BROKERS[1]}:$DIR_PORT" --backend "${BROKERS[2]}:$DIR_PORT")

# ---- rr: 300 connections land 100/100/100
director_start rr --listen "$VIP:$VIP_PORT" --mode nat --dataplane nft --scheduler rr --health-interval 0 "${BE[@]}" || exit 1
ip netns exec "$NS_D" nft list table ip mqlb-rr >/dev/null 2>&1
is "$?" 0 "table ip mqlb-rr exists in the director namespace"
clients_hold 300 30 || exit 1
is "$(cat "$CL_OUT")" "ok 300 failed 0" "300 MQTT clients connected through the VIP"
is "$(conns_on 0) $(conns_on 1) $(conns_on 2)" "100 100 100" "rr: brokers see 100/100/100 connections"
js=$("$MQLB" director status --json --control "$T_TMP/rr.sock")
is "$(json_get "$js" "[b['active_connections'] for b in d['backends']]")" "[100, 100, 100]" \
	"status --json: active_connections per backend (conntrack) agree"
is "$(json_get "$js" "[b['total_connections'] for b in d['backends']]")" "[100, 100, 100]" \
	"status --json: total_connections per backend (nft counters)"
is "$(json_get "$js" "(d['dataplane'], d['scheduler'], d['listen'])")" \
	"('nft', 'rr', '$VIP:$VIP_PORT')" "status --json: dataplane, scheduler, listen"
cmp_ok "$(json_get "$js" "min(b['bytes_in'] for b in d['backends'])")" -gt 0 "bytes_in counted"
cmp_ok "$(json_get "$js" "min(b['bytes_out'] for b in d['backends'])")" -gt 0 "bytes_out counted"
out=$("$MQLB" director status --stats --control "$T_TMP/rr.sock")
ok "status --stats prints a table with every backend" grep -q "${BROKERS[2]}:$DIR_PORT" <<<"$out"
clients_release

# ---- drain: no new connections to a drained broker, existing ones kept
clients_hold 30 30 || exit 1
"$MQLB" director set --control "$T_TMP/rr.sock" --backend "${BROKERS[1]}:$DIR_PORT" --drain
is "$?" 0 "director set --drain"
held1=$(conns_on 1)
pid1=$CL_PID
clients_hold 30 30 || exit 1
is "$(conns_on 1)" "$held1" "drained broker gets no new connections, keeps its $held1"
is "$(($(conns_on 0) + $(conns_on 2)))" "$((60 - held1))" "the others take the new ones"
kill "$pid1" 2>/dev/null
wait "$pid1" 2>/dev/null
clients_release
"$MQLB" director set --control "$T_TMP/rr.sock" --backend "${BROKERS[1]}:$DIR_PORT" --enable
director_stop "$DIR_PID"
is "$?" 0 "SIGTERM: director exits 0"
ip netns exec "$NS_D" nft list table ip mqlb-rr >/dev/null 2>&1
is "$?" 1 "SIGTERM: its table is gone"
ok "SIGTERM: its control socket is gone" test ! -e "$T_TMP/rr.sock"

# ---- wrr 3:2:1 over 300 connections: 150/100/50
director_start wrr --listen "$VIP:$VIP_PORT" --mode nat --scheduler wrr --health-interval 0 \
	--backend "${BROKERS[0]}:$DIR_PORT,weight=3" --backend "${BROKERS[1]}:$DIR_PORT,weight=2" \
	--backend "${BROKERS[2]}:$DIR_PORT,weight=1" || exit 1
clients_hold 300 30 || exit 1
is "$(conns_on 0) $(conns_on 1) $(conns_on 2)" "150 100 50" "wrr 3:2:1: brokers see 150/100/50"
clients_release
"$MQLB" director set --control "$T_TMP/wrr.sock" --backend "${BROKERS[2]}:$DIR_PORT" --weight 5
clients_hold 100 30 || exit 1
is "$(conns_on 0) $(conns_on 1) $(conns_on 2)" "30 20 50" "set --weight 5: 3:2:5 over 100 gives 30/20/50"
clients_release
director_stop "$DIR_PID"
is "$?" 0 "wrr director exits 0"
is "$(ip netns exec "$NS_D" nft list tables | wc -l)" 0 "no nft table left in the director namespace"
done_testing
