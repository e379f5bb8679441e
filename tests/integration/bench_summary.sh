#!/usr/bin/env bash
# The human summary shows what applies to the mode: sub (received, unique,
# duplicates, reordered, latency; no publish figures), pub (published, acked,
# in-flight; no receive figures or latency), conn (connections only), and run /
# merge everything. The JSON keeps every key in every mode (stable contract).
. "$(dirname "$0")/../lib.sh"
need mosquitto
PORT=19151
start_mosquitto $PORT || exit 1
has() { grep -qE "^  $2 " "$T_TMP/$1.txt"; }
hasnt() { ! has "$@"; }

"$MQLB" bench sub -p $PORT -c 3 -q 1 --drain 2 --duration 30 --quiet --json "$T_TMP/sub.json" \
	>"$T_TMP/sub.txt" 2>&1 &
spid=$!
track $spid
sleep 0.7
"$MQLB" bench pub -p $PORT -c 2 -q 1 -L 200 -I 10 --quiet --json "$T_TMP/pub.json" \
	>"$T_TMP/pub.txt" 2>&1
is "$?" 0 "bench pub exits 0"
wait $spid
is "$?" 0 "bench sub exits 0"
"$MQLB" bench conn -p $PORT -c 4 --duration 0.3 --quiet >"$T_TMP/conn.txt" 2>&1
is "$?" 0 "bench conn exits 0"
"$MQLB" bench run -p $PORT --pubs 1 --subs 2 -L 50 -I 5 --quiet >"$T_TMP/run.txt" 2>&1
is "$?" 0 "bench run exits 0"
"$MQLB" bench merge "$T_TMP/sub.json" "$T_TMP/pub.json" >"$T_TMP/merge.txt" 2>&1
is "$?" 0 "bench merge exits 0"
for m in sub pub conn run merge; do sed "s/^/# $m: /" "$T_TMP/$m.txt"; done

ok "sub: header names subscribers only" grep -q '^mqlb bench sub: QoS 1, MQTT 5.0, 3 subscribers$' "$T_TMP/sub.txt"
ok "sub: received/unique/duplicates/reordered" grep -qE '^  received +600 .*unique 600, duplicates 0, reordered 0' "$T_TMP/sub.txt"
ok "sub: latency" has sub 'latency us'
for l in published in-flight expected; do ok "sub: no '$l' line" hasnt sub "$l"; done
ok "sub: lost points to merge" grep -q '^  lost .*bench merge' "$T_TMP/sub.txt"

ok "pub: header names publishers only" grep -q '^mqlb bench pub: QoS 1, MQTT 5.0, 2 publishers$' "$T_TMP/pub.txt"
ok "pub: published and acked" grep -qE '^  published +200 \(acked 200\)' "$T_TMP/pub.txt"
ok "pub: in-flight 0" grep -qE '^  in-flight +0 ' "$T_TMP/pub.txt"
for l in received expected 'latency us' 'QoS 2'; do ok "pub: no '$l' line" hasnt pub "$l"; done

ok "conn: header counts clients" grep -q '^mqlb bench conn: MQTT 5.0, 4 clients$' "$T_TMP/conn.txt"
for l in published received expected lost in-flight 'latency us'; do ok "conn: no '$l' line" hasnt conn "$l"; done
ok "conn: connections" grep -qE '^  connections +4 ok' "$T_TMP/conn.txt"

for m in run merge; do
	for l in published expected received lost 'latency us'; do ok "$m: '$l' line" has $m "$l"; done
done
ok "merge: 600 expected, 0 lost" grep -qE '^  lost +0 ' "$T_TMP/merge.txt"
ok "sub JSON keeps the publish keys" grep -q '"published":0' "$T_TMP/sub.json"
ok "pub JSON keeps the receive keys" grep -q '"received":0' "$T_TMP/pub.json"
done_testing
