#!/usr/bin/env bash
# bench/bench_generator.sh — CPU seconds the load generator spends per million
# messages handled (published + received by it), mqlb vs mosquitto_pub/_sub
# (Debian) vs a generator on MQTT.js (npm `mqtt`), same broker, same workload,
# same run: 1 -> 1 and 5 -> 200 fan-out, QoS 0 and 1. Target: mqlb <= 0.3 x the
# best peer. CPU = utime + stime of the generator's processes (getrusage of
# waited-for children). Broker: one real Mosquitto on 127.0.0.1:19150 with queues
# large enough that nothing is dropped.
#
# Same work for every tool: each one runs until every message arrived (mqlb
# --drain ends when complete, mosquitto_sub -C, MQTT.js counts), bounded by
# BOUND seconds (default 300, far above the ~30 s the slowest round needs), and
# every peer runs under timeout with a KILL fallback. A tool is compared only
# when its own checks pass (mqlb: exit 0, unique = expected, lost 0, no errors;
# a peer: every message published and received, not killed); otherwise the line
# says why and shows no figure. Before each tool the broker must be idle (its
# CPU below 5 % of a core for 0.5 s), so no tool pays for another's backlog.
# A peer whose receivers got nothing for IDLE s (default 30; mosquitto_pub -l
# at QoS 1 exits with messages unsent) is stopped and reported incomplete.
# RUNS=N repeats everything and prints the median ratio per workload.
# MQLB_BENCH_OPTS: extra flags for mqlb bench (e.g. "--coalesce 0").
set -u
MQLB=${MQLB:-$(cd "$(dirname "$0")/.." && pwd)/mqlb}
here=$(cd "$(dirname "$0")" && pwd)
PORT=19150
SIZE=256
RUNS=${RUNS:-1}
BOUND=${BOUND:-300}
tmp=$(mktemp -d /tmp/mqlb-bench-gen.XXXXXX)
broker=
cleanup() {
	[ -n "$broker" ] && kill "$broker" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
command -v mosquitto >/dev/null || {
	echo "SKIP: mosquitto not installed"
	exit 0
}

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_inflight_messages 0\nmax_connections -1\n' \
	"$PORT" >"$tmp/m.conf"
mosquitto -c "$tmp/m.conf" >"$tmp/m.log" 2>&1 &
broker=$!
sleep 0.5
[ "$(awk '{print $3}' "/proc/$broker/stat" 2>/dev/null)" = Z ] || [ ! -e "/proc/$broker" ] && {
	echo "broker did not start:"
	cat "$tmp/m.log"
	exit 1
}

# cpu CMD [GLOB]: runs CMD under bash (own process group); prints "CPU_S RC":
# the CPU seconds of everything it waited for and bash's exit status. With
# GLOB (the receivers' output files), the group is stopped (TERM, KILL 15 s
# later; RC 124) once those files stopped growing for IDLE seconds (default 30):
# nothing arrives any more, the rest is not on its way.
cpu() {
	/usr/bin/python3 - "$1" "${2:-}" "${IDLE:-30}" <<'PY'
import glob, os, resource, signal, subprocess, sys, time
cmd, pat, idle = sys.argv[1], sys.argv[2], float(sys.argv[3])
p = subprocess.Popen(["bash", "-c", cmd], start_new_session=True)
size, changed, rc = -1, time.time(), None
while rc is None:
    try:
        rc = p.wait(timeout=1)
        break
    except subprocess.TimeoutExpired:
        pass
    if not pat:
        continue
    n = sum(os.path.getsize(f) for f in glob.glob(pat) if os.path.exists(f))
    if n != size:
        size, changed = n, time.time()
    elif time.time() - changed > idle:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        rc = 124
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %d" % (r.ru_utime + r.ru_stime, rc))
PY
}
ticks() { awk '{print $14 + $15}' "/proc/$broker/stat"; }
# broker_idle: waits (<= 30 s) until the broker used < 5 % of a core for 0.5 s
broker_idle() {
	local hz i a b
	hz=$(getconf CLK_TCK)
	for ((i = 0; i < 60; i++)); do
		a=$(ticks)
		sleep 0.5
		b=$(ticks)
		[ $(((b - a) * 100)) -lt $((hz * 5 / 2)) ] && return 0
	done
	echo "  (broker still busy after 30 s)"
	return 1
}
per_m() { awk -v t="$1" -v h="$2" 'BEGIN{printf "%.3f", (h ? t / h * 1e6 : 0)}'; }

# MQTT.js: installed at bench time into build/bench-node (npm), else skipped
node_dir=$here/../build/bench-node
have_node=0
if command -v node >/dev/null && command -v npm >/dev/null; then
	if [ ! -d "$node_dir/node_modules/mqtt" ]; then
		mkdir -p "$node_dir"
		timeout -k 5 300 npm install --prefix "$node_dir" --no-audit --no-fund --silent mqtt@5 \
			>/dev/null 2>&1
	fi
	[ -d "$node_dir/node_modules/mqtt" ] && have_node=1
fi
[ $have_node = 1 ] || echo "MQTT.js peer skipped (node/npm or the mqtt package not available)"

# mqlb_round NAME P S M Q: prints the CPU-s/M of mqlb into $tmp/fig.mqlb or "-"
mqlb_round() {
	local name=$1 P=$2 S=$3 M=$4 Q=$5 total=$(($2 * $4)) t rc h why
	rm -f "$tmp/mqlb.json"
	read -r t rc < <(cpu "timeout -k 10 $((BOUND + 30)) '$MQLB' bench run -p $PORT --pubs $P --subs $S -L $total --rate 10000000 -F 100 -q $Q -s $SIZE -i 0 --threads 1 --drain $BOUND --quiet ${MQLB_BENCH_OPTS:-} --json '$tmp/mqlb.json' >'$tmp/mqlb.txt' 2>&1" | tail -1)
	why=$(/usr/bin/python3 - "$tmp/mqlb.json" "$rc" "$total" "$((total * S))" <<'PY'
import json, sys
path, rc, total, exp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
try:
    d = json.load(open(path))
except Exception:
    print("no JSON (exit %d)" % rc); sys.exit()
bad = []
if rc: bad.append("exit %d" % rc)
if d["published"] != total: bad.append("published %d of %d" % (d["published"], total))
if d["expected"] != exp or d["unique"] != exp: bad.append("unique %d of %d" % (d["unique"], exp))
if d["lost"] or d.get("late", 0): bad.append("lost %d late %d" % (d["lost"], d.get("late", 0)))
if d["errors"]: bad.append("errors %s" % d["errors"])
print("; ".join(bad) if bad else "ok %d" % (d["published"] + d["received"]))
PY
	)
	if [ "${why%% *}" = ok ]; then
		h=${why#ok }
		per_m "$t" "$h" >"$tmp/fig.mqlb"
		printf '%-14s %-9s %12s %10s %10s\n' "$name" mqlb "$h" "$t" "$(cat "$tmp/fig.mqlb")"
	else
		echo - >"$tmp/fig.mqlb"
		printf '%-14s %-9s FAILED its checks: %s (no figure)\n' "$name" mqlb "$why"
	fi
}

# mosq_round NAME P S M Q: mosquitto_pub -l (one line per message) + mosquitto_sub -C
mosq_round() {
	local name=$1 P=$2 S=$3 M=$4 Q=$5 total=$(($2 * $4)) t rc rcv h script
	yes "$(head -c $((SIZE - 1)) /dev/zero | tr '\0' x)" | head -n "$M" >"$tmp/lines"
	rm -f "$tmp"/sub.* "$tmp"/rc.*
	# each client bounded on its own (timeout -k: SIGTERM, SIGKILL 10 s later;
	# issue 18 saw a mosquitto_sub ignore -W and SIGTERM); its status in rc.*
	script="for i in \$(seq $S); do (timeout -k 10 $BOUND mosquitto_sub -p $PORT -t bench/test -q $Q -C $total -W $BOUND -F %t >'$tmp/sub.'\$i; echo \$? >'$tmp/rc.s'\$i) & done; sleep 2;"
	script+=" for i in \$(seq $P); do (timeout -k 10 $BOUND mosquitto_pub -p $PORT -t bench/test -q $Q -l <'$tmp/lines'; echo \$? >'$tmp/rc.p'\$i) & done; wait"
	read -r t rc < <(cpu "$script" "$tmp/sub.*" | tail -1)
	rcv=$(cat "$tmp"/sub.* 2>/dev/null | wc -l)
	h=$((total + rcv))
	local killed bad
	killed=$(cat "$tmp"/rc.* 2>/dev/null | grep -cE '^(124|137)$')
	bad=$(cat "$tmp"/rc.* 2>/dev/null | grep -cvE '^0$')
	local note="$killed killed at the $BOUND s bound"
	[ "$rc" = 124 ] && note="stopped: nothing arrived for ${IDLE:-30} s"
	# QoS 1 may deliver a message twice (at least once): more is complete
	if [ "$rc" = 0 ] && [ "$rcv" -ge $((total * S)) ] && [ "$bad" -eq 0 ] && [ "$(ls "$tmp"/rc.* | wc -l)" -eq $((P + S)) ]; then
		per_m "$t" "$h" >"$tmp/fig.mosq"
		printf '%-14s %-9s %12s %10s %10s\n' "$name" mosquitto "$h" "$t" "$(cat "$tmp/fig.mosq")"
	else
		echo - >"$tmp/fig.mosq"
		printf '%-14s %-9s incomplete: received %d of %d, %d clients failed (%s), %s CPU-s (not compared)\n' \
			"$name" mosquitto "$rcv" $((total * S)) "$bad" "$note" "$t"
	fi
}

# node_round NAME P S M Q: the MQTT.js generator (bench_mqttjs.js)
node_round() {
	local name=$1 P=$2 S=$3 M=$4 Q=$5 total=$(($2 * $4)) t rc pub rcv
	read -r t rc < <(cpu "NODE_PATH='$node_dir/node_modules' timeout -k 10 $((BOUND + 10)) node '$here/bench_mqttjs.js' mqtt://127.0.0.1:$PORT $P $S $M $Q $SIZE $BOUND >'$tmp/node.out' 2>&1" | tail -1)
	read -r pub rcv < <(awk '/^published/{print $2, $4}' "$tmp/node.out")
	pub=${pub:-0} rcv=${rcv:-0}
	if [ "$rc" -eq 0 ] && [ "$pub" -eq "$total" ] && [ "$rcv" -ge $((total * S)) ]; then
		per_m "$t" $((pub + rcv)) >"$tmp/fig.node"
		printf '%-14s %-9s %12s %10s %10s\n' "$name" mqtt.js $((pub + rcv)) "$t" "$(cat "$tmp/fig.node")"
	else
		echo - >"$tmp/fig.node"
		printf '%-14s %-9s incomplete: published %d of %d, received %d of %d, exit %d%s, %s CPU-s (not compared)\n' \
			"$name" mqtt.js "$pub" "$total" "$rcv" $((total * S)) "$rc" \
			"$([ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && echo " (killed at the bound)")" "$t"
	fi
}

echo "bench_generator: mqlb $("$MQLB" --version 2>&1 | head -1), commit $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo ?), $(nproc) cores, RUNS=$RUNS, BOUND=$BOUND s"
for ((run = 1; run <= RUNS; run++)); do
	echo "== run $run of $RUNS, $(date -u +%FT%TZ), load:$(uptime | sed 's/.*load average://')"
	printf '%-14s %-9s %12s %10s %10s %10s\n' workload tool handled cpu_s cpu_s/M ratio
	for wl in "1 1 200000" "5 200 1000"; do
		read -r P S M <<<"$wl"
		for Q in 0 1; do
			name="$P->$S q$Q"
			broker_idle
			mqlb_round "$name" "$P" "$S" "$M" "$Q"
			broker_idle
			mosq_round "$name" "$P" "$S" "$M" "$Q"
			echo - >"$tmp/fig.node"
			if [ $have_node = 1 ]; then
				broker_idle
				node_round "$name" "$P" "$S" "$M" "$Q"
			fi
			ratio=$(awk -v m="$(cat "$tmp/fig.mqlb")" -v a="$(cat "$tmp/fig.mosq")" -v b="$(cat "$tmp/fig.node")" 'BEGIN{
				best = 0
				if (a != "-" && a > 0) best = a
				if (b != "-" && b > 0 && (best == 0 || b < best)) best = b
				if (m == "-" || best == 0) print "-"; else printf "%.3f", m / best }')
			printf '%-14s %-9s %12s %10s %10s %10s\n' "$name" "=> ratio" "" "" "" "${ratio}x"
			echo "$name|$ratio|$(cat "$tmp/fig.mqlb")" >>"$tmp/ratios"
		done
	done
	echo "   load after run $run:$(uptime | sed 's/.*load average://')"
done
echo "== median over $RUNS run(s) of the ratio mqlb / best complete peer (target <= 0.3x), and of mqlb CPU-s/M:"
worst=0
for name in "1->1 q0" "1->1 q1" "5->200 q0" "5->200 q1"; do
	r=$(grep -F "$name|" "$tmp/ratios" | cut -d'|' -f2 | grep -v '^-$' | sort -g |
		awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "-"}')
	m=$(grep -F "$name|" "$tmp/ratios" | cut -d'|' -f3 | grep -v '^-$' | sort -g |
		awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "-"}')
	n=$(grep -F "$name|" "$tmp/ratios" | cut -d'|' -f2 | grep -vc '^-$')
	printf '  %-10s ratio %8s  (%d of %d runs comparable)  mqlb %s CPU-s/M\n' "$name" "${r}x" "$n" "$RUNS" "$m"
	[ "$r" = - ] && worst=- 
	[ "$worst" != - ] && [ "$r" != - ] && worst=$(awk -v a="$worst" -v b="$r" 'BEGIN{print ((b > a) ? b : a)}')
done
echo "mqlb CPU per message vs the best peer, worst workload: ${worst}x (target <= 0.3x)"
