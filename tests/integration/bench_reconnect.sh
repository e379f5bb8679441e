#!/usr/bin/env bash
# mqlb bench across a failure, the way devices reconnect (issue 12): a relay
# between bench and a real mosquitto cuts every connection and refuses new ones
# for 2 s. With -C false -q 1 --reconnect the sessions resume: no SUBSCRIBE
# again, nothing lost (mosquitto queued what was published meanwhile), and
# reconnect_ms covers the outage. With -C true the same cut resubscribes. A
# broker restarted without persistence forgets the sessions (sessions_lost).
# merge joins the raw reconnect times exactly. The CSV ends with unix_ms.
. "$(dirname "$0")/../lib.sh"
need mosquitto
BROKER=19180 RELAY=19181 BROKER2=19182
RELAY_PY=$(dirname "$0")/bench_relay.py
EV=$T_TMP/relay-events
# jget FILE KEY[.SUB]: a JSON value ("" if absent)
jget() {
	/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d.get(k, "") if isinstance(d, dict) else ""
print(d)' "$1" "$2" 2>/dev/null
}
subscribes() { grep -c "Received SUBSCRIBE from $2_sub_" "$1"; }
cut_now() { # the relay cuts; returns once it listens again (bounded)
	local n
	n=$(grep -c '^cut' "$EV")
	kill -USR1 "$RELAY_PID"
	for _ in $(seq 100); do [ "$(grep -c '^cut' "$EV")" -gt "$n" ] && return 0; sleep 0.1; done
	return 1
}
# subscribed LOG PREFIX: until the broker logged the 3 subscribers' SUBSCRIBE
# (publishing starts right after), bounded
subscribed() {
	for _ in $(seq 100); do [ "$(subscribes "$1" "$2")" -ge 3 ] && return 0; sleep 0.1; done
	return 1
}
down_ms() { awk '/^cut/{d=$3} END{print d}' "$EV"; }

start_mosquitto $BROKER "log_type all" || exit 1
LOG1=$MOSQ_LOG
/usr/bin/python3 "$RELAY_PY" $RELAY $BROKER --events "$EV" --down 2 --max-seconds 200 \
	>"$T_TMP/relay.out" 2>&1 &
RELAY_PID=$!
track $RELAY_PID
wait_port 127.0.0.1 $RELAY 5 || { echo "# relay did not start"; exit 1; }

# run_cut NAME CLEAN: 2 publishers, 3 subscribers through the relay, cut 2.5 s
# in; default backoff (100ms,5s): every client is back within 5.2 s of the
# outage's end, well inside the 9 s of publishing
run_cut() {
	local t0 t1
	t0=$(date +%s%3N)
	"$MQLB" bench run -p $RELAY --pubs 2 --subs 3 -I 20 --duration 9 -q 1 -C "$2" -F 5 \
		--reconnect --drain 5 --prefix "mqlb-bt-$1" --quiet --json "$T_TMP/$1.json" \
		--csv "$T_TMP/$1.csv" >"$T_TMP/$1.txt" 2>&1 &
	local bpid=$!
	track $bpid
	subscribed "$LOG1" "mqlb-bt-$1" || echo "# $1: the subscribers did not subscribe"
	sleep 1.5
	cut_now || echo "# the relay did not come back"
	wait $bpid
	RC=$?
	t1=$(date +%s%3N)
	T0=$t0 T1=$t1
	sed "s/^/# $1: /" "$T_TMP/$1.txt"
}

# 1. -C false: sessions resume
run_cut resume false
J=$T_TMP/resume.json
is "$RC" 0 "resume: bench run exits 0"
ok "resume: the relay cut 5 connections" grep -q '^cut 5 ' "$EV"
rc=$(jget "$J" reconnects)
is "$rc" 5 "resume: the 3 subscribers and 2 publishers reconnected once each"
is "$(jget "$J" disconnects)" 5 "resume: 5 disconnects"
is "$(jget "$J" sessions_resumed)" "$rc" "resume: sessions_resumed == reconnects"
is "$(jget "$J" sessions_lost)" 0 "resume: sessions_lost 0"
is "$(subscribes "$LOG1" mqlb-bt-resume)" 3 "resume: one SUBSCRIBE per subscriber (none after the resume)"
is "$(jget "$J" lost)" 0 "resume: nothing lost (mosquitto queued what was published meanwhile)"
cmp_ok "$(jget "$J" unique)" -gt 300 "resume: messages flowed ($(jget "$J" unique) unique)"
is "$(jget "$J" reconnect_ms.count)" "$rc" "resume: reconnect_ms.count == reconnects"
D=$(down_ms)
p50=$(jget "$J" reconnect_ms.p50)
cmp_ok "$p50" -ge "$D" "resume: reconnect_ms.p50 $p50 >= the outage ($D ms)"
cmp_ok "$(jget "$J" reconnect_ms.max)" -ge "$(jget "$J" reconnect_ms.p99)" "resume: max >= p99"
diag "resume: reconnect_ms p50 $p50 p99 $(jget "$J" reconnect_ms.p99) max $(jget "$J" reconnect_ms.max), outage $D ms"
cmp_ok "$(jget "$J" errors.connect_refused)" -ge 5 "resume: refused attempts while down are counted"
ok "resume: summary shows the sessions" grep -q '^  sessions     5 resumed, 0 lost' "$T_TMP/resume.txt"
ok "resume: summary shows the disconnects" grep -qE '^  disconnects  5 lost after CONNACK; reconnect ms p50 [0-9]+' "$T_TMP/resume.txt"
is "$(head -1 "$T_TMP/resume.csv" | awk -F, '{print $NF}')" unix_ms "csv: unix_ms is the last column"
bad=$(awk -F, -v a="$T0" -v b="$T1" 'NR > 1 && ($NF < a || $NF > b || NF != 14) {n++} END {print n + 0}' "$T_TMP/resume.csv")
rows=$(($(wc -l <"$T_TMP/resume.csv") - 1))
cmp_ok "$rows" -ge 5 "csv: one row per second ($rows)"
is "$bad" 0 "csv: every unix_ms is the wall clock of the run (14 fields)"

# 2. -C true: the same cut, new sessions, subscribers subscribe again
run_cut clean true
J=$T_TMP/clean.json
is "$RC" 0 "clean: bench run exits 0"
rc=$(jget "$J" reconnects)
is "$rc" 5 "clean: 5 reconnects"
is "$(jget "$J" sessions_resumed)" 0 "clean: sessions_resumed 0"
is "$(jget "$J" sessions_lost)" 0 "clean: sessions_lost 0 (not counted with -C true)"
is "$(subscribes "$LOG1" mqlb-bt-clean)" 6 "clean: the subscribers subscribed again"
is "$(jget "$J" reconnect_ms.count)" "$rc" "clean: reconnect_ms.count == reconnects"

# 3. the broker restarts without persistence: the sessions are gone
start_mosquitto $BROKER2 "log_type all" || exit 1
"$MQLB" bench run -p $BROKER2 --pubs 2 --subs 3 -I 20 --duration 8 -q 1 -C false -F 5 \
	--reconnect --drain 5 --prefix mqlb-bt-forgot --quiet --json "$T_TMP/forgot.json" \
	>"$T_TMP/forgot.txt" 2>&1 &
bpid=$!
track $bpid
subscribed "$MOSQ_LOG" mqlb-bt-forgot || echo "# forgot: the subscribers did not subscribe"
sleep 1.5
kill "$MOSQ_PID"
wait "$MOSQ_PID" 2>/dev/null
sleep 1
start_mosquitto $BROKER2 "log_type all" || exit 1
wait $bpid
is "$?" 0 "forgot: bench run exits 0"
sed 's/^/# forgot: /' "$T_TMP/forgot.txt"
J=$T_TMP/forgot.json
rc=$(jget "$J" reconnects)
is "$rc" 5 "forgot: 5 reconnects"
is "$(jget "$J" sessions_lost)" "$rc" "forgot: sessions_lost == reconnects"
is "$(jget "$J" sessions_resumed)" 0 "forgot: sessions_resumed 0"
is "$(subscribes "$MOSQ_LOG" mqlb-bt-forgot)" 3 "forgot: the subscribers subscribed again to the new broker"
ok "forgot: summary shows the lost sessions" grep -q '^  sessions     0 resumed, 5 lost' "$T_TMP/forgot.txt"

# 4. sub and pub in two processes across a cut; merge joins the raw reconnect
#    times: the same percentiles as over one list of every value
"$MQLB" bench sub -p $RELAY -c 3 -q 1 -C false --reconnect --reconnect-delay 100ms,1s \
	--duration 30 --prefix mqlb-bt-msub --quiet --json "$T_TMP/sub.json" >"$T_TMP/sub.txt" 2>&1 &
spid=$!
track $spid
sleep 0.7
# (backoff capped at 1 s: the publishers are back within 1 s of the outage's
# end, before publishing ends; a publisher still away then would just stop)
"$MQLB" bench pub -p $RELAY -c 2 -q 1 -C false -F 5 -I 20 --duration 6 --reconnect \
	--reconnect-delay 100ms,1s \
	--prefix mqlb-bt-mpub --quiet --json "$T_TMP/pub.json" >"$T_TMP/pub.txt" 2>&1 &
ppid=$!
track $ppid
sleep 2
cut_now || echo "# the relay did not come back"
wait $ppid
is "$?" 0 "merge: bench pub exits 0"
sleep 1.5 # the last acknowledged messages reach the subscribers
kill -INT $spid
wait $spid
is "$?" 0 "merge: bench sub exits 0"
"$MQLB" bench merge "$T_TMP/sub.json" "$T_TMP/pub.json" --json "$T_TMP/merged.json" \
	>"$T_TMP/merged.txt" 2>&1
is "$?" 0 "merge: exits 0"
sed 's/^/# merge: /' "$T_TMP/merged.txt"
want=$(/usr/bin/python3 -c 'import json, math, sys
v = sorted(json.load(open(sys.argv[1]))["raw"]["reconnect_ms"] + json.load(open(sys.argv[2]))["raw"]["reconnect_ms"])
p = lambda q: v[max(1, math.ceil(q * len(v) / 100)) - 1] if v else 0
print(len(v), p(50), p(99), v[-1] if v else 0)' "$T_TMP/sub.json" "$T_TMP/pub.json")
M=$T_TMP/merged.json
got="$(jget "$M" reconnect_ms.count) $(jget "$M" reconnect_ms.p50) $(jget "$M" reconnect_ms.p99) $(jget "$M" reconnect_ms.max)"
is "$got" "$want" "merge: reconnect_ms count/p50/p99/max of the joined raw lists"
is "$(jget "$M" reconnect_ms.count)" 5 "merge: 5 reconnect times (3 sub + 2 pub)"
sum=$(awk -v a="$(jget "$T_TMP/sub.json" disconnects)" -v b="$(jget "$T_TMP/pub.json" disconnects)" 'BEGIN {print a + b}')
is "$(jget "$M" disconnects)" "$sum" "merge: disconnects summed ($sum)"
is "$(jget "$M" sessions_resumed)" 5 "merge: sessions_resumed summed (5)"
is "$(jget "$M" lost)" 0 "merge: nothing lost across the resumed sessions"

# 5. bad --reconnect-delay values: exit 2, one line naming the flag
for bad in 0 5s,1s x; do
	"$MQLB" bench run --reconnect --reconnect-delay "$bad" >/dev/null 2>"$T_TMP/bad.err"
	is "$?" 2 "--reconnect-delay $bad: exit 2"
	ok "--reconnect-delay $bad: the message names the flag" grep -q -- '--reconnect-delay' "$T_TMP/bad.err"
	is "$(grep -c '^mqlb: ' "$T_TMP/bad.err")" 1 "--reconnect-delay $bad: one error line"
done
"$MQLB" bench run --help | grep -q -- '--reconnect-delay MIN\[,MAX\].*'
is "$?" 0 "--help documents --reconnect-delay"
"$MQLB" bench run --help | grep -q -- '\[100ms,5s\]'
is "$?" 0 "--help gives its default"
done_testing
