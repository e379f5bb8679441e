# mqlb cluster --bridge-qos: the bridges' topic lines carry the QoS asked for
# (star and mesh, up and render), the thesis profile keeps the study's 2, a bad
# value is refused, status --json shows it, and with real brokers a QoS 2
# message published on one spoke still reaches a QoS 2 subscriber on the other
# spoke once, capped to QoS 1 by the bridge (Mosquitto's bridge QoS is a maximum).
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_sub mosquitto_pub

# render: the generated mosquitto.conf files
"$MQLB" cluster render --bridge-qos 1 --out "$T_TMP/s1" >/dev/null; rc=$?
is "$rc" 0 "render --bridge-qos 1 exits 0"
is "$(grep -c '^topic ' "$T_TMP/s1/broker1/mosquitto.conf")" 2 "star: the hub has two topic lines"
is "$(grep -hc '^topic # both 1$' "$T_TMP/s1/broker1/mosquitto.conf")" 2 "star: both are 'topic # both 1'"
"$MQLB" cluster render --bridge mesh --bridge-qos 0 --out "$T_TMP/m0" >/dev/null
is "$(cat "$T_TMP"/m0/broker*/mosquitto.conf | grep -c '^topic # out 0 "" \$mesh/[123]/$')" 6 \
	"mesh: every out line at QoS 0"
"$MQLB" cluster render --out "$T_TMP/d" >/dev/null
is "$(grep -hc '^topic # both 2$' "$T_TMP/d/broker1/mosquitto.conf")" 2 "default: the study's 'topic # both 2'"
"$MQLB" cluster render --profile thesis --out "$T_TMP/t" >/dev/null
is "$(grep -hc '^topic # both 2$' "$T_TMP/t/broker1/mosquitto.conf")" 2 "thesis profile: 'topic # both 2'"
"$MQLB" cluster render --bridge-qos 1 --profile thesis --out "$T_TMP/t1" >/dev/null
is "$(grep -hc '^topic # both 1$' "$T_TMP/t1/broker1/mosquitto.conf")" 2 "a flag refines the profile, before or after it"

# bad values: exit 2, one line naming the flag
for v in 3 -1 x 1.5 ""; do
	"$MQLB" cluster up --bridge-qos "$v" --run-dir "$T_TMP/never" >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
	is "$rc" 2 "--bridge-qos '$v' refused with exit 2"
	ok "  and says what it wants" grep -q -- "--bridge-qos $v: want 0, 1 or 2" "$T_TMP/err"
done
ok "no run dir left by a refused up" test ! -e "$T_TMP/never"
ok "--help documents --bridge-qos" grep -q -- "--bridge-qos 0|1|2" <<<"$("$MQLB" cluster up --help)"

# real brokers, star with QoS 1 bridges
R="$T_TMP/run"
base=19210
on_exit "$MQLB" cluster down --run-dir "$R"
out=$("$MQLB" cluster up --bridge-qos 1 --base-port $base --run-dir "$R" --name clq-1 --timeout 10s 2>&1); rc=$?
is "$rc" 0 "up --bridge-qos 1 exits 0"
diag "$out"
ok "  up names a non-default bridge QoS" grep -q 'bridge star (QoS 1)' <<<"$out"
is "$(grep -c '^topic # both 1$' "$R/b1.conf")" 2 "  the running hub's config has 'topic # both 1'"
js=$("$MQLB" cluster status --json --run-dir "$R")
is "$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["bridge_qos"])' <<<"$js")" 1 \
	"status --json: bridge_qos 1"

# sub on broker 3 (spoke) and broker 2 (the publisher's), QoS 2; publish QoS 2 on broker 2
mosquitto_sub -h 127.0.0.1 -p $((base + 2)) -q 2 -t qos/t -F '%q %p' -W 4 >"$T_TMP/far" 2>/dev/null &
track $!; far=$!
mosquitto_sub -h 127.0.0.1 -p $((base + 1)) -q 2 -t qos/t -F '%q %p' -W 4 >"$T_TMP/near" 2>/dev/null &
track $!; near=$!
sleep 0.7
mosquitto_pub -h 127.0.0.1 -p $((base + 1)) -q 2 -t qos/t -m "m-$$"
wait "$far" "$near" 2>/dev/null
is "$(cat "$T_TMP/far")" "1 m-$$" "QoS 2 publish on spoke 2 reaches spoke 3 once, at QoS 1 (bridge cap)"
is "$(cat "$T_TMP/near")" "2 m-$$" "  and its own broker's subscriber once, at QoS 2"

# a state file from before --bridge-qos (no bridge_qos line) reads as 2
sed -i '/^bridge_qos\t/d' "$R/state"
js=$("$MQLB" cluster status --json --run-dir "$R")
is "$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["bridge_qos"])' <<<"$js")" 2 \
	"an older state file without bridge_qos reads as 2"
"$MQLB" cluster down --run-dir "$R" >/dev/null; rc=$?
is "$rc" 0 "down exits 0"
done_testing
