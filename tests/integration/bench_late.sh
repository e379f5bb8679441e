#!/usr/bin/env bash
# A run whose drain ends while the broker is still delivering says so: the
# missing messages are "late" (still arriving in the drain's last second), not
# lost (issue 18: 5 -> 200 at QoS 0 needs seconds for a million deliveries, and a
# short --drain used to read as loss). The JSON keeps "lost" = missing and adds
# "late" and "drain_cut"; a run that completes has late 0, drain_cut false and
# no "late" line. Real Mosquitto on loopback.
. "$(dirname "$0")/../lib.sh"
need mosquitto
PORT=19157
start_mosquitto $PORT "max_queued_messages 0" || exit 1
jget() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d[sys.argv[2]]; print(str(v).lower() if isinstance(v, bool) else v)' "$@"; }

# 5 x 1000 messages to 200 subscribers = 1,000,000 deliveries: far more than the
# broker delivers in a 0.3 s drain on any machine this runs on
"$MQLB" bench run -p $PORT --pubs 5 --subs 200 -L 5000 --rate 10000000 -q 0 -s 64 -i 0 \
	--threads 1 --drain 0.3 --quiet --json "$T_TMP/cut.json" >"$T_TMP/cut.txt" 2>&1
is "$?" 0 "cut run exits 0"
sed 's/^/# cut: /' "$T_TMP/cut.txt"
lost=$(jget "$T_TMP/cut.json" lost)
late=$(jget "$T_TMP/cut.json" late)
cmp_ok "$lost" -gt 0 "cut run: messages missing at the end ($lost)"
is "$late" "$lost" "cut run: all missing ones are late (still arriving)"
is "$(jget "$T_TMP/cut.json" drain_cut)" true "cut run: drain_cut true"
ok "cut run: summary has a 'late' line with the count" grep -qE "^  late +$late \(.*late, not lost" "$T_TMP/cut.txt"
ok "cut run: summary does not call them lost" grep -qE '^  lost +not known' "$T_TMP/cut.txt"
# late = expected - unique: nothing invented
is "$late" "$(($(jget "$T_TMP/cut.json" expected) - $(jget "$T_TMP/cut.json" unique)))" \
	"cut run: late = expected - unique"

# the same kind of run given time to finish: complete, nothing late
"$MQLB" bench run -p $PORT --pubs 2 --subs 20 -L 400 --rate 10000000 -q 0 -s 64 -i 0 \
	--threads 1 --drain 60 --quiet --json "$T_TMP/full.json" >"$T_TMP/full.txt" 2>&1
is "$?" 0 "full run exits 0"
sed 's/^/# full: /' "$T_TMP/full.txt"
is "$(jget "$T_TMP/full.json" unique)" 8000 "full run: all 8000 arrived"
is "$(jget "$T_TMP/full.json" late)" 0 "full run: late 0"
is "$(jget "$T_TMP/full.json" drain_cut)" false "full run: drain_cut false"
ok "full run: no 'late' line" bash -c "! grep -q '^  late ' '$T_TMP/full.txt'"
ok "full run: lost 0" grep -qE '^  lost +0 \(' "$T_TMP/full.txt"
done_testing
