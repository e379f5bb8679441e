#!/usr/bin/env bash
# bench/monitor.sh — mqlb monitor's own CPU at 400 ms with 3 brokers and 1,000
# connections, against the study's way of watching the same things: a shell
# loop running ss (per broker port) and ps (CPU, RSS) at the same interval.
# Target: monitor <= 2 % of one core. Prints both figures and the ratio.
#   BENCH_SECONDS (default 20) per side; ports 19231-19233, run dir in /tmp.
set -u
MQLB=${MQLB:-$(cd "$(dirname "$0")/.." && pwd)/mqlb}
SECS=${BENCH_SECONDS:-20}
CONNS=${BENCH_CONNS:-1000}
T=$(mktemp -d /tmp/mqlb-bench-monitor.XXXXXX)
R="$T/run"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	"$MQLB" cluster down --run-dir "$R" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
command -v mosquitto >/dev/null || { echo "SKIP: mosquitto not installed"; exit 0; }
# no cpu limit: the brokers must accept 1,000 connections quickly; memory as the study
"$MQLB" cluster up --base-port 19231 --cpus 0 --run-dir "$R" --name bench-mon >/dev/null || exit 1
mapfile -t BPIDS < <(awk -F'\t' '$1=="broker"{print $3}' "$R/state")

# 1,000 idle MQTT connections spread over the 3 brokers (raw CONNECT, keepalive 0)
/usr/bin/python3 - "$CONNS" "$T/conns.ready" <<'PY' &
import socket, sys, time
n, ready = int(sys.argv[1]), sys.argv[2]
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", 19231 + i % 3))
    cid = b"bm%d" % i
    body = b"\x00\x04MQTT\x04\x02\x00\x00" + len(cid).to_bytes(2, "big") + cid
    s.sendall(bytes([0x10, len(body)]) + body)
    socks.append(s)
for s in socks:
    s.recv(4)
open(ready, "w").close()
time.sleep(3600)
PY
PIDS+=($!)
for _ in $(seq 300); do [ -e "$T/conns.ready" ] && break; sleep 0.1; done
[ -e "$T/conns.ready" ] || { echo "FAIL: $CONNS connections not established"; exit 1; }
est=$(ss -Htn state established '( sport = :19231 or sport = :19232 or sport = :19233 )' | wc -l)

cpu_of() { # cpu_of CMD...: user+sys seconds of CMD and its children
	/usr/bin/time -f "%U %S" -o "$T/time" "$@" >/dev/null 2>&1
	awk '{printf "%.3f", $1 + $2}' "$T/time"
}

mon=$(cpu_of "$MQLB" monitor --out "$T/mon" --run-dir "$R" --interval 400ms --duration "$SECS")
samples=$(($(wc -l <"$T/mon/brokers.csv") - 1))
seen=$(awk -F, 'NR>1{s[$3]=$5} END{print s[1]+s[2]+s[3]}' "$T/mon/connections.csv")

# The peer: the study's kind of loop (netstat/docker stats -> ss/ps here).
cat >"$T/loop.sh" <<EOF2
end=\$((SECONDS + $SECS))
while [ \$SECONDS -lt \$end ]; do
	ts=\$(date +%Y-%m-%dT%H:%M:%S.%3N)
	for p in 19231 19232 19233; do
		echo "\$ts,\$p,\$(ss -Htn state established "( sport = :\$p )" | wc -l)" >>"$T/loop-conns.csv"
	done
	ps -o pid=,%cpu=,rss= -p ${BPIDS[0]},${BPIDS[1]},${BPIDS[2]} | sed "s/^/\$ts /" >>"$T/loop-brokers.csv"
	sleep 0.4
done
EOF2
loop=$(cpu_of bash "$T/loop.sh")
lsamples=$(($(wc -l <"$T/loop-conns.csv") / 3))

pct() { awk -v c="$1" -v s="$SECS" 'BEGIN{printf "%.2f", 100 * c / s}'; }
mp=$(pct "$mon")
lp=$(pct "$loop")
echo "monitor bench: 3 brokers, $est established broker-side connections, interval 400 ms, $SECS s each"
echo "  mqlb monitor:       $mon s CPU = $mp % of one core ($samples rows = $((samples / 3)) samples; saw $seen connections)"
echo "  ss + ps shell loop: $loop s CPU = $lp % of one core ($lsamples samples, no \$SYS, no director)"
awk -v m="$mon" -v l="$loop" 'BEGIN{ if (m > 0) printf "  ratio: the shell loop uses %.1fx the CPU of mqlb monitor\n", l / m; else print "  ratio: mqlb monitor used no measurable CPU" }'
awk -v p="$mp" 'BEGIN{ if (p <= 2.0) print "  target <= 2 % of one core: met"; else { print "  target <= 2 % of one core: NOT met"; exit 1 } }'
