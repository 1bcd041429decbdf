#!/usr/bin/env python3
"""produce_aiokafka.py: produce the known record set with aiokafka (pure
Python; snappy/lz4/zstd through cramjam) and write a manifest.

Usage:
    produce_aiokafka.py --bootstrap H:P --topic T --run R --manifest FILE
                        [--codec none|gzip|snappy|lz4|zstd] [--acks 0|1|all]
                        [--idempotent] [--count N] [--timeout S]

Every record's send() future decides its manifest line: acked with the
partition/offset aiokafka was told, or failed with the exception. With acks=0
aiokafka resolves the future with None, without a broker answer (written acked,
no partition/offset). aiokafka refuses a record whose key and value are both
NULL (AssertionError): that record is written failed.
"""
import argparse
import asyncio
import sys

import aiokafka

from records import Manifest, common_args, record


async def main():
    args = common_args(argparse.ArgumentParser(description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)).parse_args()
    acks = "all" if args.acks == "all" else int(args.acks)
    producer = aiokafka.AIOKafkaProducer(
        bootstrap_servers=args.bootstrap, acks=acks, enable_idempotence=args.idempotent,
        compression_type=None if args.codec == "none" else args.codec, linger_ms=5,
        request_timeout_ms=int(args.timeout * 1000), client_id="spillway-aiokafka")
    manifest = Manifest(args.manifest, client="aiokafka", client_version=aiokafka.__version__, topic=args.topic,
                        codec=args.codec, acks=args.acks, idempotent=args.idempotent, run=args.run)
    recs = [record(args.run, "aiokafka", i) for i in range(args.count)]
    try:
        await asyncio.wait_for(producer.start(), args.timeout)
    except Exception as e:  # noqa: BLE001 - every failure becomes a manifest line
        for rec in recs:
            manifest.write(rec, False, error=f"producer did not start: {e!r}")
        manifest.close()
        sys.exit(f"aiokafka: cannot start: {e!r}")
    futures = []
    for rec in recs:
        try:
            futures.append(await producer.send(args.topic, value=rec["value"], key=rec["key"],
                                               headers=rec["headers"], timestamp_ms=rec["timestamp"]))
        except Exception as e:  # noqa: BLE001
            futures.append(e)
    for rec, fut in zip(recs, futures):
        if isinstance(fut, Exception):
            manifest.write(rec, False, error=f"send() refused: {fut!r}")
            continue
        try:
            meta = await asyncio.wait_for(fut, args.timeout)
            if meta is None:  # acks=0: resolved without any broker answer
                manifest.write(rec, True)
            else:
                manifest.write(rec, True, partition=meta.partition, offset=meta.offset)
        except Exception as e:  # noqa: BLE001
            manifest.write(rec, False, error=repr(e))
    await producer.stop()
    manifest.close()


if __name__ == "__main__":
    asyncio.run(main())
