"""records.py: the known record set every producer sends, and its manifest.

Record i of run R from client C (the Go producer builds the same set):
  id         R-C-iiiiii, always the first header `sw-id`, and the value's prefix
             `id|` when the value has room
  key        i%4: 0 null, 1 empty, 2/3 b"key-<i%7>"
  value      i%6: 0 null, 1 empty, else id|<bytes 0..255 repeated> of
             40, 200, 1500 or 4096 bytes (binary: every byte value occurs)
  headers    sw-id, then i%3: 0 nothing, 1 h=1,h=2 (a repeated name),
             2 empty=b"", null=None, bin=00 ff 0a
  timestamp  i%5 == 4: left to the client (None); else 1700000000000 + i*1000
Manifest lines are JSON with bytes as base64 (None stays null).
"""
import base64
import json

SIZES = {2: 40, 3: 200, 4: 1500, 5: 4096}
BASE_TS = 1700000000000


def record(run, client, i):
    rid = f"{run}-{client}-{i:06d}"
    key = None if i % 4 == 0 else b"" if i % 4 == 1 else f"key-{i % 7}".encode()
    if i % 6 == 0:
        value = None
    elif i % 6 == 1:
        value = b""
    else:
        prefix = rid.encode() + b"|"
        value = (prefix + bytes(range(256)) * 17)[:SIZES[i % 6]]
    extra = [[], [("h", b"1"), ("h", b"2")], [("empty", b""), ("null", None), ("bin", b"\x00\xff\n")]][i % 3]
    headers = [("sw-id", rid.encode())] + extra
    ts = None if i % 5 == 4 else BASE_TS + i * 1000
    return dict(id=rid, key=key, value=value, headers=headers, timestamp=ts)


def b64(b):
    return None if b is None else base64.b64encode(b).decode()


def unb64(s):
    return None if s is None else base64.b64decode(s)


class Manifest:
    """JSON lines: one per record, written when the client's outcome is known."""

    def __init__(self, path, **common):
        self.f = open(path, "w")
        self.common = common

    def write(self, rec, acked, error=None, partition=None, offset=None):
        line = dict(self.common, id=rec["id"], key=b64(rec["key"]), value=b64(rec["value"]),
                    headers=[[k, b64(v)] for k, v in rec["headers"]], timestamp=rec["timestamp"],
                    acked=acked, error=error, partition=partition, offset=offset)
        self.f.write(json.dumps(line) + "\n")
        self.f.flush()

    def close(self):
        self.f.close()


def common_args(parser):
    parser.add_argument("--bootstrap", required=True, help="HOST:PORT producers connect to")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--codec", default="none", choices=["none", "gzip", "snappy", "lz4", "zstd"])
    parser.add_argument("--acks", default="all", choices=["0", "1", "all"])
    parser.add_argument("--idempotent", action="store_true", help="idempotent producer (needs acks=all)")
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--run", required=True, help="run id embedded in every record id")
    parser.add_argument("--manifest", required=True, help="JSON-lines manifest to write")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for acknowledgements")
    return parser


def kcat_record(run, i):
    """The kcat flavour: kcat reads text lines, so keys and values are text
    without newlines or ':'. With -Z an empty value goes out as NULL, but so
    does an empty key, and an empty line (NULL key and value) is skipped: so
    keys are NULL (i%4 0, 1) or b"key-<i%7>", and the value is NULL only
    with a key (i%12 == 6), whose key is then the id. Headers are the same static set on every record
    (KCAT_HEADERS) and timestamps are kcat's own."""
    rid = f"{run}-kcat-{i:06d}"
    key = None if i % 4 in (0, 1) else f"key-{i % 7}".encode()
    text = (rid + "|" + "abcdefghijklmnopqrstuvwxyz0123456789" * 120).encode()
    value = None if i % 12 == 6 else text[:max(SIZES.get(i % 6, 40), len(rid) + 1)]
    if value is None:
        key = rid.encode()
    return dict(id=rid, key=key, value=value, headers=list(KCAT_HEADERS), timestamp=None)


KCAT_HEADERS = [("sw-client", b"kcat"), ("h", b"1"), ("h", b"2"), ("empty", b""), ("null", None)]
