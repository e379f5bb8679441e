# mqlb cluster kill / start against a real 3-broker cluster: SIGKILL -> status
# dead -> start -> CONNACK on the same port, in the same cgroup; SIGSTOP ->
# status stopped and a CONNECT times out; SIGCONT -> it answers; bad brokers
# exit 2, starting a running one exits 1; the monitor follows the faults (new
# pid, state column, no stalled grid); --persistence brings queued QoS 1
# messages back after a SIGKILL (the figure is printed); down after kill/stop
# leaves no mosquitto and no cgroup. Ports 18941-18943 and 18951.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_sub mosquitto_pub python3
R="$T_TMP/run"
on_exit "$MQLB" cluster down --run-dir "$R"
"$MQLB" cluster up --base-port 18941 --run-dir "$R" --name ct-faults >"$T_TMP/up" 2>&1 ||
	{ sed 's/^/# /' "$T_TMP/up"; echo "not ok 1 - cluster up"; exit 1; }

# pid of broker N from status --json ("pid":0 once killed)
bpid() { "$MQLB" cluster status --json --run-dir "$R" | python3 -c "import json,sys; print([b['pid'] for b in json.load(sys.stdin)['brokers'] if b['id'] == $1][0])"; }
# process of broker N from status --json: alive, stopped, dead
bproc() { "$MQLB" cluster status --json --run-dir "$R" | python3 -c "import json,sys; print([b.get('process', '?') for b in json.load(sys.stdin)['brokers'] if b['id'] == $1][0])"; }
pstate() { awk '{sub(/.*\) /, ""); print substr($0, 1, 1)}' "/proc/$1/stat" 2>/dev/null || echo gone; }
cgdirs() { "$MQLB" cluster status --json --run-dir "$R" | python3 -c "import json,sys; print('\n'.join(sorted({d for b in json.load(sys.stdin)['brokers'] for d in b['cgroup'].values() if isinstance(d, str) and d})))"; }
probe() { "$MQLB" cluster probe "127.0.0.1:$1" --timeout "${2:-1s}"; }

old2=$(bpid 2)
cmp_ok "$old2" -gt 0 "broker 2 runs (pid $old2)"
CG="$T_TMP/cgroups"
cgdirs >"$CG"

# --- SIGKILL, status, start ---
out=$("$MQLB" cluster kill --run-dir "$R" --broker 2 2>&1); rc=$?
is "$rc" 0 "kill --broker 2 (default KILL) exits 0"
ok "  and says it is dead" grep -q "broker 2 (pid $old2, port 18942): SIGKILL, dead after" <<<"$out"
st=$(pstate "$old2")
ok "  the old pid is a zombie or gone when kill returns ($st)" test "$st" = Z -o "$st" = gone
is "$(bproc 2)" dead "status --json: broker 2 process dead"
is "$(bpid 2)" 0 "  and its pid recorded as 0 (a recycled pid is never trusted)"
"$MQLB" cluster status --run-dir "$R" >"$T_TMP/st"; rc=$?
is "$rc" 1 "status exits 1 with a dead broker"
ok "  table: broker 2 pid -, alive NO, state dead" grep -qE '^2 +- +127.0.0.1:18942 +NO +dead ' "$T_TMP/st"
probe 18942 >/dev/null; rc=$?
is "$rc" 1 "  nothing answers on 18942"
"$MQLB" cluster kill --run-dir "$R" --broker 2 >/dev/null 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "killing a dead broker exits 1"
ok "  and says it is not running" grep -q "broker 2 is not running" "$T_TMP/err"

out=$("$MQLB" cluster start --run-dir "$R" --broker 2 2>&1); rc=$?
is "$rc" 0 "start --broker 2 exits 0"
ok "  and says where it answers" grep -qE "broker 2 started again: pid [0-9]+, 127.0.0.1:18942" <<<"$out"
new2=$(bpid 2)
cmp_ok "$new2" -ne "$old2" "  new pid $new2 in the state (was $old2)"
is "$(cat "$R/b2.pid")" "$new2" "  b2.pid has it too"
probe 18942 >/dev/null; rc=$?
is "$rc" 0 "  CONNACK from 127.0.0.1:18942 (same port) right after start returns"
ok "  runs its own config" grep -qa "$R/b2.conf" "/proc/$new2/cmdline"
if grep -q ct-faults-b2 "$CG"; then
	ok "  in its own cgroup mqlb/ct-faults-b2 again" grep -q "/mqlb/ct-faults-b2$" "/proc/$new2/cgroup"
	mem=$(grep -h "ct-faults-b2" "$CG" | grep -E 'memory|unified|^/sys/fs/cgroup/mqlb' | head -1)
	[ -n "$mem" ] && [ -f "$mem/cgroup.procs" ] && ok "  listed in its cgroup.procs" grep -qx "$new2" "$mem/cgroup.procs"
else
	echo "ok $((T_N + 1)) # SKIP no cgroups here"; T_N=$((T_N + 1))
fi
"$MQLB" cluster status --run-dir "$R" >/dev/null; rc=$?
is "$rc" 0 "status exits 0 again (every broker alive)"
"$MQLB" cluster start --run-dir "$R" --broker 2 >/dev/null 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "start of a running broker exits 1"
ok "  and says it is still running" grep -q "broker 2 is still running (pid $new2)" "$T_TMP/err"
is "$(bpid 2)" "$new2" "  and leaves it alone"

# --- bad input ---
"$MQLB" cluster kill --run-dir "$R" --broker 9 >/dev/null 2>"$T_TMP/err"; rc=$?
is "$rc" 2 "kill --broker 9 of a 3-broker cluster exits 2"
ok "  and names the valid range" grep -q "broker 9: no such broker; the cluster in $R has brokers 1..3" "$T_TMP/err"
"$MQLB" cluster start --run-dir "$R" --broker 4 >/dev/null 2>&1; rc=$?
is "$rc" 2 "start --broker 4 exits 2"
"$MQLB" cluster kill --run-dir "$R" --broker 1 --signal HUP >/dev/null 2>"$T_TMP/err"; rc=$?
is "$rc" 2 "--signal HUP exits 2"
ok "  and lists KILL, TERM, STOP, CONT" grep -q "want KILL, TERM, STOP or CONT" "$T_TMP/err"
"$MQLB" cluster kill --run-dir "$R" >/dev/null 2>&1; rc=$?
is "$rc" 2 "kill without --broker exits 2"
"$MQLB" cluster start --run-dir "$R" --broker 1 --signal KILL >/dev/null 2>&1; rc=$?
is "$rc" 2 "start --signal exits 2 (kill only)"
"$MQLB" cluster kill --run-dir "$T_TMP/none" --broker 1 >/dev/null 2>&1; rc=$?
is "$rc" 1 "kill with no cluster in the run dir exits 1"

# --- SIGSTOP / SIGCONT ---
p3=$(bpid 3)
out=$("$MQLB" cluster kill --run-dir "$R" --broker 3 --signal STOP 2>&1); rc=$?
is "$rc" 0 "kill --signal STOP exits 0"
is "$(pstate "$p3")" T "  /proc state T"
kill -STOP "$p3" # (a no-op then; what follows is about status, whoever froze it)
t0=$(date +%s%N)
"$MQLB" cluster status --run-dir "$R" >"$T_TMP/st"; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$rc" 1 "status exits 1 with a frozen broker"
ok "  table: broker 3 alive yes, state stopped" grep -qE "^3 +$p3 +127.0.0.1:18943 +yes +stopped " "$T_TMP/st"
cmp_ok "$ms" -lt 1900 "  status does not wait for the frozen broker's \$SYS (${ms} ms)"
is "$(bproc 3)" stopped "status --json: process stopped"
out=$(probe 18943 500ms); rc=$?
is "$rc" 1 "a client CONNECT to the frozen broker gets no CONNACK"
ok "  it times out" grep -q "timed out" <<<"$out"
"$MQLB" cluster start --run-dir "$R" --broker 3 >/dev/null 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "start of a frozen broker exits 1"
ok "  and says to resume it with CONT" grep -q "signal CONT" "$T_TMP/err"
"$MQLB" cluster kill --run-dir "$R" --broker 3 --signal CONT >/dev/null; rc=$?
is "$rc" 0 "kill --signal CONT exits 0"
probe 18943 >/dev/null; rc=$?
is "$rc" 0 "  and the broker answers CONNECT again"
# TERM to a frozen broker: pending until it runs, so kill thaws it
"$MQLB" cluster kill --run-dir "$R" --broker 3 --signal STOP >/dev/null
t0=$(date +%s%N)
"$MQLB" cluster kill --run-dir "$R" --broker 3 --signal TERM --timeout 3s >/dev/null; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$rc" 0 "TERM to a frozen broker: dead, exit 0"
cmp_ok "$ms" -lt 2000 "  promptly (${ms} ms)"
"$MQLB" cluster start --run-dir "$R" --broker 3 >/dev/null; rc=$?
is "$rc" 0 "  and it starts again"

# --- the monitor through the faults (interval 100 ms) ---
O="$T_TMP/mon"
"$MQLB" monitor --out "$O" --run-dir "$R" --interval 100ms 2>"$T_TMP/mon.err" &
MON=$!
track $MON
sleep 1
k2=$(bpid 2)
tm=$(awk -F, 'END {print $2}' "$O/brokers.csv")
"$MQLB" cluster kill --run-dir "$R" --broker 2 >/dev/null
sleep 0.6
"$MQLB" cluster start --run-dir "$R" --broker 2 >/dev/null
r2=$(bpid 2)
tr=$(awk -F, 'END {print $2}' "$O/brokers.csv")
sleep 1
p3=$(bpid 3)
kill -STOP "$p3" # plain kill: a frozen broker whatever froze it
ts=$(awk -F, 'END {print $2}' "$O/brokers.csv")
diag "monitor time: kill at ~$tm s, started again by ~$tr s, froze 3 at ~$ts s"
sleep 0.3
# a monitor that starts while broker 3 is frozen must not try $SYS on it: a
# CONNECT there is accepted by the kernel and never answered (it used to cost
# 500 ms per try, every second)
"$MQLB" monitor --out "$T_TMP/mon2" --run-dir "$R" --interval 200ms --duration 2 2>/dev/null; rc2=$?
kill -CONT "$p3"
sleep 0.3
kill -TERM $MON
wait $MON; rc=$?
is "$rc" 0 "monitor ran through kill, start and a freeze (SIGTERM: exit 0)"
is "$rc2" 0 "a monitor started while broker 3 was frozen exits 0"
rows=$(awk -F, 'NR>1 && $3==1' "$T_TMP/mon2/brokers.csv" | wc -l)
gap=$(awk -F, 'NR>1 && $3==1 {if (p != "") {g = ($2 - p) * 1000; if (g > m) m = g}; p = $2} END {printf "%d", m}' "$T_TMP/mon2/brokers.csv")
cmp_ok "$gap" -lt 400 "  no sample later than one interval: longest gap ${gap} ms at 200 ms (a \$SYS open to a frozen broker cost 500 ms)"
cmp_ok "$rows" -ge 7 "  and it sampled on its grid ($rows samples in 2 s)"
ok "  its brokers.csv says broker 3 stopped" grep -qE ",3,127.0.0.1:18943,$p3,1,[^,]*,[^,]*,[^,]*,stopped$" "$T_TMP/mon2/brokers.csv"
B="$O/brokers.csv"
ok "brokers.csv: broker 2 dead with no pid after the kill" grep -qE ',2,127.0.0.1:18942,,0,,,,dead$' "$B"
ok "  then alive with the new pid $r2" grep -qE ",2,127.0.0.1:18942,$r2,1,.*,alive$" "$B"
ok "  and alive with the old pid $k2 before" grep -qE ",2,127.0.0.1:18942,$k2,1,.*,alive$" "$B"
ok "  broker 3 stopped while frozen" grep -qE ",3,127.0.0.1:18943,$p3,1,.*,stopped$" "$B"
read -r gap at < <(awk -F, 'NR>1 && $3==1 {if (p != "") {g = ($2 - p) * 1000; if (g > m) {m = g; a = p}}; p = $2} END {printf "%d %s\n", m, a}' "$B")
cmp_ok "$gap" -lt 400 "  the grid never stalled (longest gap ${gap} ms at 100 ms, after ${at} s)"
# $SYS of the restarted broker: its subscription is opened again
last=$(awk -F, '$3==2 {v = $NF} END {print v}' "$O/sys.csv")
is "$last" 1 "sys.csv: \$SYS of broker 2 reconnected after the restart"
ok "monitor logged the new pid" grep -q "broker 2: pid 0 -> $r2" "$T_TMP/mon.err"

# --- --persistence: queued QoS 1 messages after SIGKILL + start ---
P="$T_TMP/pers"
chmod o+x "$T_TMP" # mosquitto drops root for user mosquitto: it must reach its store
on_exit "$MQLB" cluster down --run-dir "$P"
"$MQLB" cluster up --brokers 1 --bridge none --persistence --base-port 18951 --run-dir "$P" --name ct-pers >/dev/null 2>&1
ok "persistence: one broker up" probe 18951
ok "  its config saves every second" grep -qx "autosave_interval 1" "$P/b1.conf"
drain() { timeout 15 mosquitto_sub -p 18951 -c -i ct-psub -q 1 -t ct/p -W "${1:-2}" 2>/dev/null | wc -l; }
drain 1 >/dev/null # the persistent session: subscribed, then offline
# SIGKILL by pid and start again; without `cluster start` (older builds) as
# the lab did: mosquitto with the same config
sigkill_restart() {
	local pid s
	pid=$(cat "$P/b1.pid")
	kill -KILL "$pid"
	for _ in $(seq 100); do s=$(pstate "$pid"); [ "$s" = Z ] || [ "$s" = gone ] && break; sleep 0.02; done
	if ! "$MQLB" cluster start --run-dir "$P" --broker 1 >/dev/null 2>&1; then
		mosquitto -c "$P/b1.conf" >>"$P/b1.log" 2>&1 &
		track $!
		echo $! >"$P/b1.pid" # so that the next round kills this one
		wait_port 127.0.0.1 18951 5
	fi
}
seq 1 50 | mosquitto_pub -p 18951 -q 1 -t ct/p -l
sleep 3 # longer than one save period (2 s: see cluster_conf.c)
ok "  it saved its store meanwhile" grep -q "Saving in-memory database" "$P/b1.log"
sigkill_restart
got=$(drain)
is "$got" 50 "persistence: 50 queued messages saved >= 3 s before a SIGKILL all come back"
ok "  the broker saved without errors" test "$(grep -c 'Error saving' "$P/b1.log")" -eq 0
# the figure: a steady stream (one QoS 1 publish every ~50 ms, each acked)
# cut by SIGKILL; what comes back, and how old the newest lost message was
drain 1 >/dev/null
: >"$T_TMP/pubtimes"
for i in $(seq 1 80); do
	mosquitto_pub -p 18951 -q 1 -t ct/p -m "$i"
	echo "$i $(date +%s%N)" >>"$T_TMP/pubtimes"
	sleep 0.04
done
tk=$(date +%s%N)
sigkill_restart
got=$(drain)
lost=$((80 - got))
span=$(awk -v n=80 'NR==1{a=$2} NR==n{b=$2} END{printf "%.2f", (b-a)/1e9}' "$T_TMP/pubtimes")
if [ "$lost" -gt 0 ]; then
	first_lost=$(awk -v k=$((got + 1)) -v tk="$tk" '$1==k{printf "%d", (tk-$2)/1e6}' "$T_TMP/pubtimes")
else
	first_lost=0
fi
diag "persistence figure: $got of 80 queued QoS 1 messages (published over $span s) survived SIGKILL + start; lost the last $lost, published within ${first_lost} ms before the kill"
cmp_ok "$got" -ge 30 "persistence: most of a 4 s stream survives a SIGKILL ($got of 80)"
cmp_ok "$first_lost" -le 2600 "  what is lost is at most ~2 s old (${first_lost} ms; Mosquitto saves every 2 s at autosave_interval 1)"
"$MQLB" cluster down --run-dir "$P" >/dev/null

# --- start inside the cluster's network namespace ---
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && ip netns add "mqlb-ct-ns$$" 2>/dev/null; then
	NS=mqlb-ct-ns$$
	on_exit ip netns del "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" addr add 198.18.202.1/32 dev lo
	N="$T_TMP/ns"
	on_exit "$MQLB" cluster down --run-dir "$N"
	"$MQLB" cluster up --netns "$NS" --host 198.18.202.1 --brokers 2 --base-port 18952 --run-dir "$N" --name ct-ns >/dev/null 2>&1
	# killed from outside (as the OOM killer would): its pid stays in the state
	kill -KILL "$(cat "$N/b2.pid")"
	sleep 0.2
	"$MQLB" cluster start --run-dir "$N" --broker 2 >/dev/null; rc=$?
	is "$rc" 0 "netns: start of a broker killed from outside exits 0"
	ok "  it listens inside the namespace again" test "$(ip netns exec "$NS" ss -Htln '( sport = :18953 )' | wc -l)" -eq 1
	is "$(ss -Htln '( sport = :18953 )' | wc -l)" 0 "  and not in ours"
	ok "  and answers CONNECT there" "$MQLB" cluster probe 198.18.202.1:18953 --netns "$NS"
	"$MQLB" cluster down --run-dir "$N" >/dev/null
else
	echo "ok $((T_N + 1)) # SKIP netns: needs root and ip netns"; T_N=$((T_N + 1))
fi

# --- down after kill and a freeze: no mosquitto, no cgroup ---
"$MQLB" cluster kill --run-dir "$R" --broker 1 >/dev/null
f2=$(bpid 2)
kill -STOP "$f2" # the restarted broker 2, frozen
t0=$(date +%s%N)
out=$("$MQLB" cluster down --run-dir "$R" 2>&1); rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$rc" 0 "down after a kill and a freeze exits 0"
ok "  stops the frozen broker without SIGKILL (SIGCONT first)" test -z "$(grep SIGKILL <<<"$out")"
cmp_ok "$ms" -lt 3000 "  promptly (${ms} ms)"
live=0
for d in /proc/[0-9]*; do
	grep -qa "$R/b" "$d/cmdline" 2>/dev/null || continue
	s=$(pstate "${d#/proc/}")
	[ "$s" = Z ] || [ "$s" = gone ] || live=$((live + 1))
done
is "$live" 0 "  no mosquitto of the cluster left running"
left=0
while read -r d; do [ -n "$d" ] && [ -d "$d" ] && left=$((left + 1)); done <"$CG"
is "$left" 0 "  no cgroup of the cluster left ($(wc -l <"$CG") were there)"
ok "  no state file left" test ! -e "$R/state"
done_testing
