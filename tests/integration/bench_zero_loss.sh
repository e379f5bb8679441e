#!/usr/bin/env bash
# mqlb bench run against a real Mosquitto with queues large enough for the
# load: QoS 1 and 2, 10 publishers x 50 subscribers, 2,000 messages. Every
# message must arrive exactly once per subscriber, and an independent
# mosquitto_sub on the same topic must count the same number of publishes.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_sub
PORT=19101
start_mosquitto $PORT "max_queued_messages 100000" "max_inflight_messages 0" || exit 1

jget() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$1" "$2"; }

for q in 1 2; do
	out=$T_TMP/run-q$q.json
	# the independent witness: subscribed before mqlb starts publishing
	mosquitto_sub -h 127.0.0.1 -p $PORT -t bench/test -q $q -F %t -C 2000 -W 40 \
		>"$T_TMP/witness-q$q.txt" 2>&1 &
	wpid=$!
	track $wpid
	sleep 0.5
	"$MQLB" bench run -p $PORT --pubs 10 --subs 50 -L 2000 -I 10 -F 10 -q $q -i 0 \
		--drain 10 --quiet --json "$out" >"$T_TMP/run-q$q.txt" 2>&1
	is "$?" 0 "QoS $q: bench run exits 0"
	sed 's/^/# /' "$T_TMP/run-q$q.txt"
	is "$(jget "$out" published)" 2000 "QoS $q: 2000 published"
	is "$(jget "$out" acked)" 2000 "QoS $q: 2000 acknowledged"
	is "$(jget "$out" expected)" 100000 "QoS $q: expected = 2000 x 50"
	is "$(jget "$out" unique)" "$(jget "$out" expected)" "QoS $q: unique == expected"
	is "$(jget "$out" lost)" 0 "QoS $q: nothing lost"
	is "$(jget "$out" connections_ok)" 60 "QoS $q: 60 connections"
	[ $q -eq 2 ] && is "$(jget "$out" duplicates)" 0 "QoS 2: no duplicates"
	cmp_ok "$(jget "$out" mode | grep -c run)" -eq 1 "QoS $q: mode is run"
	wait $wpid
	is "$(grep -c '^bench/test$' "$T_TMP/witness-q$q.txt")" 2000 \
		"QoS $q: mosquitto_sub counted the same 2000 publishes"
done
# every DESIGN.md key is present
keys=$(/usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
want="mode qos mqtt_version publishers subscribers connections_ok connections_failed published acked expected received unique lost duplicates reordered loss_ratio duration_s publish_rate receive_rate latency_us per_target".split()
miss=[k for k in want if k not in d]+[k for k in "p50 p90 p99 p999 max".split() if k not in d["latency_us"]]
print(" ".join(miss) or "none")' "$T_TMP/run-q1.json")
is "$keys" none "JSON has every DESIGN.md key"
done_testing
