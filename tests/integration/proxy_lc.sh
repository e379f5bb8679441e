# The proxy's lc scheduler against real mosquitto brokers (loopback, ports
# 19420-19429): 300 held connections land 100/100/100 (+-1) on the brokers;
# then the distributed-shared topology: two directors that share their counts
# with --peers make the same choices as one central director would, where two
# without --peers do not.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto ss $PY

B="--backend 127.0.0.1:19421 --backend 127.0.0.1:19422 --backend 127.0.0.1:19423"
for p in 19421 19422 19423; do start_mosquitto $p || exit 1; done

spread_ok() { # spread_ok A B C MAXGAP
	local lo=$1 hi=$1 v
	for v in "$1" "$2" "$3"; do
		((v < lo)) && lo=$v
		((v > hi)) && hi=$v
	done
	((hi - lo <= $4))
}

# ---- one director, 300 connections, 2 worker threads ----
px_start lc 127.0.0.1:19420 $B --scheduler lc --threads 2 --health-interval 0 || exit 1
hold a 127.0.0.1 19420 300 --prefix lc
is "$HOLD_READY" "ready 300 0" "300 clients connect through the lc proxy"
c1=$(conns 19421) c2=$(conns 19422) c3=$(conns 19423)
diag "brokers: $c1 $c2 $c3"
is "$((c1 + c2 + c3))" 300 "300 connections reach the brokers"
ok "lc spreads them within +-1 ($c1/$c2/$c3)" spread_ok "$c1" "$c2" "$c3" 1
is "$(px_get lc '[b["active_connections"] for b in j["backends"]]')" "[$c1, $c2, $c3]" \
	"status active_connections match the brokers' counts"
# an uneven close: new connections fill the gap first
release a
sleep 0.3
hold b 127.0.0.1 19420 30 --prefix lcb
is "$(conns 19421)/$(conns 19422)/$(conns 19423)" "10/10/10" "after all closed, 30 new land 10/10/10"
release b
"$MQLB" director status --stats --control "$T_TMP/lc.sock" | sed 's/^/# /'
kill $PX_PID
wait $PX_PID 2>/dev/null

# ---- the distributed-shared topology ----
# Scenario: director A takes 60 clients while broker 3 is drained on A; then
# it is enabled again and director B takes 60. A central director (global view)
# would then put B's 60 mostly on broker 3: 40/40/40. B without the global view
# spreads its 60 evenly: 50/50/20.
scenario() { # scenario NAME_A PORT_A NAME_B PORT_B [extra args]: prints final counts
	local a=$1 pa=$2 b=$3 pb=$4
	shift 4
	"$MQLB" director set --control "$T_TMP/$a.sock" --backend 127.0.0.1:19423 --drain
	hold "$a" 127.0.0.1 "$pa" 60 --prefix "$a-first"
	"$MQLB" director set --control "$T_TMP/$a.sock" --backend 127.0.0.1:19423 --enable
	sleep 0.6 # three peer reports
	hold "$b-2" 127.0.0.1 "$pb" 60 --prefix "$b-second"
	echo "$(conns 19421)/$(conns 19422)/$(conns 19423)"
	release "$a"
	release "$b-2"
}
# central: one director takes both halves
px_start central 127.0.0.1:19424 $B --scheduler lc --threads 1 --health-interval 0 || exit 1
central=$(scenario central 19424 central 19424)
is "$central" "40/40/40" "central director (global view): 40/40/40"
kill $PX_PID

# two directors, no peers
px_start na 127.0.0.1:19425 $B --scheduler lc --health-interval 0 || exit 1
PA=$PX_PID
px_start nb 127.0.0.1:19426 $B --scheduler lc --health-interval 0 || exit 1
PB=$PX_PID
split=$(scenario na 19425 nb 19426)
is "$split" "50/50/20" "two directors without --peers (local views): 50/50/20"
kill $PA $PB

# two directors sharing counts; B lists its backends in another order
px_start sa 127.0.0.1:19427 $B --scheduler lc --health-interval 0 \
	--peers 127.0.0.1:19428 || exit 1
PA=$PX_PID
px_start sb 127.0.0.1:19428 --backend 127.0.0.1:19423 --backend 127.0.0.1:19421 \
	--backend 127.0.0.1:19422 --scheduler lc --health-interval 0 \
	--peers 127.0.0.1:19427,127.0.0.1:19428 || exit 1
PB=$PX_PID
sleep 0.5
ok "B hears A" grep -q "hearing sa from 127.0.0.1:19427" "$T_TMP/sb.log"
shared=$(scenario sa 19427 sb 19428)
is "$shared" "$central" "two directors with --peers choose as the central one: $shared"
sleep 0.6 # the scenario's clients are gone: let both views settle at 0/0/0
hold x 127.0.0.1 19427 9 --prefix x
sleep 0.6
is "$(px_get sb 'j["proxy"]["global_active"]')" "[3, 3, 3]" "B's global view includes A's 9 connections"
is "$(px_get sb '[p["name"] for p in j["proxy"]["peers"]]')" "['sa']" "B lists A as its peer (not itself)"
release x
# a silent peer is forgotten after ~3 intervals
kill $PA
wait $PA 2>/dev/null
sleep 1
ok "a stopped peer is forgotten" grep -q "peers: sa silent for" "$T_TMP/sb.log"
is "$(px_get sb 'j["proxy"]["peers"]')" "[]" "and no longer listed"
done_testing
