#!/usr/bin/env python3
"""capture_proxy.py: a Kafka-protocol TCP proxy that records every frame.

Usage:
    capture_proxy.py --upstream HOST:PORT --out DIR [--listen HOST:PORT]

Prints `listening HOST:PORT` on stdout once ready; point a client's
bootstrap.servers there. Every request frame a client sends and every response
frame the broker returns is written verbatim (4-byte size + payload) to
DIR/NNNNN-cCC-<Api>-v<N>.req.bin / .resp.bin, and DIR/frames.jsonl gets one
line per frame (connection, api, version, correlation id, client id, size).

Brokers advertise their own address in Metadata (and FindCoordinator)
responses; the proxy rewrites those addresses to its own listener so every
connection the client opens crosses it. Any broker id maps to the one
upstream address, so use a single-broker cluster. A .resp.bin holds the frame
as the client received it (rewritten); the broker's original is kept as
.resp.orig.bin when it differs. Requests with acks=0 get no response.
Runs until killed (SIGTERM/SIGINT).
"""
import argparse
import asyncio
import json
import os
import signal
import struct
import sys

API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit",
             9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
             13: "LeaveGroup", 14: "SyncGroup", 17: "SaslHandshake", 18: "ApiVersions",
             19: "CreateTopics", 22: "InitProducerId", 24: "AddPartitionsToTxn", 26: "EndTxn",
             32: "DescribeConfigs", 36: "SaslAuthenticate", 60: "DescribeCluster", 71: "GetTelemetrySubscriptions", 72: "PushTelemetry",
             68: "ConsumerGroupHeartbeat"}
# First version with flexible (compact, tagged) encoding, per API key.
FLEXIBLE_FROM = {0: 9, 3: 9, 10: 3, 18: 3, 22: 2}


class Reader:
    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def take(self, n):
        chunk = self.data[self.pos:self.pos + n]
        if len(chunk) != n:
            raise ValueError("truncated frame")
        self.pos += n
        return chunk

    def i16(self): return struct.unpack(">h", self.take(2))[0]
    def i32(self): return struct.unpack(">i", self.take(4))[0]

    def uvarint(self):
        shift = value = 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    def string(self, flexible):
        n = self.uvarint() - 1 if flexible else self.i16()
        return None if n < 0 else self.take(n).decode()

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def uvarint(n):
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def enc_string(s, flexible):
    if s is None:
        return uvarint(0) if flexible else struct.pack(">h", -1)
    b = s.encode()
    return (uvarint(len(b) + 1) if flexible else struct.pack(">h", len(b))) + b


def rewrite_metadata(payload, version, host, port):
    """Return the Metadata response payload with every broker at host:port."""
    flex = version >= FLEXIBLE_FROM[3]
    r = Reader(payload, 4)  # after correlation id
    if flex:
        r.skip_tags()  # response header v1
    if version >= 3:
        r.i32()  # throttle_time_ms
    head = payload[:r.pos]
    count = r.uvarint() - 1 if flex else r.i32()
    out = bytearray(head)
    out += uvarint(count + 1) if flex else struct.pack(">i", count)
    for _ in range(max(count, 0)):
        node = r.i32()
        r.string(flex)
        r.i32()
        out += struct.pack(">i", node) + enc_string(host, flex) + struct.pack(">i", port)
        if version >= 1:
            out += enc_string(r.string(flex), flex)  # rack
        if flex:
            start = r.pos
            r.skip_tags()
            out += payload[start:r.pos]
    return bytes(out + payload[r.pos:])


def rewrite_find_coordinator(payload, version, host, port):
    flex = version >= FLEXIBLE_FROM[10]
    r = Reader(payload, 4)
    if flex:
        r.skip_tags()
    if version >= 1:
        r.i32()
    if version >= 4:  # batched coordinators: leave alone (not used by producers)
        return payload
    r.i16()
    if version >= 1:
        r.string(flex)
    head = payload[:r.pos]
    node = r.i32()
    r.string(flex)
    r.i32()
    return head + struct.pack(">i", node) + enc_string(host, flex) + struct.pack(">i", port) + payload[r.pos:]


def produce_acks(payload, version):
    """acks of a Produce request (payload starts at api key)."""
    r = Reader(payload, 8)
    r.string(False)  # client id (never compact)
    if version >= FLEXIBLE_FROM[0]:
        r.skip_tags()
    if version >= 3:
        r.string(version >= FLEXIBLE_FROM[0])  # transactional id
    return r.i16()


class Capture:
    def __init__(self, args):
        self.up_host, self.up_port = args.upstream.rsplit(":", 1)
        self.out = args.out
        self.seq = 0
        self.conns = 0
        self.listen_host = self.listen_port = None
        os.makedirs(self.out, exist_ok=True)
        self.index = open(os.path.join(self.out, "frames.jsonl"), "a")

    def write(self, conn, api, version, kind, frame, extra):
        self.seq += 1
        name = f"{self.seq:05d}-c{conn:02d}-{API_NAMES.get(api, f'Api{api}')}-v{version}.{kind}.bin"
        with open(os.path.join(self.out, name), "wb") as f:
            f.write(frame)
        self.index.write(json.dumps(dict(file=name, conn=conn, api=api, version=version, kind=kind,
                                         size=len(frame), **extra)) + "\n")
        self.index.flush()
        return name

    async def handle(self, creader, cwriter):
        self.conns += 1
        conn = self.conns
        try:
            ureader, uwriter = await asyncio.open_connection(self.up_host, int(self.up_port))
        except OSError as e:
            print(f"connection {conn}: upstream {self.up_host}:{self.up_port} unreachable: {e}", file=sys.stderr)
            cwriter.close()
            return
        pending = {}

        async def requests():
            while True:
                size = await creader.readexactly(4)
                payload = await creader.readexactly(struct.unpack(">i", size)[0])
                api, version, corr = struct.unpack(">hhi", payload[:8])
                client_id = Reader(payload, 8).string(False)
                extra = dict(correlation_id=corr, client_id=client_id)
                if api == 0:
                    extra["acks"] = produce_acks(payload, version)
                name = self.write(conn, api, version, "req", size + payload, extra)
                if not (api == 0 and extra["acks"] == 0):
                    pending[corr] = (api, version, name)
                uwriter.write(size + payload)
                await uwriter.drain()

        async def responses():
            while True:
                size = await ureader.readexactly(4)
                payload = await ureader.readexactly(struct.unpack(">i", size)[0])
                corr = struct.unpack(">i", payload[:4])[0]
                api, version, req_name = pending.pop(corr, (-1, -1, None))
                sent = payload
                if api == 3:
                    sent = rewrite_metadata(payload, version, self.listen_host, self.listen_port)
                elif api == 10:
                    sent = rewrite_find_coordinator(payload, version, self.listen_host, self.listen_port)
                frame = struct.pack(">i", len(sent)) + sent
                name = self.write(conn, api, version, "resp", frame, dict(correlation_id=corr, request=req_name))
                if sent != payload:
                    with open(os.path.join(self.out, name.replace(".resp.bin", ".resp.orig.bin")), "wb") as f:
                        f.write(size + payload)
                cwriter.write(frame)
                await cwriter.drain()

        tasks = [asyncio.ensure_future(requests()), asyncio.ensure_future(responses())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in tasks:
            t.cancel()
            if t.done() and not t.cancelled() and t.exception() and \
                    not isinstance(t.exception(), (asyncio.IncompleteReadError, ConnectionError)):
                print(f"connection {conn}: {t.exception()!r}", file=sys.stderr)
        for w in (cwriter, uwriter):
            w.close()


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="the broker, HOST:PORT")
    p.add_argument("--out", required=True, help="directory for the captured frames")
    p.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT to listen on (default: any free port)")
    args = p.parse_args()
    cap = Capture(args)
    host, port = args.listen.rsplit(":", 1)
    server = await asyncio.start_server(cap.handle, host, int(port))
    cap.listen_host, cap.listen_port = server.sockets[0].getsockname()[:2]
    print(f"listening {cap.listen_host}:{cap.listen_port}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
