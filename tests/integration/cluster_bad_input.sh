# mqlb cluster: bad input exits 2 with one clear line and leaves nothing running;
# render writes a docker-compose.yml that parses and the study's settings.
. "$(dirname "$0")/../lib.sh"
need mosquitto

R="$T_TMP/run"
try() { # try WANT_RC GREP ARGS...: run, check the exit code and the message
	local want=$1 pat=$2
	shift 2
	"$MQLB" cluster "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	local rc=$?
	is "$rc" "$want" "cluster $* exits $want"
	ok "  and says '$pat'" grep -q -- "$pat" "$T_TMP/err"
}
try 2 "--bridge ring" up --bridge ring --run-dir "$R"
try 2 "--brokers 0" up --brokers 0 --run-dir "$R"
try 2 "--brokers 17" up --brokers 17 --run-dir "$R"
try 2 "--cpus lots" up --cpus lots --run-dir "$R"
try 2 "--memory 12Q" up --memory 12Q --run-dir "$R"
try 2 "--host example" up --host example --run-dir "$R"
try 2 "--profile nope" up --profile nope --run-dir "$R"
try 2 "--mosquitto-opt nokey" up --mosquitto-opt nokey --run-dir "$R"
try 2 "--netns mqlb-cl-none" up --netns mqlb-cl-none --run-dir "$R"
try 2 "unknown option '--frobnicate'" up --frobnicate
try 2 "--run-dir needs a value" status --run-dir
try 2 "base-port 65535" up --base-port 65535 --run-dir "$R"
try 2 "unknown cluster command 'sideways'" sideways
try 2 "--out DIR is required" render
# options of another subcommand are refused, not ignored: status --base-port
# used to show whatever ran in the default run dir
try 2 "--base-port does not apply to 'cluster status' (a cluster is found by its --run-dir)" status --base-port 19701 --run-dir "$R"
try 2 "--json does not apply to 'cluster down'" down --json --run-dir "$R"
try 2 "--run-dir does not apply to 'cluster probe'" probe 127.0.0.1:19701 --run-dir "$R"
try 2 "missing HOST:PORT" probe
try 2 "--cpus does not apply to 'cluster down'" down --cpus 1 --run-dir "$R"
try 2 "--signal does not apply to 'cluster start'" start --broker 1 --signal KILL --run-dir "$R"
try 2 "--sys does not apply to 'cluster render'" render --out "$T_TMP/r" --sys x
try 2 "unexpected argument 'extra'" probe 127.0.0.1:19701 extra
# each subcommand's --help comes from its own option table: its flags only
help_has() { # help_has SUB FLAG: does 'cluster SUB --help' list --FLAG?
	"$MQLB" cluster "$1" --help | grep -q -- "^  --$2[ =]"
}
for sub_flags in "up brokers timeout persistence" "status json run-dir" "down run-dir timeout" \
	"kill broker signal timeout" "start broker timeout" "render out cpus" "probe sys netns"; do
	set -- $sub_flags
	sub=$1
	shift
	for f in "$@"; do ok "cluster $sub --help lists --$f" help_has "$sub" "$f"; done
done
for sub_flag in "down cpus" "status broker" "kill json" "start signal" "probe run-dir" "up out" "status timeout"; do
	set -- $sub_flag
	ok "cluster $1 --help does not list --$2" bash -c "! \"\$0\" cluster $1 --help | grep -q -- '^  --$2 '" "$MQLB"
done
# status/down with nothing up
"$MQLB" cluster status --run-dir "$R" >"$T_TMP/out" 2>&1; rc=$?
is "$rc" 1 "status with nothing up exits 1"
ok "  and says how to start one" grep -qF "no cluster in $R (start one with 'mqlb cluster up --run-dir $R')" "$T_TMP/out"
"$MQLB" cluster down --run-dir "$R" >"$T_TMP/out" 2>&1; rc=$?
is "$rc" 0 "down with nothing up exits 0"
ok "  and says nothing runs" grep -q "nothing running in $R" "$T_TMP/out"
MQLB_MOSQUITTO=/nonexistent/mosquitto "$MQLB" cluster up --run-dir "$R" 2>"$T_TMP/err"; rc=$?
is "$rc" 2 "mosquitto missing exits 2"
ok "  and points at scripts/install-deps" grep -q "scripts/install-deps" "$T_TMP/err"

# port in use: something already listens on broker 2's port
start_mosquitto 18852
try 2 "port 18852 on 127.0.0.1 is already in use" up --base-port 18851 --run-dir "$R"
ok "  and says what to do" grep -q "pick another --base-port" "$T_TMP/err"
ok "nothing left running after a refused up" test -z "$(pgrep -f "$R/b" || true)"
ok "no state left after a refused up" test ! -e "$R/state"

# a broker that cannot start: up fails, says why, leaves nothing behind
"$MQLB" cluster up --base-port 18861 --run-dir "$R" --timeout 3s --mosquitto-opt no_such_option=1 >/dev/null 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "a broker that cannot start: up exits 1"
ok "  and says which broker and why" grep -q "broker [0-9] exited" "$T_TMP/err"
ok "  and leaves no broker running" test -z "$(pgrep -f "$R/b" || true)"

# not root: cgroups are not writable; one warning, the summary says NO limits
# (it used to claim "limits cpu 0.25 ..., partly" and warn once per broker)
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ] && [ -d /sys/fs/cgroup ]; then
	NR="$T_TMP/nobody"
	mkdir -m 0777 "$NR"
	chmod 0711 "$T_TMP"
	nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$MQLB" cluster "$@"; }
	on_exit setpriv --reuid=nobody --regid=nogroup --clear-groups "$MQLB" cluster down --run-dir "$NR/run"
	nobody up --base-port 19714 --run-dir "$NR/run" >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
	is "$rc" 0 "non-root up still runs the brokers"
	ok "  and says NO limits" grep -q "NO limits (cgroup" "$T_TMP/out"
	is "$(grep -c warning "$T_TMP/err")" 1 "  with one warning"
	ok "  naming what is not limited" grep -q "not limited: cpu and memory" "$T_TMP/err"
	nobody status --run-dir "$NR/run" >"$T_TMP/out" 2>&1
	ok "  status shows no limit as '-'" grep -qE '^1 +[0-9]+ +127.0.0.1:19714 +yes .* - +- +->b2' "$T_TMP/out"
	nobody down --run-dir "$NR/run" >/dev/null 2>&1; rc=$?
	is "$rc" 0 "  non-root down exits 0"
fi

# --help
"$MQLB" cluster --help >"$T_TMP/out"; rc=$?
is "$rc" 0 "cluster --help exits 0"
ok "  and documents --bridge" grep -q -- "--bridge star|mesh|none" "$T_TMP/out"

# render: the thesis profile, the YAML parses, the study's settings are there
D="$T_TMP/deploy"
"$MQLB" cluster render --profile thesis --out "$D" >/dev/null; rc=$?
is "$rc" 0 "render --profile thesis exits 0"
y=$(/usr/bin/python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
s = d["services"]
print(len(s), s["broker1"]["cpus"], s["broker1"]["mem_limit"], s["broker3"]["ports"][0], sorted(s["broker1"]["depends_on"]))
' "$D/docker-compose.yml" 2>&1)
is "$y" "3 0.25 128m 18833:1883 ['broker2', 'broker3']" "docker-compose.yml parses with 3 brokers, 0.25 CPU, 128m"
ok "broker1 bridges to broker2 with topic # both 2" grep -qx "address broker2:1883" "$D/broker1/mosquitto.conf"
is "$(grep -c '^topic # both 2$' "$D/broker1/mosquitto.conf")" 2 "hub has one 'topic # both 2' per spoke"
is "$(grep -c '^connection' "$D/broker2/mosquitto.conf")" 0 "spokes have no bridge"
ok "try_private and cleansession false" grep -q "^try_private true" "$D/broker1/mosquitto.conf"
ok "README written" test -s "$D/README.md"
"$MQLB" cluster render --bridge mesh --brokers 4 --cpus 0.5 --memory 256M --out "$T_TMP/mesh" >/dev/null
y=$(/usr/bin/python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(len(d["services"]), d["services"]["broker4"]["cpus"], d["services"]["broker4"]["mem_limit"])' "$T_TMP/mesh/docker-compose.yml")
is "$y" "4 0.5 256m" "mesh render parses with 4 brokers"
is "$(grep -c '^connection' "$T_TMP/mesh/broker4/mosquitto.conf")" 3 "mesh: each broker has a bridge to every other"
ok "the checked-in deploy/thesis is the thesis render" diff -r "$D" "$(dirname "$0")/../../deploy/thesis"
done_testing
