# SIGHUP, the reload signal of every daemon (systemctl reload, logrotate),
# must not stop a director: it logs that it is still serving, keeps answering
# its control socket and keeps passing clients; SIGTERM still stops it.
# Loopback ports 19730-19731.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_pub
start_mosquitto 19731 || exit 1
"$MQLB" director run --name hup --control "$T_TMP/hup.sock" --listen 127.0.0.1:19730 \
	--backend 127.0.0.1:19731 --dataplane proxy >"$T_TMP/d.log" 2>&1 &
DPID=$!
track $DPID
for ((k = 0; k < 100; k++)); do
	"$MQLB" director status --control "$T_TMP/hup.sock" >/dev/null 2>&1 && break
	sleep 0.05
done
kill -HUP $DPID
sleep 0.5
st=$(awk '{print $3}' /proc/$DPID/stat 2>/dev/null)
ok "after SIGHUP the director is still running (state '$st')" test -n "$st" -a "$st" != Z
ok "after SIGHUP the director still answers status" \
	sh -c "'$MQLB' director status --control '$T_TMP/hup.sock' >/dev/null"
ok "after SIGHUP a client still passes" mosquitto_pub -h 127.0.0.1 -p 19730 -t hup -m x
ok "the log says it is still serving" grep -q 'Hangup: .*still serving' "$T_TMP/d.log"
kill -TERM $DPID
wait $DPID
is "$?" 0 "SIGTERM still stops it, exit 0"
done_testing
