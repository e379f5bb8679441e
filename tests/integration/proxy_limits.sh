#!/usr/bin/env bash
# Limits and timeouts of the proxy at the edge (loopback, ports 19860-19869, no
# root), a real mosquitto behind it:
#   - hostile: 2000 silent and 500 slow (a CONNECT one byte every 300 ms) connections
#     against --max-connections 600 --max-pending 100: a normal client still
#     connects during the flood, the oldest CONNECT-less connections are
#     closed and counted (pending_evicted), and the director's RSS stays under
#     the cap the man page documents; the same flood without --max-pending
#     locks the normal client out (the contrast: the limit is what helps);
#   - --max-conns-per-source 3: a 4th and 5th connection of one address are
#     refused, another address is not; --connect-rate-per-source 10/s: a burst
#     of 10, then refusals, then room again a second later;
#   - --idle-timeout 2s closes a keepalive-0 tunnel with no client bytes (not
#     before 2 s), a client that pings stays; --client-fin-timeout 2s closes a
#     half-closed tunnel whose broker keeps its half open (a scripted peer).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto mosquitto_pub $PY

start_mosquitto 19861 "max_connections -1" || exit 1
px_start lim 127.0.0.1:19860 --backend 127.0.0.1:19861 --threads 2 --health-interval 0 \
	--max-connections 600 --max-pending 100 || exit 1
LPID=$PX_PID
px_start nolim 127.0.0.1:19862 --backend 127.0.0.1:19861 --threads 2 --health-interval 0 \
	--max-connections 600 || exit 1
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
rej() { px_get "$1" "j['proxy']['rejects']['$2']"; }

flood() { # flood PORT: 2000 silent + 500 slow connections for 6 s, in the background
	$PY - "$1" >"$T_TMP/flood.$1" 2>&1 <<'PYEOF' &
import resource, socket, sys, time
port = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
silent, slow, failed = [], [], 0
t0 = time.time()
for i in range(2500):
    try:
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        (slow if i % 5 == 0 else silent).append(s)
    except OSError:
        failed += 1
print("opened", len(silent) + len(slow), "failed", failed, flush=True)
n = 0
while time.time() - t0 < 6:
    for s in slow:
        try:
            s.send(b"\x10\x7f" if n == 0 else b"\x00")  # a 129-byte CONNECT, byte by byte
        except OSError:
            pass
    n += 1
    time.sleep(0.3)
print("done", flush=True)
PYEOF
	FLOOD=$!
	track $FLOOD
}
normal() { # normal PORT: 3 sessions during the flood; prints how many worked
	local k ok=0
	for k in 1 2 3; do
		timeout 5 mosquitto_pub -h 127.0.0.1 -p "$1" -i "normal-$k" -t lim/n -m x -q 1 >/dev/null 2>&1 &&
			ok=$((ok + 1))
		sleep 0.5
	done
	echo $ok
}

rss0=$(rss_kib $LPID)
flood 19860
for ((k = 0; k < 100; k++)); do grep -q opened "$T_TMP/flood.19860" && break; sleep 0.05; done
peak=0
(for ((k = 0; k < 40; k++)); do rss_kib $LPID; sleep 0.1; done) >"$T_TMP/rss" &
RS=$!
got=$(normal 19860)
wait $RS
peak=$(sort -n "$T_TMP/rss" | tail -1)
diag "flood: $(head -1 "$T_TMP/flood.19860"); RSS $rss0 KiB idle, $peak KiB peak"
is "$got" 3 "--max-pending 100: 3 of 3 normal sessions during a flood of 2500 silent/slow connections"
cmp_ok "$(rej lim pending_evicted)" -ge 1500 "the oldest CONNECT-less connections made room (pending_evicted $(rej lim pending_evicted))"
cmp_ok "$(px_get lim "j['proxy']['pending']")" -le 100 "never more than 100 pending"
# the cap of mqlb-director(1) LIMITS: 2 KiB per pending connection (its state,
# the 512-byte first buffer, malloc's share) + 64 KiB per forwarding one + the
# pools (64 x 32 KiB a thread); 4 MiB for the rest of a small heap's churn
cap=$((rss0 + 100 * 2 + 3 * 64 + 2 * 64 * 32 + 4096))
cmp_ok "$peak" -le "$cap" "peak RSS $peak KiB <= documented cap $cap KiB"
wait $FLOOD

flood 19862
for ((k = 0; k < 100; k++)); do grep -q opened "$T_TMP/flood.19862" && break; sleep 0.05; done
got=$(normal 19862)
cmp_ok "$got" -le 1 "without --max-pending the same flood locks normal clients out ($got of 3)"
cmp_ok "$(rej nolim limit)" -ge 1000 "... refused as limit ($(rej nolim limit))"
wait $FLOOD

# ---- per source ----
px_start src 127.0.0.1:19863 --backend 127.0.0.1:19861 --threads 2 --health-interval 0 \
	--max-conns-per-source 3 --connect-rate-per-source 10/s || exit 1
sessions() { # sessions SRC N HOLD: N CONNECTs from SRC, prints how many got a CONNACK
	$PY - "$@" <<'PYEOF'
import socket, sys, time
src, n, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
body = b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x02ps"
ok, keep = 0, []
for i in range(n):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", 19863))
        s.sendall(bytes([0x10, len(body)]) + body)
        if s.recv(4)[:1] == b"\x20":
            ok += 1
    except OSError:
        pass
    keep.append(s)
    if hold == 0:
        s.close()
time.sleep(hold)
print(ok)
PYEOF
}
is "$(sessions 127.0.0.5 5 0.5)" 3 "--max-conns-per-source 3: 3 of 5 held connections of one address answered"
is "$(rej src source_conns)" 2 "the other 2 counted as source_conns"
ok "... and logged" grep -q "client 127.0.0.5:[0-9]* refused: source_conns" "$T_TMP/src.log"
is "$(sessions 127.0.0.6 3 0)" 3 "another address is not affected"
got=$(sessions 127.0.0.7 25 0)
cmp_ok "$got" -ge 10 "--connect-rate-per-source 10/s: a burst of 25 gets at least 10 ($got)"
cmp_ok "$got" -le 13 "... and not many more than 10"
cmp_ok "$(rej src source_rate)" -ge 12 "the rest counted as source_rate"
sleep 1.2
is "$(sessions 127.0.0.7 5 0)" 5 "a second later the address connects again"

# ---- timeouts ----
# a broker that keeps its half open after the client's FIN (mosquitto closes)
$PY - >"$T_TMP/peer.out" 2>&1 <<'PYEOF' &
import socket, threading
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 19865))
l.listen(16)
def serve(c):
    c.recv(1024)
    c.sendall(b"\x20\x02\x00\x00")
    while c.recv(1024):
        pass
    threading.Event().wait(20)  # EOF read: keep our half open
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
track $!
wait_port 127.0.0.1 19865 5
px_start to 127.0.0.1:19864 --backend 127.0.0.1:19861 --health-interval 0 --idle-timeout 2s || exit 1
px_start fin 127.0.0.1:19866 --backend 127.0.0.1:19865 --health-interval 0 --client-fin-timeout 2s || exit 1
life() { # life PORT KEEPALIVE PING HALFCLOSE: seconds until the proxy closed (max 8)
	$PY - "$@" <<'PYEOF'
import socket, sys, time
port, ka, ping, half = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1"
body = b"\x00\x04MQTT\x04\x02" + ka.to_bytes(2, "big") + b"\x00\x02lt"
s = socket.create_connection(("127.0.0.1", port))
s.sendall(bytes([0x10, len(body)]) + body)
s.settimeout(0.2)
t0 = time.time(); ack = s.recv(4); last = time.time()
if half:
    s.shutdown(socket.SHUT_WR)
while time.time() - t0 < 8:
    if ping and time.time() - last >= ping:
        s.sendall(b"\xc0\x00")
        last = time.time()
    try:
        d = s.recv(64)
        if not d:
            break
    except socket.timeout:
        pass
    except OSError:
        break
print("%.1f" % (time.time() - t0))
PYEOF
}
t=$(life 19864 0 0 0)
cmp_ok "${t%.*}" -ge 2 "--idle-timeout 2s: a keepalive-0 tunnel without client bytes closes, not before 2 s ($t s)"
cmp_ok "${t%.*}" -lt 4 "... and not much later"
is "$(px_get to "j['proxy']['timeouts']['idle']")" 1 "counted in timeouts.idle"
t=$(life 19864 0 0.5 0)
is "$t" 8.0 "a client that sends a PINGREQ every 0.5 s stays (8 s)"
t=$(life 19866 0 0 1)
cmp_ok "${t%.*}" -ge 2 "--client-fin-timeout 2s: a half-closed tunnel closes after 2 s ($t s)"
cmp_ok "${t%.*}" -lt 4 "... not much later"
is "$(px_get fin "j['proxy']['timeouts']['client_fin']")" 1 "counted in timeouts.client_fin"

for f in "--max-pending 0" "--max-conns-per-source x" "--connect-rate-per-source 5/m" "--idle-timeout 0" "--client-fin-timeout 2d"; do
	out=$("$MQLB" director run --dataplane proxy --listen 127.0.0.1:19869 --backend 127.0.0.1:19861 $f 2>&1)
	is "$?" 2 "bad value $f: exit 2 ($(head -1 <<<"$out"))"
done
done_testing
