#!/usr/bin/env bash
# bench/bench_generator.sh — CPU seconds the load generator spends per million
# messages handled (published + received by it), mqlb vs mosquitto_pub/_sub
# (Debian) vs a generator on MQTT.js (npm `mqtt`), same broker, same workload,
# same run: 1 -> 1 and 5 -> 200 fan-out, QoS 0 and 1. Target: mqlb <= 0.3 x the
# best peer. CPU = utime + stime of the generator's processes (getrusage of
# waited-for children). Broker: one real Mosquitto on 127.0.0.1:19150 with queues
# large enough that nothing is dropped. MQLB_BENCH_OPTS: extra flags for mqlb
# bench (e.g. "--coalesce 2000"), to measure a setting against the same peers.
set -u
MQLB=${MQLB:-$(cd "$(dirname "$0")/.." && pwd)/mqlb}
here=$(cd "$(dirname "$0")" && pwd)
PORT=19150
SIZE=256
tmp=$(mktemp -d /tmp/mqlb-bench-gen.XXXXXX)
broker=
cleanup() { [ -n "$broker" ] && kill "$broker" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
command -v mosquitto >/dev/null || { echo "SKIP: mosquitto not installed"; exit 0; }

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_inflight_messages 0\nmax_connections -1\n' \
	"$PORT" >"$tmp/m.conf"
mosquitto -c "$tmp/m.conf" >"$tmp/m.log" 2>&1 &
broker=$!
sleep 0.5

# cpu CMD: runs CMD under bash, prints the CPU seconds of everything it waited for
cpu() {
	/usr/bin/python3 - "$1" <<'PY'
import resource, subprocess, sys
subprocess.run(["bash", "-c", sys.argv[1]], check=False)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (r.ru_utime + r.ru_stime))
PY
}

# MQTT.js: installed at bench time into build/bench-node (npm), else skipped
node_dir=$here/../build/bench-node
have_node=0
if command -v node >/dev/null && command -v npm >/dev/null; then
	if [ ! -d "$node_dir/node_modules/mqtt" ]; then
		mkdir -p "$node_dir"
		npm install --prefix "$node_dir" --no-audit --no-fund --silent mqtt@5 >/dev/null 2>&1
	fi
	[ -d "$node_dir/node_modules/mqtt" ] && have_node=1
fi
[ $have_node = 1 ] || echo "MQTT.js peer skipped (node/npm or the mqtt package not available)"

printf '%-14s %-8s %12s %12s %10s %10s\n' workload tool handled cpu_s cpu_s/M ratio
worst=0
for wl in "1 1 200000" "5 200 1000"; do
	read -r P S M <<<"$wl"
	for Q in 0 1; do
		name="$P->$S q$Q"
		total=$((P * M))
		# --- mqlb: one process, one thread
		t=$(cpu "'$MQLB' bench run -p $PORT --pubs $P --subs $S -L $total --rate 10000000 -F 100 -q $Q -s $SIZE -i 0 --threads 1 --drain 10 --quiet ${MQLB_BENCH_OPTS:-} --json '$tmp/mqlb.json' >/dev/null 2>&1" | tail -1)
		h=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["published"]+d["received"])' "$tmp/mqlb.json")
		mq=$(awk -v t="$t" -v h="$h" 'BEGIN{printf "%.3f", (h ? t / h * 1e6 : 0)}')
		printf '%-14s %-8s %12s %12s %10s\n' "$name" mqlb "$h" "$t" "$mq"
		best=
		# --- mosquitto_pub -l (one line per message) + mosquitto_sub -C
		yes "$(head -c $((SIZE - 1)) /dev/zero | tr '\0' x)" | head -n "$M" >"$tmp/lines"
		script="for i in \$(seq $S); do mosquitto_sub -p $PORT -t bench/test -q $Q -C $total -W 60 -F %t >'$tmp/sub.'\$i & done; sleep 2;"
		script+=" for i in \$(seq $P); do mosquitto_pub -p $PORT -t bench/test -q $Q -l <'$tmp/lines' & done; wait"
		rm -f "$tmp"/sub.*
		t=$(cpu "$script" | tail -1)
		rcv=$(cat "$tmp"/sub.* | wc -l)
		h=$((total + rcv))
		pc=$(awk -v t="$t" -v h="$h" 'BEGIN{printf "%.3f", (h ? t / h * 1e6 : 0)}')
		full=$((total * (S + 1)))
		printf '%-14s %-8s %12s %12s %10s\n' "$name" mosquitto "$h" "$t" "$pc"
		best=999999
		# a peer that did not finish the workload is not compared
		if [ "$h" -ge $((full * 9 / 10)) ]; then best=$pc; else echo "  (mosquitto_pub/sub incomplete: not compared)"; fi
		if [ $have_node = 1 ]; then
			out=$tmp/node.out
			t=$(cpu "NODE_PATH='$node_dir/node_modules' node '$here/bench_mqttjs.js' mqtt://127.0.0.1:$PORT $P $S $M $Q $SIZE >'$out' 2>&1" | tail -1)
			h=$(awk '/^published/{print $2 + $4}' "$out")
			h=${h:-0}
			nc=$(awk -v t="$t" -v h="$h" 'BEGIN{printf "%.3f", (h ? t / h * 1e6 : 0)}')
			printf '%-14s %-8s %12s %12s %10s\n' "$name" mqtt.js "$h" "$t" "$nc"
			[ "$h" -ge $((full * 9 / 10)) ] || { echo "  (mqtt.js incomplete: not compared)"; nc=0; }
			best=$(awk -v a="$best" -v b="$nc" 'BEGIN{print ((b > 0 && b < a) ? b : a)}')
		fi
		ratio=$(awk -v a="$mq" -v b="$best" 'BEGIN{printf "%.3f", ((b > 0 && b < 999999) ? a / b : 0)}')
		printf '%-14s %-8s %12s %12s %10s %10s\n' "$name" "=> ratio" "" "" "" "${ratio}x"
		worst=$(awk -v a="$worst" -v b="$ratio" 'BEGIN{print ((b > a) ? b : a)}')
	done
done
echo "mqlb CPU per message vs the best peer, worst case: ${worst}x (target <= 0.3x)"
