# mqlb cluster probe (src/mqtt/probe.c) against real sockets: an accepted
# CONNACK, a refused one (reason named), a closed port, a silent listener (the
# deadline holds), and $SYS values read through one subscription.
. "$(dirname "$0")/../lib.sh"
need mosquitto
start_mosquitto 18871
start_mosquitto 18872 "allow_anonymous false" "password_file /dev/null"
out=$("$MQLB" cluster probe 127.0.0.1:18871 --sys '$SYS/broker/version' --sys '$SYS/broker/clients/connected'); rc=$?
is "$rc" 0 "probe of a live broker exits 0"
ok "CONNACK accepted" grep -q "CONNACK accepted" <<<"$out"
ok "\$SYS version read" grep -q '^$SYS/broker/version mosquitto version' <<<"$out"
ok "\$SYS clients/connected is a number" grep -qE '^\$SYS/broker/clients/connected [0-9]+$' <<<"$out"
out=$("$MQLB" cluster probe 127.0.0.1:18872); rc=$?
is "$rc" 1 "refused CONNACK exits 1"
ok "and names the reason" grep -q "not authorized (return code 5)" <<<"$out"
out=$("$MQLB" cluster probe 127.0.0.1:18873); rc=$?
is "$rc" 1 "closed port exits 1"
ok "and says connection refused" grep -qi "connection refused" <<<"$out"
# a listener that accepts but never answers: the deadline must hold
/usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 18874)); s.listen(8); time.sleep(20)' &
track $!
wait_port 127.0.0.1 18874 5
start=$(date +%s%N)
out=$("$MQLB" cluster probe 127.0.0.1:18874 --timeout 300ms); rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc" 1 "silent listener exits 1"
ok "and says timed out" grep -q "waiting for CONNACK: timed out" <<<"$out"
cmp_ok "$ms" -ge 300 "the probe waited the full 300 ms"
cmp_ok "$ms" -lt 1500 "deadline of 300 ms holds (took $ms ms including process start)"
"$MQLB" cluster probe nohost >/dev/null 2>&1; rc=$?
is "$rc" 2 "bad address exits 2"
done_testing
