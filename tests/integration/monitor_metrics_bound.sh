# The /metrics server's bounds with real sockets and no cluster (the monitor
# watches a director that is not there): a request line longer than the 2 KiB
# request buffer is answered as soon as the buffer is full (the server never
# reads more; 64 KiB sent), a client that sends a byte every 0.5 s is cut at
# the 2 s deadline, and a scrape made while it drips is answered at once.
# (monitor_csv.sh does the same deadline and the connection cap against a
# real cluster.) Port 19561.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../drip.bash"
need python3
PORT=19561
"$MQLB" monitor --out "$T_TMP/o" --run-dir "$T_TMP/none" --director "$T_TMP/nodir.sock" \
	--interval 200ms --duration 8 --prometheus 127.0.0.1:$PORT 2>"$T_TMP/mon.err" &
MON=$!
track $MON
wait_port 127.0.0.1 $PORT 10 || { echo "not ok 1 - /metrics listens"; exit 1; }
timeout 20 python3 - 127.0.0.1 $PORT >"$T_TMP/out" 2>&1 <<'PY'
import socket, sys, threading, time
import drip as dripper
host, port = sys.argv[1], int(sys.argv[2])
out = {}
def huge():
    s = socket.create_connection((host, port))
    t0 = time.monotonic()
    s.settimeout(5)
    req = b"GET /metrics " + b"a" * 65536  # no end of line
    threading.Thread(target=lambda: s.sendall(req), daemon=True).start()
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass  # a reset after the answer: the server closed with our bytes unread
    out["huge_s"] = time.monotonic() - t0
    out["huge_status"] = got.split(b"\r\n", 1)[0].decode(errors="replace").replace(" ", "_")
def drip():
    s = socket.create_connection((host, port))
    out["drip_s"] = dripper.drip(s, 0.5, b"GET /metrics HTTP/1.0" * 4)  # never an end of line
def scrape():
    time.sleep(1.0)
    out["scrape_s"], body = dripper.scrape(host, port)
    out["scrape_ok"] = int(b"mqlb_monitor_samples_total" in body)
ts = [threading.Thread(target=f) for f in (huge, drip, scrape)]
for t in ts:
    t.start()
for t in ts:
    t.join()
for k, v in sorted(out.items()):
    print(k, "%.3f" % v if isinstance(v, float) else v)
PY
diag "$(tr '\n' ' ' <"$T_TMP/out")"
val() { awk -v k="$1" '$1 == k {print $2}' "$T_TMP/out"; }
is "$(val huge_status)" "HTTP/1.0_200_OK" "64 KiB request line: answered from its first 2 KiB"
v=$(val huge_s)
ok "  at once, not at the deadline (${v:-never} s < 1.5)" awk -v v="${v:-99}" 'BEGIN {exit !(v < 1.5)}'
v=$(val drip_s)
ok "a byte every 0.5 s: cut at the 2 s deadline (${v:-never} s)" awk -v v="${v:-99}" 'BEGIN {exit !(v >= 1.8 && v <= 3.5)}'
is "$(val scrape_ok)" 1 "a scrape while it drips gets the exposition"
v=$(val scrape_s)
ok "  at once (${v:-never} s < 1.5)" awk -v v="${v:-99}" 'BEGIN {exit !(v < 1.5)}'
wait $MON
is "$?" 0 "the monitor ends cleanly"
done_testing
