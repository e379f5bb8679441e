"""peers_tool.py — the tests' side of the --peers datagram (src/director/peers.h):
a listed peer with or without the key, a stranger forging version 1 and 2
datagrams, and a bounded flooder. Used by director_peers_auth.sh.

  peers_tool.py scenario --sock CTL --listen ADDR:PORT --as ADDR:PORT --key FILE
                         --backends A,B
      plays the listed peer (binds --as) and strangers against the director whose
      control socket is CTL; prints "name value" lines for the shell to check.
  peers_tool.py flood --to ADDR:PORT[,...] --seconds S --max N
      sends 4 KB datagrams (valid v1 text, v2 shaped with a bad MAC) from a
      stranger port until S seconds or N datagrams; prints "sent N".
"""
import argparse
import hashlib
import hmac
import json
import socket
import sys
import time


def addr(s):
    h, p = s.rsplit(":", 1)
    return (h, int(p))


def v1(name, boot, seq, counts):
    lines = ["MQLBPEER 1 %s %016x %d" % (name, boot, seq)]
    lines += ["%s %d" % (b, c) for b, c in counts]
    return ("\n".join(lines) + "\n").encode()


def v2(name, boot, seq, counts, key):
    body = ["MQLBPEER 2 %s %016x %d" % (name, boot, seq)]
    body += ["%s %d" % (b, c) for b, c in counts]
    body = ("\n".join(body) + "\n").encode()
    mac = hmac.new(key, body, hashlib.sha256).hexdigest()
    return body + ("MAC %s\n" % mac).encode()


def status(sock_path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(sock_path)
    s.sendall(b"status\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    return json.loads(data)


def view(sock_path):
    j = status(sock_path)["proxy"]
    names = sorted(p["name"] for p in j["peers"])
    return j, names


def scenario(a):
    key = open(a.key, "rb").read().strip()
    backends = a.backends.split(",")
    to = addr(a.listen)
    me = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    me.bind(addr(a.as_))
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger.bind(("127.0.0.1", 0))
    boot = time.time_ns()
    out = []

    def settle():
        time.sleep(0.05)

    def say(k, v):
        out.append("%s %s" % (k, v))

    # 1. a stranger's forged reports (v1 as the old code read them, v2 unsigned)
    stranger.sendto(v1("evil", 7, 1, [(backends[0], 5), (backends[1], 5)]), to)
    stranger.sendto(v2("evil2", 7, 1, [(backends[0], 5), (backends[1], 5)], b"guess"), to)
    settle()
    j, names = view(a.sock)
    say("forged_names", ",".join(names) or "-")
    say("forged_global", ",".join(map(str, j["global_active"])))
    # 2. the listed peer with the key
    good = v2("pb", boot, 1, [(backends[0], 3), (backends[1], 4)], key)
    me.sendto(good, to)
    settle()
    j, names = view(a.sock)
    say("signed_names", ",".join(names) or "-")
    say("signed_global", ",".join(map(str, j["global_active"])))
    # 3. name takeover and seq = UINT64_MAX from a stranger, then the peer goes on
    big = 2**64 - 1
    stranger.sendto(v1("pb", boot + 1, big, [(backends[0], 100), (backends[1], 100)]), to)
    stranger.sendto(v1("pb", boot, big, [(backends[0], 100), (backends[1], 100)]), to)
    stranger.sendto(v2("pb", boot + 1, big, [(backends[0], 100)], b"not-the-key-at-all"), to)
    settle()
    j, names = view(a.sock)
    say("takeover_global", ",".join(map(str, j["global_active"])))
    me.sendto(v2("pb", boot, 2, [(backends[0], 6), (backends[1], 7)], key), to)
    settle()
    j, names = view(a.sock)
    say("after_maxseq_global", ",".join(map(str, j["global_active"])))
    # 4. the listed address without the key, and a replay of seq 1
    me.sendto(v2("pb", boot, 3, [(backends[0], 50), (backends[1], 50)], b"wrong-key-wrong-key"), to)
    me.sendto(good, to)
    settle()
    j, names = view(a.sock)
    say("badkey_replay_global", ",".join(map(str, j["global_active"])))
    say("rx_bad_mac", j.get("peers_rx_bad_mac", "none"))
    say("rx_replay", j.get("peers_rx_replay", "none"))
    # 5. overflow: counts that wrap a 64-bit sum (strangers, v1), and one above the
    # cap from the listed peer with the key
    stranger.sendto(v1("ov1", 9, 1, [(backends[0], big), (backends[1], big)]), to)
    stranger.sendto(v1("ov2", 9, 1, [(backends[0], 2), (backends[1], 2)]), to)
    me.sendto(v2("pb", boot, 4, [(backends[0], 10000001), (backends[1], 1)], key), to)
    settle()
    j, names = view(a.sock)
    say("overflow_global", ",".join(map(str, j["global_active"])))
    say("overflow_names", ",".join(names) or "-")
    say("rx_stranger", j.get("peers_rx_stranger", "none"))
    print("\n".join(out))


def flood(a):
    tos = [addr(t) for t in a.to.split(",")]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setblocking(False)
    # short lines: as many as fit, each one a parse for a receiver that reads them
    lines = ["1.%d.%d.%d:1 1" % (i // 65536 % 256, i // 256 % 256, i % 256) for i in range(400)]
    body = "MQLBPEER 1 flood 0000000000000001 1\n" + "\n".join(lines) + "\n"
    d1 = body.encode()[:4000]
    d1 = d1[: d1.rfind(b"\n") + 1]
    d2 = d1.replace(b"MQLBPEER 1", b"MQLBPEER 2") + b"MAC " + b"0" * 64 + b"\n"
    end = time.monotonic() + a.seconds
    n = 0
    r = 0
    while n < a.max and time.monotonic() < end:
        r += 1
        for t in tos:  # every target gets both kinds, in turn
            try:
                s.sendto(d1 if r & 1 else d2, t)
                n += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
    print("sent %d" % n)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sc = sub.add_parser("scenario")
    sc.add_argument("--sock", required=True)
    sc.add_argument("--listen", required=True)
    sc.add_argument("--as", dest="as_", required=True)
    sc.add_argument("--key", required=True)
    sc.add_argument("--backends", required=True)
    fl = sub.add_parser("flood")
    fl.add_argument("--to", required=True)
    fl.add_argument("--seconds", type=float, default=4)
    fl.add_argument("--max", type=int, default=3000000)
    a = p.parse_args()
    scenario(a) if a.cmd == "scenario" else flood(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
