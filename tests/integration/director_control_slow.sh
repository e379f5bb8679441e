#!/usr/bin/env bash
# director_control_slow.sh — the director's control socket on the event loop
# (issue 14, item 5; director.h): one absolute deadline per connection
# (DIRECTOR_CTL_DEADLINE_NS = 2 s from accept to the last byte) and at most 8
# open. The old server read each client on the controller thread with a 1 s
# receive timeout restarted on every byte, so a client dripping one byte every
# 100 ms held it for 25 s. Here: two drippers + four idle clients, then
# `director status` from another client answers at once, a broker killed
# during the drip shows DOWN on time, the drippers are cut at 2 s; and with 8
# idle clients (the cap) a request waits in the backlog until they are cut.
# Loopback, ports 19790-19794, no root.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../drip.bash"
need mosquitto python3
start_mosquitto 19790 || exit 1
start_mosquitto 19791 || exit 1
KILLME=$MOSQ_PID
SOCK=$T_TMP/ctl.sock
"$MQLB" director run --dataplane proxy --name dh-slow --control "$SOCK" --listen 127.0.0.1:19792 \
	--backend 127.0.0.1:19790 --backend 127.0.0.1:19791 --health-interval 200ms \
	--health-timeout 100ms --health-fall 1 --health-rise 1 >"$T_TMP/dir.log" 2>&1 &
DPID=$!
track $DPID
for _ in $(seq 100); do "$MQLB" director check --control "$SOCK" >/dev/null 2>&1 && break; sleep 0.05; done
ok "the director answers" "$MQLB" director check --control "$SOCK"

timeout 60 python3 - "$SOCK" "$KILLME" >"$T_TMP/res" 2>&1 <<'PY'
import json, os, signal, socket, sys, threading, time
from drip import drip as drip_sock, idle as idle_sock
path, victim = sys.argv[1], int(sys.argv[2])

class Out(dict):  # each result printed as soon as it is known, one line at a time
    lock = threading.Lock()

    def __setitem__(self, k, v):
        super().__setitem__(k, v)
        line = "%s %s\n" % (k, "%.3f" % v if isinstance(v, float) else json.dumps(v).replace(" ", ""))
        with self.lock:
            sys.stdout.write(line)
            sys.stdout.flush()

out = Out()

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def drip(name, gap):  # one byte per gap, never a newline, until cut (at most 8 s)
    out[name] = drip_sock(conn(), gap, b"s" * 200)

def idle(name):  # connects, sends nothing, waits to be cut (at most 8 s)
    out[name] = idle_sock(conn())

def status():  # -> (seconds, json or None)
    t0 = time.monotonic()
    try:
        s = conn()
        s.settimeout(8)
        s.sendall(b"status\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        return time.monotonic() - t0, json.loads(data)
    except Exception:
        return time.monotonic() - t0, None

def healthy(j):
    return [b["healthy"] for b in j["backends"]] if j else None

ts = [threading.Thread(target=drip, args=("drip100ms", 0.1)),
      threading.Thread(target=drip, args=("drip1s", 1.0))]
ts += [threading.Thread(target=idle, args=("idle%d" % k,)) for k in range(4)]
for t in ts:
    t.start()
time.sleep(0.4)
secs, j = status()
out["status_s"] = secs
out["before"] = healthy(j)
os.kill(victim, signal.SIGKILL)
t_kill = time.monotonic()
down_at, worst = None, 0.0
while time.monotonic() - t_kill < 1.5:
    secs, j = status()
    worst = max(worst, secs)
    if j and healthy(j) == [True, False]:
        down_at = time.monotonic() - t_kill
        break
    time.sleep(0.05)
out["status_max_s"] = worst
out["down_after_s"] = down_at
for t in ts:
    t.join()
# the cap: 8 idle clients, then one request waits until they are cut
ts = [threading.Thread(target=idle, args=("cap%d" % k,)) for k in range(8)]
for t in ts:
    t.start()
time.sleep(0.3)
secs, j = status()
out["capped_status_s"] = secs
out["capped_ok"] = j is not None
for t in ts:
    t.join()
PY
sed 's/^/# /' "$T_TMP/res"
r() { awk -v k="$1" '$1 == k {v = $2} END {print v}' "$T_TMP/res"; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a != "null" && a + 0 < b + 0) }'; }
between() { awk -v a="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(a != "" && a + 0 >= lo && a + 0 <= hi) }'; }
is "$(r before)" "[true,true]" "both backends healthy before"
ok "status answered while 2 clients drip and 4 idle ($(r status_s) s < 0.5)" lt "$(r status_s)" 0.5
ok "every status during the drip answered promptly (max $(r status_max_s) s < 0.5)" lt "$(r status_max_s)" 0.5
ok "a killed broker shows DOWN in status within 1 s ($(r down_after_s) s)" lt "$(r down_after_s)" 1.0
ok "the 100 ms dripper is cut at the 2 s deadline ($(r drip100ms) s)" between "$(r drip100ms)" 1.7 2.6
ok "the 1 s dripper is cut at the 2 s deadline ($(r drip1s) s)" between "$(r drip1s)" 1.7 2.6
ok "an idle client is cut at the 2 s deadline ($(r idle0) s)" between "$(r idle0)" 1.7 2.6
ok "8 idle clients (the cap): a request waits for them to be cut ($(r capped_status_s) s, 1.2-2.6)" \
	between "$(r capped_status_s)" 1.2 2.6
is "$(r capped_ok)" "true" "and is answered once they are cut"
ok "the director is still running" grep -q '^[RS]' <(awk '{print $3}' /proc/$DPID/stat 2>/dev/null)

# every refusal counted by reason in status (control.rejects)
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b'x' * 300); s.recv(100)" "$SOCK"
cj() { "$MQLB" director status --json --control "$SOCK" | python3 -c "import json,sys; c=json.load(sys.stdin)['control']; print($1)"; }
is "$(cj "c['rejects']['timed_out']")" 14 "status: control.rejects.timed_out 14 (2 drippers, 4 + 8 idle)"
is "$(cj "c['rejects']['bad_request']")" 1 "status: control.rejects.bad_request 1 (300 bytes, no newline)"
ok "status: control.full counts the pauses at 8 open ($(cj "c['full']"))" test "$(cj "c['full']")" -ge 1
done_testing
