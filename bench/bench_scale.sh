#!/usr/bin/env bash
# bench/bench_scale.sh — mqlb bench is never the bottleneck:
#  1. against one Mosquitto on loopback it saturates the broker (~100 % of a
#     core) while using <= 50 % of one core itself;
#  2. it holds 10,000 concurrent connections to one Mosquitto with <= 16 KB of
#     user-space memory per connection (RSS / connections), and reports the
#     connect rate it achieved.
# CPU from /proc/PID/stat (utime + stime) for the broker, getrusage for mqlb.
# Every mqlb run is under timeout with a KILL fallback; a figure is printed only
# when its run passed its checks (all clients connected, no errors), else why.
set -u
MQLB=${MQLB:-$(cd "$(dirname "$0")/.." && pwd)/mqlb}
tmp=$(mktemp -d /tmp/mqlb-bench-scale.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
command -v mosquitto >/dev/null || { echo "SKIP: mosquitto not installed"; exit 0; }
jget() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$1" "$2"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

broker() { # broker PORT: a Mosquitto allowed 20000 fds, pid in $bpid
	printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_connections -1\nmax_queued_messages 0\nmax_inflight_messages 0\n' \
		"$1" >"$tmp/m$1.conf"
	bash -c "ulimit -n 20000 2>/dev/null || ulimit -n \$(ulimit -Hn); exec mosquitto -c '$tmp/m$1.conf'" \
		>"$tmp/m$1.log" 2>&1 &
	bpid=$!
	pids+=("$bpid")
	sleep 0.5
}

echo "== saturation: 4 publishers -> 20 subscribers, QoS 0 flood, 8 s"
broker 19160
b0=$(ticks "$bpid")
t0=$(date +%s.%N)
timeout -k 5 60 "$MQLB" bench run -p 19160 --pubs 4 --subs 20 --rate 10000000 --duration 8 -q 0 -i 0 \
	--threads 1 --drain 3 --quiet --json "$tmp/sat.json" >"$tmp/sat.txt" 2>&1
t1=$(date +%s.%N)
b1=$(ticks "$bpid")
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')
# check JSON N: "" when the run connected N clients without errors, else why
check() { /usr/bin/python3 -c 'import json,sys
try: d = json.load(open(sys.argv[1]))
except Exception: print("no JSON"); sys.exit()
n = int(sys.argv[2])
print("" if d["connections_ok"] == n and not d["errors"] else "%d of %d connected, errors %s" % (d["connections_ok"], n, d["errors"]))' "$@"; }
why=$(check "$tmp/sat.json" 24)
if [ -n "$why" ]; then
	echo "saturation run failed its checks ($why): no figure"
	cat "$tmp/sat.txt"
else
	bcpu=$(awk -v a="$b0" -v b="$b1" -v hz="$hz" -v w="$wall" 'BEGIN{printf "%.0f", (b - a) / hz / w * 100}')
	mcpu=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.0f" % ((d["cpu_user_s"]+d["cpu_sys_s"]) / float(sys.argv[2]) * 100))' "$tmp/sat.json" "$wall")
	echo "broker CPU ${bcpu}% of a core, mqlb CPU ${mcpu}% of a core over ${wall%.*} s wall"
	echo "published $(jget "$tmp/sat.json" published) ($(jget "$tmp/sat.json" publish_rate) msg/s), received $(jget "$tmp/sat.json" received) ($(jget "$tmp/sat.json" receive_rate) msg/s), lost $(jget "$tmp/sat.json" lost), late $(jget "$tmp/sat.json" late) (a 3 s drain after a flood: late is expected)"
	ratio=$(awk -v m="$mcpu" -v b="$bcpu" 'BEGIN{printf "%.2f", ((b > 0) ? m / b : 0)}')
	echo "mqlb/broker CPU ratio: ${ratio}x (target: broker ~100 %, mqlb <= 50 %)"
fi
kill "$bpid"

echo "== 10,000 concurrent connections to one Mosquitto"
broker 19161
timeout -k 5 90 "$MQLB" bench conn -p 19161 -c 10000 -i 0 --duration 3 --connect-timeout 30 --threads 1 \
	--quiet --json "$tmp/conn.json" >"$tmp/conn.txt" 2>&1
why=$(check "$tmp/conn.json" 10000)
if [ -n "$why" ]; then
	echo "10,000 connections failed its checks ($why): no figure"
	grep -E 'error' "$tmp/conn.txt" | head -5
	exit 1
fi
okc=$(jget "$tmp/conn.json" connections_ok)
rss=$(jget "$tmp/conn.json" rss_bytes)
echo "connections ok $okc, failed $(jget "$tmp/conn.json" connections_failed), connect rate $(jget "$tmp/conn.json" connect_rate)/s"
echo "mqlb RSS $((rss / 1024)) KiB = $(awk -v r="$rss" -v n="$okc" 'BEGIN{printf "%.2f", ((n > 0) ? r / 1024 / n : 0)}') KiB per connection (target <= 16 KiB)"
timeout -k 5 30 "$MQLB" bench conn -p 19161 -c 1 --duration 1 --threads 1 --quiet --json "$tmp/one.json" >/dev/null 2>&1
base=$(jget "$tmp/one.json" rss_bytes)
echo "marginal: ($((rss / 1024)) - $((base / 1024)) KiB baseline) / $okc = $(awk -v r="$rss" -v b="$base" -v n="$okc" 'BEGIN{printf "%.2f", ((n > 0) ? (r - b) / 1024 / n : 0)}') KiB per connection"
grep -E 'error' "$tmp/conn.txt" | head -5
