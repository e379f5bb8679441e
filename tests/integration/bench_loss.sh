#!/usr/bin/env bash
# Induced loss: a Mosquitto with tiny queues (max_queued_messages 10,
# max_inflight_messages 1) flooded at QoS 1. mqlb's `lost` must equal what the
# broker says it dropped ($SYS/broker/publish/messages/dropped, before/after).
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_sub
PORT=19110
start_mosquitto $PORT "max_queued_messages 10" "max_inflight_messages 1" || exit 1

jget() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$1" "$2"; }
dropped() { mosquitto_sub -h 127.0.0.1 -p $PORT -C 1 -W 5 -t '$SYS/broker/publish/messages/dropped'; }
# $SYS is published every second (sys_interval 1): read until it holds still
dropped_settled() {
	local a b i
	a=$(dropped)
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep 1.2
		b=$(dropped)
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "$b"
}

before=$(dropped_settled)
diag "dropped before: $before"
out=$T_TMP/loss.json
"$MQLB" bench run -p $PORT --pubs 4 --subs 10 -L 20000 --rate 20000 -F 20 -q 1 -i 0 \
	--drain 5 --quiet --json "$out" >"$T_TMP/loss.txt" 2>&1
is "$?" 0 "bench run exits 0"
sed 's/^/# /' "$T_TMP/loss.txt"
after=$(dropped_settled)
diag "dropped after: $after"
lost=$(jget "$out" lost)
is "$(jget "$out" acked)" 20000 "20000 acknowledged"
is "$(jget "$out" expected)" 200000 "expected = 20000 x 10"
cmp_ok "$lost" -gt 0 "the flood lost messages ($lost)"
is "$lost" "$((after - before))" "lost == delta of \$SYS/broker/publish/messages/dropped"
is "$(jget "$out" duplicates)" 0 "no duplicates"
is "$(( $(jget "$out" unique) + lost ))" "$(jget "$out" expected)" "unique + lost == expected"
done_testing
