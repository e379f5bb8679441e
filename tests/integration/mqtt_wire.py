"""mqtt_wire.py — the few MQTT framing helpers the tests' scripted peers
share (qos2_stall.py, proxy_raw.py, bench_receive_max.sh): the Remaining
Length varint and a whole packet from a type byte and a body."""


def varint(n):
    """MQTT variable byte integer (1-4 bytes) of n."""
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(kind, body):
    """Fixed header (type/flags byte kind, Remaining Length) + body."""
    return bytes([kind]) + varint(len(body)) + body
