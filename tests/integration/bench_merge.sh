#!/usr/bin/env bash
# `bench sub` + `bench pub` as separate processes, then `bench merge`, must give
# the figures `bench run` gives for the same load on the same broker, both with
# nothing lost and with an induced loss.
. "$(dirname "$0")/../lib.sh"
need mosquitto
PORT=19120
start_mosquitto $PORT "max_queued_messages 100000" || exit 1

keys="publishers subscribers published acked expected received unique lost duplicates"
vals() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(str(d[k]) for k in sys.argv[2:]))' "$@"; }

"$MQLB" bench run -p $PORT --pubs 5 --subs 20 -L 1000 -I 10 -F 5 -q 1 -i 0 --drain 5 --quiet \
	--json "$T_TMP/run.json" >/dev/null 2>&1
is "$?" 0 "bench run exits 0"

"$MQLB" bench sub -p $PORT -c 20 -q 1 -i 0 --drain 3 --duration 40 --quiet \
	--json "$T_TMP/sub.json" >"$T_TMP/sub.txt" 2>&1 &
spid=$!
track $spid
sleep 1
"$MQLB" bench pub -p $PORT -c 5 -L 1000 -I 10 -F 5 -q 1 -i 0 --quiet \
	--json "$T_TMP/pub.json" >"$T_TMP/pub.txt" 2>&1
is "$?" 0 "bench pub exits 0"
wait $spid
is "$?" 0 "bench sub exits 0 (stopped by --drain after the last message)"
"$MQLB" bench merge "$T_TMP/sub.json" "$T_TMP/pub.json" --json "$T_TMP/merged.json" \
	>"$T_TMP/merge.txt" 2>&1
is "$?" 0 "bench merge exits 0"
sed 's/^/# /' "$T_TMP/merge.txt"
is "$(vals "$T_TMP/merged.json" $keys)" "$(vals "$T_TMP/run.json" $keys)" \
	"merge == run ($keys)"
is "$(vals "$T_TMP/merged.json" mode)" merge "mode is merge"
cmp_ok "$(vals "$T_TMP/merged.json" unique)" -eq 20000 "20000 unique"

# loss in a separate run: a wildcard subscriber (other/#) and a publisher on
# other/x; the subscribers' JSON is edited so only seqs 0..4 of 10 arrived.
"$MQLB" bench sub -p $PORT -c 2 -q 1 -t 'other/#' --duration 3 --quiet \
	--json "$T_TMP/sub2.json" >/dev/null 2>&1 &
spid=$!
track $spid
sleep 0.5
"$MQLB" bench pub -p $PORT -c 1 -L 10 -I 5 -q 1 -t other/x --quiet --json "$T_TMP/pub2.json" \
	>/dev/null 2>&1
wait $spid
# drop the subscribers' bits for the second half of the sequence: simulated loss
/usr/bin/python3 - "$T_TMP/sub2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["raw"]["subscribers"]:
    for st in s["streams"]:
        st["prefix"] = 5   # only seqs 0..4 arrived
        st["bits"] = ""
json.dump(d, open(sys.argv[1], "w"))
PY
"$MQLB" bench merge "$T_TMP/sub2.json" "$T_TMP/pub2.json" --json "$T_TMP/merged2.json" >/dev/null 2>&1
is "$(vals "$T_TMP/merged2.json" expected unique lost)" "20 10 10" "merge counts loss per stream"
"$MQLB" bench merge "$T_TMP/pub2.json" "$T_TMP/sub2.json" >/dev/null 2>"$T_TMP/err.txt"
is "$?" 1 "merge with the files swapped fails"
ok "and says why" grep -q 'raw.subscribers' "$T_TMP/err.txt"
done_testing
