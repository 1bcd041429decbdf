#!/usr/bin/env python3
"""kafka_dump.py: decode captured Produce request frames into JSON.

Usage:
    kafka_dump.py FILE.req.bin...        one JSON document per file on stdout

Decodes the request header, acks, timeout, transactional id and, for each
topic/partition, every RecordBatch (magic 2): base offset, attributes
(codec, transactional, control), producer id/epoch, base sequence, timestamps,
and every record (offset delta, timestamp, key, value, headers; bytes shown as
text when printable UTF-8, else as {"hex": ...}), plus how the compressed
payload is framed (gzip; snappy raw or xerial-framed; lz4 frame descriptor
flags; zstd frame header). Needs `cramjam` for snappy/lz4/zstd.
Non-Produce frames are shown as header only. An independent check of what the
codec must accept, not a second codec: keep it simple.
"""
import gzip
import json
import struct
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from capture_proxy import API_NAMES, FLEXIBLE_FROM, Reader  # noqa: E402

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
XERIAL = b"\x82SNAPPY\x00"


def show(b):
    if b is None:
        return None
    try:
        s = b.decode()
        if s.isprintable():
            return s
    except UnicodeDecodeError:
        pass
    return {"hex": b.hex()} if len(b) <= 64 else {"hex_prefix": b[:32].hex(), "len": len(b)}


def varint(r):
    n = r.uvarint()
    return (n >> 1) ^ -(n & 1)


def vbytes(r):
    n = varint(r)
    return None if n < 0 else r.take(n)


def decompress(codec, data):
    import cramjam
    info = {}
    if codec == 1:
        info["framing"] = "gzip"
        return gzip.decompress(data), info
    if codec == 2:
        if data.startswith(XERIAL):
            info["framing"] = "xerial snappy (java-style chunks)"
            r, out = Reader(data, 16), b""
            while r.pos < len(data):
                out += bytes(cramjam.snappy.decompress_raw(r.take(r.i32())))
            return out, info
        info["framing"] = "raw snappy block"
        return bytes(cramjam.snappy.decompress_raw(data)), info
    if codec == 3:
        flg, bd = data[4], data[5]
        info["framing"] = "lz4 frame"
        info["lz4_magic"] = data[:4].hex()
        info["lz4_flags"] = dict(version=flg >> 6, block_independent=bool(flg & 0x20),
                                 block_checksum=bool(flg & 0x10), content_size=bool(flg & 0x08),
                                 content_checksum=bool(flg & 0x04), block_max_size_id=(bd >> 4) & 7)
        return bytes(cramjam.lz4.decompress(data)), info
    if codec == 4:
        info["framing"] = "zstd frame"
        info["zstd_frame_header_descriptor"] = data[4]
        return bytes(cramjam.zstd.decompress(data)), info
    return data, info


def record_batch(data):
    r = Reader(data)
    base_offset, length = struct.unpack(">qi", r.take(12))
    leader_epoch, magic = r.i32(), r.take(1)[0]
    if magic != 2:
        return {"magic": magic, "note": "legacy MessageSet, not decoded", "bytes": len(data)}, len(data)
    crc = struct.unpack(">I", r.take(4))[0]
    attrs = r.i16()
    last_delta = r.i32()
    first_ts, max_ts, pid = struct.unpack(">qqq", r.take(24))
    epoch, base_seq, count = r.i16(), r.i32(), r.i32()
    payload = data[r.pos:12 + length]
    plain, info = decompress(attrs & 7, payload)
    recs, rr = [], Reader(plain)
    for _ in range(count):
        varint(rr)  # record length
        rr.take(1)  # record attributes
        ts_delta, off_delta = varint(rr), varint(rr)
        key, value = vbytes(rr), vbytes(rr)
        headers = []
        for _ in range(varint(rr)):
            hk = rr.take(varint(rr)).decode()
            headers.append([hk, show(vbytes(rr))])
        recs.append(dict(offset_delta=off_delta, timestamp=first_ts + ts_delta, key=show(key),
                         value=show(value), value_len=None if value is None else len(value), headers=headers))
    batch = dict(magic=2, base_offset=base_offset, batch_length=length, partition_leader_epoch=leader_epoch,
                 crc=f"{crc:08x}", codec=CODECS.get(attrs & 7, attrs & 7),
                 timestamp_type="LogAppendTime" if attrs & 8 else "CreateTime",
                 transactional=bool(attrs & 16), control=bool(attrs & 32), last_offset_delta=last_delta,
                 first_timestamp=first_ts, max_timestamp=max_ts, producer_id=pid, producer_epoch=epoch,
                 base_sequence=base_seq, record_count=count, compressed_bytes=len(payload), **info,
                 records=recs)
    return batch, 12 + length


def produce(payload):
    api, version, corr = struct.unpack(">hhi", payload[:8])
    flex = version >= FLEXIBLE_FROM[0]
    r = Reader(payload, 8)
    doc = dict(api="Produce", version=version, correlation_id=corr, client_id=r.string(False))
    if flex:
        r.skip_tags()
    if version >= 3:
        doc["transactional_id"] = r.string(flex)
    doc["acks"], doc["timeout_ms"] = r.i16(), r.i32()
    arr = (lambda: r.uvarint() - 1) if flex else r.i32
    doc["topics"] = []
    for _ in range(arr()):
        topic = dict(name=r.string(flex), partitions=[])
        for _ in range(arr()):
            part = dict(partition=r.i32())
            n = r.uvarint() - 1 if flex else r.i32()
            data = r.take(n) if n >= 0 else b""
            part["batches"], pos = [], 0
            while pos < len(data):
                batch, used = record_batch(data[pos:])
                part["batches"].append(batch)
                pos += used
            if flex:
                r.skip_tags()
            topic["partitions"].append(part)
        if flex:
            r.skip_tags()
        doc["topics"].append(topic)
    return doc


def dump(path):
    frame = open(path, "rb").read()
    payload = frame[4:]
    api, version, corr = struct.unpack(">hhi", payload[:8])
    if path.endswith(".req.bin") and api == 0:
        return produce(payload)
    if path.endswith(".req.bin"):
        return dict(api=API_NAMES.get(api, api), version=version, correlation_id=corr,
                    client_id=Reader(payload, 8).string(False), size=len(frame))
    return dict(response=True, correlation_id=struct.unpack(">i", payload[:4])[0], size=len(frame))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        print(json.dumps(dict(file=p, **dump(p)), indent=1))
