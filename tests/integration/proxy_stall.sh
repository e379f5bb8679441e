#!/usr/bin/env bash
# A peer that does not read (issue 13): once a tunnel is up, the proxy resets
# it when one side has taken no byte for --stall-timeout (its kernel send
# queue stayed full), counts it in status (proxy.timeouts.client_stalled) and
# keeps serving the others. Loopback ports 19960-19961, real mosquitto:
#   - a subscriber to a busy topic with a 1 KiB SO_RCVBUF that never reads
#     (proxy_stall.py) is reset within --stall-timeout 2s (+ margin) of the
#     stream filling its queue; counted once as client_stalled;
#   - a normal subscriber on the same topic through the same proxy gets every
#     one of the 20000 x 1 KiB messages (20 MB: more than the kernel's
#     buffers on the way hold); a new client connects afterwards;
#   - the director's RSS stays under 64 MiB;
#   - with --stall-timeout 0 the same client stays open (the check can fail).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto mosquitto_pub mosquitto_sub $PY

N=20000
start_mosquitto 19960 "max_queued_messages 0" || exit 1
# one round: PROXY-ARGS...; sets STALL (proxy_stall.py's last line) and GOT
round() {
	px_start st 127.0.0.1:19961 --backend 127.0.0.1:19960 "$@" || exit 1
	$PY "$PX_DIR/proxy_stall.py" 19961 e5/busy 20 >"$T_TMP/stall.out" 2>&1 &
	local spid=$! k
	track $spid
	for ((k = 0; k < 100; k++)); do grep -q subscribed "$T_TMP/stall.out" && break; sleep 0.05; done
	timeout 60 mosquitto_sub -h 127.0.0.1 -p 19961 -i e5-reader -t e5/busy -C $N -W 50 \
		>"$T_TMP/sub.out" 2>&1 &
	local rpid=$!
	track $rpid
	sleep 0.5
	# N messages of 1 KiB, QoS 0, straight to the broker (bounded: N lines)
	$PY -c "import sys; sys.stdout.write(('x' * 1000 + '\\n') * $N)" >"$T_TMP/lines"
	timeout 60 mosquitto_pub -h 127.0.0.1 -p 19960 -i e5-busy -t e5/busy -l <"$T_TMP/lines"
	wait $rpid
	GOT=$(grep -c '^x' "$T_TMP/sub.out")
	wait $spid
	STALL=$(tail -1 "$T_TMP/stall.out")
	RSS=$(awk '/^VmRSS/ {print $2}' /proc/$PX_PID/status)
}

round --stall-timeout 2s
secs=${STALL#closed }
ok "the client that never reads is reset ('$STALL')" test "${STALL%% *}" = closed
ok "... within 2 s + margin of its queue filling (${secs}s <= 15)" awk -v s="$secs" 'BEGIN{exit !(s+0 <= 15)}'
is "$(px_get st "j['proxy']['timeouts']['client_stalled']")" 1 "status: proxy.timeouts.client_stalled 1"
is "$(px_get st "j['proxy']['timeouts']['backend_stalled']")" 0 "status: proxy.timeouts.backend_stalled 0"
is "$(px_get st "j['proxy']['stall_timeout_ms']")" 2000 "status: proxy.stall_timeout_ms 2000"
is "$GOT" $N "a normal subscriber through the same proxy got all $N messages"
ok "a new client connects afterwards" mosquitto_pub -h 127.0.0.1 -p 19961 -i e5-after -t x -m y
cmp_ok "$RSS" -lt 65536 "the director's RSS stays bounded (${RSS} KiB < 64 MiB)"
is "$(px_get st "j['proxy']['open_connections']")" 0 "no connection left open"
kill $PX_PID
wait $PX_PID 2>/dev/null

round --stall-timeout 0
is "$STALL" open "with --stall-timeout 0 the same client stays open (20 s)"
kill $PX_PID
out=$("$MQLB" director run --dataplane proxy --listen 127.0.0.1:19962 --backend 127.0.0.1:19960 \
	--stall-timeout 50ms --control "$T_TMP/bad.sock" 2>&1)
is "$?" 2 "--stall-timeout 50ms: exit 2 ($(head -1 <<<"$out"))"
done_testing
