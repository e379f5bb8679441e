#!/usr/bin/env bash
# A drain must not block the control socket (issue 13): `director set --drain`
# (no --backend: the whole proxy director) and SIGTERM with --drain-time both
# drain while `director status` keeps answering and shows the progress
# (proxy.drain: state, connections_at_start, closed, elapsed_ms); without
# --drain-time, set --drain spreads the closes over 30 s (the default). Loopback
# ports 19940-19943, real mosquitto, 20 held MQTT 5 connections.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto $PY

start_mosquitto 19941 || exit 1
px_start dr 127.0.0.1:19940 --backend 127.0.0.1:19941 --drain-time 6s || exit 1
DPID=$PX_PID
hold a 127.0.0.1 19940 20 --version 5
is "$HOLD_READY" "ready 20 0" "20 MQTT 5 connections through the director"
dg() { px_get dr "j['proxy']['drain']$1"; }
is "$(dg "['state']")" none "before: proxy.drain.state none"

t0=$(date +%s.%N)
out=$(timeout 10 "$MQLB" director set --control "$T_TMP/dr.sock" --drain)
rc=$?
t1=$(date +%s.%N)
is "$rc $out" "0 ok draining" "director set --drain (whole director): 'ok draining'"
ok "... answered at once ($(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s < 2 s)" \
	awk -v a="$t0" -v b="$t1" 'BEGIN{exit !(b-a < 2)}'
# status during the drain: every answer within 2 s, closed grows
answered=0 slow=0 mid=""
for i in 1 2 3 4 5 6; do
	sleep 0.5
	a=$(date +%s.%N)
	line=$(timeout 5 "$MQLB" director status --json --control "$T_TMP/dr.sock" |
		$PY -c "import json,sys; d=json.load(sys.stdin)['proxy']['drain']; print(d['state'], d['connections_at_start'], d['closed'])")
	b=$(date +%s.%N)
	[ -n "$line" ] && answered=$((answered + 1))
	awk -v a="$a" -v b="$b" 'BEGIN{exit !(b-a >= 2)}' && slow=$((slow + 1))
	[ $i -eq 4 ] && mid=$line
	diag "t+$(awk -v a="$t0" -v b="$b" 'BEGIN{printf "%.1f", b-a}') s: $line"
done
is "$answered $slow" "6 0" "status answered 6 times of 6 during the drain, none slower than 2 s"
read -r st at closed <<<"$mid"
is "$st $at" "draining 20" "mid-drain (~2 s of 6): state draining, connections_at_start 20"
ok "... progress: $closed of 20 closed (between 1 and 19)" test "$closed" -ge 1 -a "$closed" -le 19
ok "no new connections while draining" sh -c "! $PY -c \"import socket; socket.create_connection(('127.0.0.1', 19940), 1)\" 2>/dev/null"
for ((k = 0; k < 100; k++)); do [ "$(dg "['state']")" = done ] && break; sleep 0.1; done
is "$(dg "['state'], j['proxy']['drain']['closed'], j['proxy']['open_connections']")" "done 20 0" \
	"after: state done, 20 closed, none open"
cmp_ok "$(dg "['disconnects']")" -eq 20 "every MQTT 5 client got a DISCONNECT 0x9C first"
st=$(awk '{print $3}' /proc/$DPID/stat 2>/dev/null)
ok "the director still runs after the drain (state '$st')" test -n "$st" -a "$st" != Z
ok "... and answers ping" "$MQLB" director check --control "$T_TMP/dr.sock"
is "$(timeout 5 "$MQLB" director set --control "$T_TMP/dr.sock" --drain)" "ok already draining" \
	"a second set --drain: ok already draining"
kill -TERM $DPID
wait $DPID
is "$?" 0 "SIGTERM after the drain: exit 0"

# ---- SIGTERM with --drain-time: status answers during it ----
px_start dt 127.0.0.1:19942 --backend 127.0.0.1:19941 --drain-time 4s || exit 1
DPID=$PX_PID
hold b 127.0.0.1 19942 10 --version 4
is "$HOLD_READY" "ready 10 0" "10 MQTT 3.1.1 connections through a second director"
kill -TERM $DPID
sleep 1.5
line=$(timeout 5 "$MQLB" director status --json --control "$T_TMP/dt.sock" |
	$PY -c "import json,sys; d=json.load(sys.stdin)['proxy']['drain']; print(d['state'], d['connections_at_start'], d['closed'])")
read -r st at closed <<<"$line"
is "$st $at" "draining 10" "1.5 s after SIGTERM status still answers: draining, 10 at start"
ok "... $closed of 10 closed so far (1-9)" test "${closed:-0}" -ge 1 -a "${closed:-0}" -le 9
t0=$(date +%s)
wait $DPID
rc=$?
is "$rc" 0 "the director exits 0 once drained"
ok "... within the drain time + 3 s ($(($(date +%s) - t0)) s more)" test $(($(date +%s) - t0)) -le 6
ok "its log: draining before stopping" grep -q "draining before stopping" "$T_TMP/dt.log"

# ---- set --drain without --drain-time: the default, 30 s ----
px_start nd 127.0.0.1:19943 --backend 127.0.0.1:19941 || exit 1
DPID=$PX_PID
hold c 127.0.0.1 19943 20 --version 5
is "$HOLD_READY" "ready 20 0" "20 MQTT 5 connections through a director without --drain-time"
is "$(px_get nd "j['proxy']['drain']['drain_time_ms']")" 0 "before: drain_time_ms 0 (SIGTERM closes at once)"
out=$(timeout 10 "$MQLB" director set --control "$T_TMP/nd.sock" --drain 2>&1)
is "$? $out" "0 ok draining" "set --drain without --drain-time: 'ok draining'"
t0=$(date +%s.%N)
sleep 3
line=$(px_get nd "'%s %d %d %d' % tuple(j['proxy']['drain'][k] for k in ('state', 'drain_time_ms', 'connections_at_start', 'closed'))")
diag "3 s in: $line"
read -r st ms at closed <<<"$line"
is "$st $ms $at" "draining 30000 20" "status: draining over the default 30000 ms, 20 at start"
ok "... spread: $closed of 20 closed after 3 s (1-5; 20 x 3/30 = 2, +1 for the first at 0)" \
	test "${closed:-0}" -ge 1 -a "${closed:-0}" -le 5
ok "no new connections while draining" sh -c "! $PY -c \"import socket; socket.create_connection(('127.0.0.1', 19943), 1)\" 2>/dev/null"
grep "draining 20" "$T_TMP/nd.log" | sed 's/^/# /'
ok "its log says the default was used" grep -q "over 30.0 s (no new ones) (set --drain without --drain-time)" "$T_TMP/nd.log"
kill -TERM $DPID
t0=$(date +%s%N)
wait $DPID
rc=$?
t1=$(date +%s%N)
is "$rc" 0 "SIGTERM during it: exit 0"
ok "... at once, no waiting for the 30 s ($(((t1 - t0) / 1000000)) ms < 3000)" test $(((t1 - t0) / 1000000)) -lt 3000
done_testing
