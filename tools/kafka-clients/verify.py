#!/usr/bin/env python3
"""verify.py: read the topics back from the real Kafka and check every
acknowledged record of the manifests arrived byte-exact.

Usage:
    verify.py --upstream HOST:PORT [--wait S] [--lenient-acks0] [--strict-offsets] MANIFEST...

Consumes the manifests' topics from the beginning of every partition with one
confluent-kafka Consumer (bytes in, bytes out: nothing decoded), until every
acknowledged id has arrived or --wait seconds pass (records may reach Kafka
after the producer was answered, e.g. through Spillway's queue or spool).
A record is found by its id: the `sw-id` header, else the value's prefix
before `|`, else the key. For each acknowledged record it checks key (NULL and
empty are different), value, headers (names, values incl. NULL, order) and,
when the producer set one, the timestamp. It counts:
  lost     acknowledged, never arrived              (fails the run)
  changed  arrived with any byte different          (fails the run)
  dup      copies beyond the first of one id         (reported)
  extra    arrived though the client reported it failed/unacked (reported)
  offset   no copy is at the partition/offset the client was told (reported;
           fails with --strict-offsets)
At acks=0 a client "acknowledges" without asking the broker; --lenient-acks0
reports such losses without failing (for outage runs). Prints a table,
details of the first problems, and exits 1 on a failure, 2 on a usage error.
"""
import argparse
import base64
import collections
import json
import sys
import time

import confluent_kafka


def unb64(s):
    return None if s is None else base64.b64decode(s)


def record_id(key, value, headers):
    for k, v in headers or []:
        if k == "sw-id" and v is not None:
            return v.decode(errors="replace")
    if value and b"|" in value[:80]:
        return value.split(b"|", 1)[0].decode(errors="replace")
    return key.decode(errors="replace") if key else None


def consume(upstream, wanted, wait):
    """Every record of the topics in `wanted` (topic -> set of acknowledged ids),
    read with one consumer until all partitions are at their end and every wanted
    id is in, or `wait` seconds pass. Returns topic -> (records, error or None)."""
    consumer = confluent_kafka.Consumer({"bootstrap.servers": upstream, "group.id": "spillway-verify",
                                         "enable.auto.commit": False, "enable.partition.eof": True,
                                         "auto.offset.reset": "earliest"})
    deadline = time.monotonic() + wait
    partitions, errors = {}, {}
    for topic in wanted:
        while True:
            meta = consumer.list_topics(topic, timeout=5).topics.get(topic)
            if meta and meta.error is None and meta.partitions:
                partitions[topic] = list(meta.partitions)
                break
            if time.monotonic() > deadline:
                errors[topic] = f"topic {topic} not found upstream ({meta.error if meta else 'no metadata'})"
                break
            time.sleep(0.5)
    consumer.assign([confluent_kafka.TopicPartition(t, p, confluent_kafka.OFFSET_BEGINNING)
                     for t, ps in partitions.items() for p in ps])
    got = {t: [] for t in wanted}
    missing = {t: set(wanted[t]) for t in partitions}
    eof, total = set(), sum(len(ps) for ps in partitions.values())
    while partitions:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error():
            if msg.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                eof.add((msg.topic(), msg.partition()))
            else:
                print(f"verify: consumer error: {msg.error()}", file=sys.stderr)
        elif msg is not None:
            eof.discard((msg.topic(), msg.partition()))
            headers = msg.headers() or []
            rid = record_id(msg.key(), msg.value(), headers)
            missing[msg.topic()].discard(rid)
            got[msg.topic()].append(dict(id=rid, key=msg.key(), value=msg.value(),
                                         headers=[tuple(h) for h in headers], timestamp=msg.timestamp()[1],
                                         partition=msg.partition(), offset=msg.offset()))
        at_end = len(eof) == total
        if at_end and not any(missing.values()):
            break
        if time.monotonic() > deadline and (at_end or msg is None):
            break
    consumer.close()
    return {t: (got[t], errors.get(t)) for t in wanted}


def describe_diff(field, got, want):
    if isinstance(got, bytes) and isinstance(want, bytes):
        at = next((i for i, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want)))
        return f"{field}: {len(got)} bytes arrived, {len(want)} sent, first difference at byte {at}"
    return f"{field}: arrived {got!r:.160}, sent {want!r:.160}"


def check(lines, got):
    """Compare one manifest's lines with what arrived; return counts and problem texts."""
    by_id = collections.defaultdict(list)
    for g in got:
        by_id[g["id"]].append(g)
    c = collections.Counter(sent=len(lines))
    problems = []
    for m in lines:
        arrived = by_id.get(m["id"], [])
        c["acked"] += m["acked"]
        c["failed"] += not m["acked"]
        c["dup"] += max(len(arrived) - 1, 0)
        if not m["acked"]:
            c["extra"] += bool(arrived)
            continue
        if not arrived:
            c["lost"] += 1
            problems.append(f"lost {m['id']} (told p{m['partition']} @{m['offset']})")
            continue
        c["arrived"] += 1
        want = dict(key=unb64(m["key"]), value=unb64(m["value"]),
                    headers=[(k, unb64(v)) for k, v in m["headers"]])
        a = arrived[0]
        diffs = [f for f in ("key", "value", "headers") if a[f] != want[f]]
        if m["timestamp"] is not None and a["timestamp"] != m["timestamp"]:
            diffs.append(f"timestamp {a['timestamp']} != {m['timestamp']}")
        if diffs:
            c["changed"] += 1
            problems.append(f"changed {m['id']}: " + "; ".join(
                d if d.startswith("timestamp") else describe_diff(d, a[d], want[d]) for d in diffs))
        if m.get("offset") is not None and m["offset"] >= 0 and \
                (m["partition"], m["offset"]) not in {(x["partition"], x["offset"]) for x in arrived}:
            c["offset"] += 1
            problems.append(f"offset {m['id']}: told p{m['partition']} @{m['offset']}, "
                            f"found p{a['partition']} @{a['offset']}")
    return c, problems


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="HOST:PORT of the real Kafka to read from")
    p.add_argument("--wait", type=float, default=15, help="seconds to wait for acknowledged records")
    p.add_argument("--lenient-acks0", action="store_true", help="losses at acks=0 do not fail the run")
    p.add_argument("--strict-offsets", action="store_true", help="a wrong partition/offset fails the run")
    p.add_argument("--quiet", action="store_true", help="only the table")
    p.add_argument("manifests", nargs="+")
    args = p.parse_args()
    rows, failed = [], False
    cols = ["sent", "acked", "failed", "arrived", "lost", "changed", "dup", "extra", "offset"]
    manifests = {}
    for path in args.manifests:
        try:
            manifests[path] = [json.loads(l) for l in open(path)]
        except (OSError, ValueError) as e:
            sys.exit(f"verify: cannot read manifest {path}: {e}")
    wanted = {m["topic"]: set() for lines in manifests.values() for m in lines}
    for lines in manifests.values():
        wanted.update({m["topic"]: wanted[m["topic"]] | {m["id"]} for m in lines if m["acked"]})
    read = consume(args.upstream, wanted, args.wait)
    for path, lines in manifests.items():
        if not lines:
            rows.append((path, "-", "-", "-", collections.Counter(), "FAIL"))
            print(f"  {path}: empty manifest")
            failed = True
            continue
        m0 = lines[0]
        got, err = read[m0["topic"]]
        got = [g for g in got if g["id"] is None or g["id"].startswith(f"{m0['run']}-{m0['client']}-")]
        c, problems = check(lines, got)
        err = err if any(m["acked"] for m in lines) else None
        bad = c["changed"] or (c["lost"] and not (args.lenient_acks0 and m0["acks"] == "0")) or \
            (args.strict_offsets and c["offset"]) or err
        status = "FAIL" if bad else "ok" if not (c["lost"] or c["offset"]) else "warn"
        failed |= bool(bad)
        rows.append((m0["client"], m0["codec"], m0["acks"] + ("+idem" if m0.get("idempotent") else ""),
                     m0["topic"], c, status))
        if not args.quiet:
            for text in ([err] if err else []) + problems[:5]:
                print(f"  {m0['client']} {m0['codec']} acks={m0['acks']}: {text}")
            if len(problems) > 5:
                print(f"  … and {len(problems) - 5} more")
    print(f"{'client':10} {'codec':7} {'acks':9} " + " ".join(f"{c:>7}" for c in cols) + "  result")
    for client, codec, acks, _topic, c, status in rows:
        print(f"{client:10} {codec:7} {acks:9} " + " ".join(f"{c[k]:7d}" for k in cols) + f"  {status}")
    print(f"{sum(r[5] != 'FAIL' for r in rows)} passed, {sum(r[5] == 'FAIL' for r in rows)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
