# tests/drip.bash — hostile clients for the tests of servers with deadlines
# (the director's control socket, the monitor's /metrics): a Python module,
# drip.py, on PYTHONPATH for the test's python3 heredocs. Sourced after
# tests/lib.sh (it writes under $T_TMP).
#   drip(sock, gap, data, limit=8): sends data one byte per gap (never a
#       newline is the caller's choice), reading in between, until the server
#       closes or limit seconds pass; returns the seconds it was kept
#   idle(sock, limit=8): sends nothing; returns the seconds until it was cut
#   scrape(host, port, limit=5): GET /metrics HTTP/1.0 on a new connection,
#       read to the end; returns (seconds from before the connect, body)
mkdir -p "$T_TMP/py"
cat >"$T_TMP/py/drip.py" <<'PY'
import socket, time

def drip(s, gap, data, limit=8):
    t0 = time.monotonic()
    s.settimeout(gap)
    for i in range(len(data)):
        try:
            s.send(data[i:i + 1])
            if s.recv(1) == b"":
                break
        except socket.timeout:
            continue
        except OSError:
            break
        if time.monotonic() - t0 > limit:
            break
    return time.monotonic() - t0

def idle(s, limit=8):
    t0 = time.monotonic()
    s.settimeout(limit)
    try:
        s.recv(1)
    except OSError:
        pass
    return time.monotonic() - t0

def scrape(host, port, limit=5):
    t0 = time.monotonic()
    s = socket.create_connection((host, port))
    s.settimeout(limit)
    s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    body = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        body += b
    return time.monotonic() - t0, body
PY
export PYTHONPATH="$T_TMP/py${PYTHONPATH:+:$PYTHONPATH}"
