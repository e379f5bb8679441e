#!/usr/bin/python3
"""bench_relay.py — a TCP relay between mqlb bench and a broker that cuts every
connection when told to, the way a broker crash or a broken link does, and then
refuses new connections for a while. Used by bench_reconnect.sh.

  bench_relay.py LISTEN_PORT UPSTREAM_PORT --events FILE [--down S] [--max-seconds S]

On SIGUSR1: stops listening, closes every relayed connection (both sides), stays
down --down seconds (connects are refused: nothing listens), listens again, and
appends "cut CLOSED DOWN_MS" to FILE (DOWN_MS: from the last close to listening
again, measured). Bounded: exits after --max-seconds.
"""
import argparse
import selectors
import signal
import socket
import time


def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(256)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("upstream", type=int)
    ap.add_argument("--events", required=True)
    ap.add_argument("--down", type=float, default=2.0)
    ap.add_argument("--max-seconds", type=float, default=120)
    a = ap.parse_args()
    cut = []
    signal.signal(signal.SIGUSR1, lambda *_: cut.append(1))
    signal.signal(signal.SIGTERM, lambda *_: exit(0))
    sel = selectors.DefaultSelector()
    lst = listener(a.port)
    sel.register(lst, selectors.EVENT_READ, None)
    peer = {}  # socket -> the other end
    open(a.events, "a").close()
    print("listening", flush=True)

    def drop(s):
        for x in (s, peer.get(s)):
            if x is not None and x in peer:
                sel.unregister(x)
                del peer[x]
                x.close()

    end = time.monotonic() + a.max_seconds
    while time.monotonic() < end:
        if cut:
            cut.clear()
            sel.unregister(lst)
            lst.close()
            n = len(peer) // 2
            for s in list(peer):
                drop(s)
            t0 = time.monotonic()
            time.sleep(a.down)
            lst = listener(a.port)
            sel.register(lst, selectors.EVENT_READ, None)
            with open(a.events, "a") as f:
                f.write("cut %d %d\n" % (n, (time.monotonic() - t0) * 1000))
            continue
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            if s is lst:
                c, _ = lst.accept()
                try:
                    u = socket.create_connection(("127.0.0.1", a.upstream), timeout=2)
                except OSError:
                    c.close()
                    continue
                for x, y in ((c, u), (u, c)):
                    peer[x] = y
                    sel.register(x, selectors.EVENT_READ, None)
                continue
            if s not in peer:
                continue
            try:
                data = s.recv(65536)
                if data:
                    peer[s].sendall(data)
                    continue
            except OSError:
                pass
            drop(s)


if __name__ == "__main__":
    main()
