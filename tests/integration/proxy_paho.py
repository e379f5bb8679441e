#!/usr/bin/python3
"""proxy_paho.py — a real MQTT client (Eclipse Paho 1.6, Debian's python3-paho-mqtt)
for the proxy tests. Every wait is bounded.

  proxy_paho.py reconnect HOST PORT ID CONNECTS TIMEOUT
      persistent session (clean_session=False), auto-reconnect; prints
      "connect rc=R session_present=S" per connection, exits 0 after CONNECTS
      connections (1 if TIMEOUT seconds pass first). Prints "up" after the first.
  proxy_paho.py flow HOST PORT N QOS SIZE [v5]
      a subscriber and a publisher on the same connection-pair path; publishes N
      messages of SIZE bytes at QOS, prints "received R of N" (exit 0 if R == N).
"""
import sys
import threading
import time

import paho.mqtt.client as mqtt


def reconnect(host, port, cid, want, timeout):
    n = [0]
    done = threading.Event()

    def on_connect(c, u, flags, rc):
        n[0] += 1
        print("connect rc=%d session_present=%d" % (rc, flags.get("session present", 0)), flush=True)
        if n[0] == 1:
            print("up", flush=True)
        if n[0] >= want:
            done.set()

    c = mqtt.Client(client_id=cid, clean_session=False)
    c.on_connect = on_connect
    c.reconnect_delay_set(min_delay=1, max_delay=1)
    c.connect_async(host, port, keepalive=5)
    c.loop_start()
    ok = done.wait(timeout)
    c.disconnect()
    c.loop_stop()
    return 0 if ok else 1


def flow(host, port, n, qos, size, v5):
    proto = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
    got = [0]
    subscribed = threading.Event()
    all_in = threading.Event()

    def on_message(c, u, m):
        if len(m.payload) == size:
            got[0] += 1
        if got[0] >= n:
            all_in.set()

    sub = mqtt.Client(client_id="flow-sub", protocol=proto)
    sub.on_message = on_message
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.connect(host, port, keepalive=30)
    sub.subscribe("px/flow", qos=qos)
    sub.loop_start()
    if not subscribed.wait(10):
        print("no SUBACK")
        return 1
    pub = mqtt.Client(client_id="flow-pub", protocol=proto)
    pub.max_inflight_messages_set(20)
    pub.connect(host, port, keepalive=30)
    pub.loop_start()
    payload = bytes((i % 251 for i in range(size)))
    infos = [pub.publish("px/flow", payload, qos=qos) for _ in range(n)]
    deadline = time.time() + 30
    for i in infos:
        i.wait_for_publish(max(0.1, deadline - time.time()))
    all_in.wait(max(0.1, deadline - time.time()))
    pub.disconnect()
    sub.disconnect()
    pub.loop_stop()
    sub.loop_stop()
    print("received %d of %d" % (got[0], n), flush=True)
    return 0 if got[0] == n else 1


def main():
    m = sys.argv[1]
    if m == "reconnect":
        return reconnect(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]),
                         float(sys.argv[6]))
    if m == "flow":
        return flow(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
                    int(sys.argv[6]), len(sys.argv) > 7 and sys.argv[7] == "v5")
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
