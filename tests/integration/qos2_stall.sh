# tests/integration/qos2_stall.sh — the mechanism behind the QoS 2 "stall" of
# `mqlb lab search` (docs/findings/2026-11-24-qos2-stall.md), small, on a real
# Mosquitto: the broker's outgoing in-flight window for queued messages. One
# subscriber (tests/integration/qos2_stall.py) that leaves QoS 2 messages
# unacknowledged, 100 QoS 2 messages published to it:
# - max_inflight_messages 20 (the default): 20 PUBLISH arrive, then the
#   subscriber completes ONLY the first one. A window of 20 allows exactly one
#   more; Mosquitto 2.0.11 sends 20 more (db__message_delete_outgoing counts
#   only the in-flight messages before the acknowledged one, none when it is
#   the oldest, and moves up to 20 queued messages into flight each time). At
#   scale this floods each subscriber with PUBLISH whose PUBREC/PUBCOMP the
#   broker then reads one per socket per loop pass: the stall (bench/qos2_stall.sh).
#   If this check fails the broker keeps its window: re-run the bench and
#   update the README part.
# - max_inflight_messages 0 (the workaround): nothing is queued, all 100 are
#   sent before any acknowledgement.
# Both with MQTT 3.1.1 and 5.0 (the bug is not version specific). Port 19652.
source "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_pub
PY=/usr/bin/python3
PORT=19652
SUB="$(dirname "$0")/qos2_stall.py"

# run_case INFLIGHT VERSION -> prints "N1 N2 FIRST MAX" of the subscriber
run_case() {
	local conf="$T_TMP/m$1.conf" out="$T_TMP/sub$1-$2.out" ready="$T_TMP/ready$1-$2" mp sp
	printf 'listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages %d\n' \
		"$PORT" "$1" >"$conf"
	mosquitto -c "$conf" >"$T_TMP/m$1-$2.log" 2>&1 &
	mp=$!
	track "$mp"
	for _ in $(seq 1 50); do ss -ltn "( sport = :$PORT )" | grep -q LISTEN && break; sleep 0.1; done
	rm -f "$ready"
	timeout 30 "$PY" "$SUB" "$PORT" qos2stall/t "$2" "$ready" >"$out" 2>"$T_TMP/sub.err" &
	sp=$!
	for _ in $(seq 1 50); do [ -e "$ready" ] && break; sleep 0.1; done
	seq 1 100 | timeout 20 mosquitto_pub -p "$PORT" -q 2 -t qos2stall/t -l
	wait "$sp"
	kill "$mp" 2>/dev/null
	wait "$mp" 2>/dev/null
	cat "$out"
	[ -s "$out" ] || sed 's/^/# sub: /' "$T_TMP/sub.err" >&2
}

for v in 4 5; do
	read -r n1 n2 first max <<<"$(run_case 20 "$v")"
	diag "MQTT $v, max_inflight_messages 20: $n1 PUBLISH unacknowledged, then $n2 more after completing 1 (mids $first..$max)"
	is "${n1:-}" 20 "MQTT $v inflight 20: the first window is 20 messages"
	cmp_ok "${n2:-0}" -gt 1 \
		"MQTT $v inflight 20: completing 1 of 20 lets more than 1 more out (the window leaks: $((${n1:-0} - 1 + ${n2:-0})) in flight)"

	read -r n1 n2 first max <<<"$(run_case 0 "$v")"
	diag "MQTT $v, max_inflight_messages 0: $n1 PUBLISH before any acknowledgement"
	is "${n1:-}" 100 "MQTT $v inflight 0: all 100 sent at once, nothing queued behind a PUBCOMP"
done
done_testing
