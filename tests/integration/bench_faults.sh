#!/usr/bin/env bash
# Faults never crash mqlb bench: refused connections, a fake broker sending
# garbage, CONNACK refusals by reason, a broker that dies mid-run (with
# --reconnect), and bad flags (exit 2 with a message naming the flag).
. "$(dirname "$0")/../lib.sh"
need mosquitto
jget() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$1" "$2"; }
errs() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join("%s=%d" % (k, v) for k, v in sorted(d["errors"].items())))' "$1"; }

# 1. nothing listens
"$MQLB" bench run -p 19130 --pubs 1 --subs 2 -L 10 --quiet --json "$T_TMP/refused.json" \
	>/dev/null 2>"$T_TMP/refused.err"
is "$?" 1 "refused: exit 1 (nothing connected), no crash"
is "$(errs "$T_TMP/refused.json")" "connect_refused=3" "refused: counted by reason"
is "$(jget "$T_TMP/refused.json" connections_failed)" 3 "refused: 3 connections failed"

# 2. a fake broker answers CONNECT with garbage
/usr/bin/python3 - <<'PY' &
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 19131)); s.listen(16); s.settimeout(20)
kinds = [b"\x20\x02\x00\x00\xff\xff\xff\xff\xff",  # v5 CONNACK too short, then junk
         b"\x00\x00",                              # reserved packet type 0
         b"\x30\xff\xff\xff\xff\x7f"]              # remaining length of 5 bytes
i = 0
try:
    while True:
        c, _ = s.accept(); c.recv(1000); c.sendall(kinds[i % 3]); i += 1
        time.sleep(0.05); c.close()
except Exception:
    pass
PY
track $!
wait_port 127.0.0.1 19131 5
"$MQLB" bench run -p 19131 --pubs 1 --subs 2 -L 10 --quiet --json "$T_TMP/garbage.json" \
	>"$T_TMP/garbage.txt" 2>&1
rc=$?
cmp_ok "$rc" -le 1 "garbage: exits normally (rc $rc), no crash"
sed 's/^/# /' "$T_TMP/garbage.txt" | grep error
cmp_ok "$(errs "$T_TMP/garbage.json" | grep -o 'malformed' | wc -l)" -ge 2 \
	"garbage: malformed packets counted by reason ($(errs "$T_TMP/garbage.json"))"

# 3. CONNACK refusals, by reason code name, MQTT 5 and 3.1.1
start_mosquitto 19132 "allow_anonymous false" || exit 1
"$MQLB" bench conn -p 19132 -c 3 --duration 1 --quiet --json "$T_TMP/auth5.json" >/dev/null 2>&1
ok "connack 5.0: 'Not authorized (0x87)' x3" grep -q '"connack: Not authorized (0x87)":3' "$T_TMP/auth5.json"
"$MQLB" bench conn -p 19132 -c 2 -V 4 --duration 1 --quiet --json "$T_TMP/auth4.json" >/dev/null 2>&1
ok "connack 3.1.1: return code 5 x2" grep -q '"connack: Connection Refused, not authorized (0x05)":2' "$T_TMP/auth4.json"

# 4. the broker dies mid-run and comes back: --reconnect resubscribes, the run
#    finishes, the loss meanwhile is counted (unique + lost == expected)
start_mosquitto 19133 || exit 1
"$MQLB" bench run -p 19133 --pubs 2 --subs 5 -I 20 --duration 5 -q 1 -F 5 --reconnect \
	--connect-timeout 1 --drain 3 --quiet --json "$T_TMP/reconn.json" >"$T_TMP/reconn.txt" 2>&1 &
bpid=$!
track $bpid
sleep 1.5
kill "$MOSQ_PID"
sleep 1
start_mosquitto 19133 || exit 1
wait $bpid
is "$?" 0 "reconnect: bench run exits 0"
sed 's/^/# /' "$T_TMP/reconn.txt"
cmp_ok "$(jget "$T_TMP/reconn.json" reconnects)" -ge 7 "reconnect: every client reconnected"
e=$(jget "$T_TMP/reconn.json" expected)
u=$(jget "$T_TMP/reconn.json" unique)
l=$(jget "$T_TMP/reconn.json" lost)
is "$((u + l))" "$e" "reconnect: unique + lost == expected ($u + $l)"
cmp_ok "$u" -gt 0 "reconnect: messages flowed ($u unique)"
# Each of the 7 lost connections is counted with its cause: broker_closed (FIN)
# or socket_error (RST: mosquitto exits with unread bytes in a socket, and the
# kernel then resets instead of closing; which one a client sees is a race).
closed=$(/usr/bin/python3 -c 'import json,sys; e=json.load(open(sys.argv[1])).get("errors",{}); print(e.get("broker_closed",0)+e.get("socket_error",0))' "$T_TMP/reconn.json")
cmp_ok "$closed" -ge 7 "reconnect: the broker's closing is counted for every client (broker_closed + socket_error)"

# 5. bad flags: exit 2, one line naming the flag
for bad in "-q 3" "-V 3" "-s 10" "--pubs x" "-p 0" "--bogus" "-h not-an-address" "-I 5 --rate 9"; do
	# shellcheck disable=SC2086
	"$MQLB" bench run $bad >/dev/null 2>"$T_TMP/bad.err"
	rc=$?
	is "$rc" 2 "bad flags '$bad': exit 2"
	flag=${bad%% *}
	ok "bad flags '$bad': message names $flag" grep -q -- "$flag" "$T_TMP/bad.err"
done
"$MQLB" bench walk >/dev/null 2>&1
is "$?" 2 "unknown mode: exit 2"
"$MQLB" bench run --help | grep -q -- '--pubs'
is "$?" 0 "--help on stdout, exit 0"
done_testing
