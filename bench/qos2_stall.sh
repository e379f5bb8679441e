#!/usr/bin/env bash
# bench/qos2_stall.sh — the QoS 2 "stall" of Mosquitto 2.0.11 on ONE broker, no
# bridges: 240 publishers + 240 subscribers, burst 6,000 at QoS 2, -I 500, as the
# lab's headline point (docs/findings/2026-11-24-qos2-stall.md), and the
# workarounds against it. Per run it prints the loss, how long the run took, and
# if the bench is still running 35 s in (publishing ends at ~17 s) the broker's
# unread receive queue on the subscriber sockets (ss Recv-Q: 4-byte
# PUBREC/PUBCOMP packets the broker has not read yet) and whether it changes.
#
#   bench/qos2_stall.sh [VARIANT...]   (default: all)   RUNS=3 per variant
#   VARIANT: v5 (defaults) | v4 (bench -V 4) | inflight1 (max_inflight_messages 1)
#            | inflight0 (max_inflight_messages 0) | F20 (publishers -F 20)
# All brokers use max_queued_messages 0 (nothing is dropped: any loss is a stall
# that outlasted bench's 25 s quiet drain). Port 19651; not part of make check.
set -u
MQLB=${MQLB:-$(cd "$(dirname "$0")/.." && pwd)/mqlb}
RUNS=${RUNS:-3}
PORT=19651
VARIANTS=("$@")
[ ${#VARIANTS[@]} -eq 0 ] && VARIANTS=(v5 v4 inflight1 inflight0 F20)
command -v mosquitto >/dev/null || { echo "SKIP: mosquitto not installed"; exit 0; }
T=$(mktemp -d /tmp/mqlb-bench-qos2.XXXXXX)
MP=
BP=
cleanup() {
	[ -n "$BP" ] && kill "$BP" 2>/dev/null
	[ -n "$MP" ] && kill "$MP" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# sum and max of Recv-Q over the broker's established sockets
recvq() { ss -tn state established "( sport = :$PORT )" | awk 'NR>1{s+=$1; if($1>m)m=$1} END{printf "%d %d", s, m}'; }

echo "mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p' | head -1); $(nproc) cores; $RUNS runs per variant"
printf '%-10s %3s %9s %8s %8s %s\n' variant run lost loss% secs "at 35 s: Recv-Q sum/max bytes (3 s later)"
for v in "${VARIANTS[@]}"; do
	conf="$T/$v.conf"
	printf 'listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' "$PORT" >"$conf"
	extra=()
	case $v in
	v5) ;;
	v4) extra=(-V 4) ;;
	inflight1) echo "max_inflight_messages 1" >>"$conf" ;;
	inflight0) echo "max_inflight_messages 0" >>"$conf" ;;
	F20) extra=(-F 20) ;;
	*) echo "unknown variant $v" >&2; exit 2 ;;
	esac
	for r in $(seq 1 "$RUNS"); do
		mosquitto -c "$conf" >"$T/m.log" 2>&1 &
		MP=$!
		for _ in $(seq 1 50); do ss -ltn "( sport = :$PORT )" | grep -q LISTEN && break; sleep 0.1; done
		start=$(date +%s.%N)
		timeout 200 "$MQLB" bench run -p "$PORT" --pubs 240 --subs 240 -L 6000 -I 500 -q 2 \
			--drain 25 --quiet "${extra[@]}" --json "$T/r.json" >/dev/null 2>"$T/b.err" &
		BP=$!
		q=
		for _ in $(seq 1 35); do kill -0 "$BP" 2>/dev/null || break; sleep 1; done
		if kill -0 "$BP" 2>/dev/null; then
			q="$(recvq | tr ' ' /)"
			sleep 3
			q="$q ($(recvq | tr ' ' /))"
		fi
		wait "$BP"
		BP=
		secs=$(echo "$(date +%s.%N) - $start" | bc)
		lost=$(grep -o '"lost":[0-9]*' "$T/r.json" | cut -d: -f2)
		ratio=$(grep -o '"loss_ratio":[0-9.e+-]*' "$T/r.json" | cut -d: -f2)
		printf '%-10s %3d %9s %7.2f%% %8.1f %s\n' "$v" "$r" "${lost:-?}" "$(echo "${ratio:-0} * 100" | bc -l)" "$secs" "$q"
		kill "$MP" 2>/dev/null
		wait "$MP" 2>/dev/null
		MP=
	done
done
