#!/usr/bin/env bash
# The monitor counts a director's refusals by reason (issue 13: "every refusal
# counted by reason in status and the monitor"): a real proxy director with
# --max-conns-per-source 2 refuses the 3rd to 5th sessions of one address
# (source_conns) and a non-MQTT client of another address (not_mqtt) while mqlb monitor samples
# it. director.csv gets refused (the total) and refused_by_reason
# (reason=N;... for every member of the status JSON's proxy.rejects, in its
# order, then every other part's rejects as part.reason, e.g.
# control.timed_out), equal to what the director itself says; /metrics gets
# mqlb_director_refused_total{director,reason}. Loopback, ports 19540-19543.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need mosquitto $PY

start_mosquitto 19541 || exit 1
px_start ref 127.0.0.1:19540 --backend 127.0.0.1:19541 --health-interval 0 \
	--max-conns-per-source 2 || exit 1
O="$T_TMP/out"
mkdir -p "$T_TMP/run"
"$MQLB" monitor --out "$O" --run-dir "$T_TMP/run" --director "$T_TMP/ref.sock" --interval 200ms \
	--duration 4 --prometheus 127.0.0.1:19542 2>"$T_TMP/mon.err" &
MON=$!
track $MON
wait_port 127.0.0.1 19542 10
# 5 sessions of 127.0.0.1 held open (2 accepted, 3 refused), then one client
# that does not speak MQTT; prints how many got a CONNACK that accepts
$PY - <<'PYEOF' >"$T_TMP/clients"
import socket, time
def conn(src):
    s = socket.socket()
    s.settimeout(2)
    s.bind((src, 0))
    s.connect(("127.0.0.1", 19540))
    return s
body = b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x02rf"
ok, keep = 0, []
for i in range(5):
    try:  # a refused one may be reset at once
        s = conn("127.0.0.1")
        keep.append(s)
        s.sendall(bytes([0x10, len(body)]) + body)
        a = s.recv(4)
        ok += len(a) == 4 and a[3] == 0
    except OSError:
        pass
try:  # another address: not over its limit, refused for what it sends
    s = conn("127.0.0.2")
    keep.append(s)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    s.recv(16)
except OSError:
    pass
time.sleep(1.0)
print(ok)
PYEOF
is "$(cat "$T_TMP/clients")" 2 "the director accepts 2 sessions of one address"
# /metrics while the monitor still samples (the director's counts are final now)
sleep 0.5
metrics=$($PY -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:19542/metrics", timeout=3).read().decode())' 2>&1)
wait $MON
is "$?" 0 "monitor --duration 4 exits 0"
json=$(px_json ref)
# the director's own count: proxy.rejects by name, then every other part's
# rejects (control: the control socket) as part.reason
reasons() {
	$PY -c '
import json, sys
j = json.load(sys.stdin)
r = list(j["proxy"]["rejects"].items())
for k, v in j.items():
    if k != "proxy" and isinstance(v, dict) and isinstance(v.get("rejects"), dict):
        r += [(k + "." + n, c) for n, c in v["rejects"].items()]
print(sum(c for _, c in r) if sys.argv[1] == "total" else ";".join("%s=%d" % x for x in r))' "$1" <<<"$json"
}
want_total=$(reasons total)
want_reasons=$(reasons list)
diag "director: refused $want_total: $want_reasons"
cmp_ok "$want_total" -ge 4 "the director counts 4 refusals or more (3 source_conns, 1 not_mqtt)"
head1=$(head -1 "$O/director.csv")
ok "director.csv header ends with refused,refused_by_reason" grep -q ',error,refused,refused_by_reason$' <<<"$head1"
last=$(tail -1 "$O/director.csv")
col() { awk -F, -v h="$head1" -v n="$1" 'BEGIN {k = split(h, c, ","); for (i = 1; i <= k; i++) if (c[i] == n) f = i} {print $f}' <<<"$last"; }
is "$(col refused)" "$want_total" "director.csv refused: the director's total"
is "$(col refused_by_reason)" "$want_reasons" "director.csv refused_by_reason: every reason of its status, in its order"
ok "  source_conns=3 among them" grep -q '\(^\|;\)source_conns=3\(;\|$\)' <<<"$(col refused_by_reason)"
ok "  not_mqtt=1 among them" grep -q '\(^\|;\)not_mqtt=1\(;\|$\)' <<<"$(col refused_by_reason)"
# the refusals grew during the run: an early row counts fewer than the last
first=$(awk -F, 'NR == 2 {print $18}' "$O/director.csv")
cmp_ok "${first:-x}" -lt "$want_total" "an early row counts fewer refusals ($first) than the last"
ok "/metrics: mqlb_director_refused_total by reason" grep -q "^mqlb_director_refused_total{director=\"$T_TMP/ref.sock\",reason=\"source_conns\"} 3\$" <<<"$metrics"
nr=$(grep -c '^mqlb_director_refused_total{' <<<"$metrics")
is "$nr" "$(tr ';' '\n' <<<"$want_reasons" | wc -l)" "/metrics: one series per reason the director counts"
done_testing
