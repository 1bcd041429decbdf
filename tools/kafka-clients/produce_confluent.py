#!/usr/bin/env python3
"""produce_confluent.py: produce the known record set with confluent-kafka
(librdkafka bundled in the wheel) and write a manifest of what was acknowledged.

Usage:
    produce_confluent.py --bootstrap H:P --topic T --run R --manifest FILE
                         [--codec none|gzip|snappy|lz4|zstd] [--acks 0|1|all]
                         [--idempotent] [--count N] [--timeout S]

Each record's delivery report decides its manifest line: acked with the
partition/offset the client was told, or failed with the error. Records still
unreported after --timeout are written as failed ("no delivery report").
With acks=0 librdkafka reports success without any broker answer (offset -1).
Exit 0 when every record has a manifest line, whatever the outcome.
"""
import argparse
import sys

import confluent_kafka

from records import Manifest, common_args, record


def main():
    args = common_args(argparse.ArgumentParser(description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)).parse_args()
    conf = {"bootstrap.servers": args.bootstrap, "compression.type": args.codec, "acks": args.acks,
            "enable.idempotence": args.idempotent, "linger.ms": 5,
            "message.timeout.ms": int(args.timeout * 1000), "client.id": "spillway-confluent"}
    producer = confluent_kafka.Producer(conf)
    manifest = Manifest(args.manifest, client="confluent", client_version=confluent_kafka.__version__,
                        librdkafka=confluent_kafka.libversion()[0], topic=args.topic, codec=args.codec,
                        acks=args.acks, idempotent=args.idempotent, run=args.run)
    pending = {}

    def report(rec):
        def on_delivery(err, msg):
            pending.pop(rec["id"], None)
            if err is None:
                manifest.write(rec, True, partition=msg.partition(), offset=msg.offset())
            else:
                manifest.write(rec, False, error=str(err), partition=msg.partition())
        return on_delivery

    for i in range(args.count):
        rec = record(args.run, "confluent", i)
        pending[rec["id"]] = rec
        kwargs = dict(value=rec["value"], key=rec["key"], headers=rec["headers"], on_delivery=report(rec))
        if rec["timestamp"] is not None:
            kwargs["timestamp"] = rec["timestamp"]
        while True:
            try:
                producer.produce(args.topic, **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
            except confluent_kafka.KafkaException as e:
                pending.pop(rec["id"])
                manifest.write(rec, False, error=f"produce() refused: {e}")
                break
        producer.poll(0)
    left = producer.flush(args.timeout + 5)
    for rec in list(pending.values()):
        manifest.write(rec, False, error=f"no delivery report ({left} left in queue)")
    manifest.close()
    print(f"confluent: {args.count} records, {len(pending)} without report", file=sys.stderr)


if __name__ == "__main__":
    main()
