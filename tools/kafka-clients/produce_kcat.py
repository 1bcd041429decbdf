#!/usr/bin/env python3
"""produce_kcat.py: produce the kcat flavour of the record set (see
records.kcat_record) with `kcat -P` and write a manifest.

Usage:
    produce_kcat.py --bootstrap H:P --topic T --run R --manifest FILE
                    [--codec ...] [--acks 0|1|all] [--idempotent] [--count N]

kcat (Debian's, librdkafka 2.0.2 by default; KCAT=path to use another) reads
`key:value` lines (-K:), a line without ':' has a NULL key, an empty value
(and an empty key) is sent as NULL (-Z); headers are static (-H; `-H name`
without `=` gives a NULL value). kcat reports no per-message
outcome, only "Delivery failed for message" lines on stderr and its exit code:
when it reports no failure every record is written acked (partition/offset
unknown); when it reports any, none can be told apart, so every record is
written unacknowledged with kcat's error (the verifier then counts arrivals as
unacknowledged extras, never as lost).
"""
import argparse
import os
import re
import subprocess
import sys

from records import KCAT_HEADERS, Manifest, common_args, kcat_record


def main():
    args = common_args(argparse.ArgumentParser(description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)).parse_args()
    kcat = os.environ.get("KCAT", "kcat")
    recs = [kcat_record(args.run, i) for i in range(args.count)]
    lines = []
    for r in recs:
        value = (r["value"] or b"").decode()
        lines.append(value if r["key"] is None else r["key"].decode() + ":" + value)
    cmd = [kcat, "-P", "-b", args.bootstrap, "-t", args.topic, "-K:", "-Z", "-z", args.codec,
           "-X", f"acks={'-1' if args.acks == 'all' else args.acks}", "-X", "client.id=spillway-kcat",
           "-X", f"message.timeout.ms={int(args.timeout * 1000)}", "-X", "linger.ms=5"]
    if args.idempotent:
        cmd += ["-X", "enable.idempotence=true"]
    for k, v in KCAT_HEADERS:
        cmd += ["-H", k if v is None else f"{k}={v.decode()}"]  # `-H name` sends a NULL value
    try:
        proc = subprocess.run(cmd, input="\n".join(lines) + "\n", capture_output=True, text=True,
                              timeout=args.timeout + 30)
        failures = [l for l in proc.stderr.splitlines() if "fail" in l.lower() or "error" in l.lower()]
        rc = proc.returncode
    except (OSError, subprocess.TimeoutExpired) as e:
        failures, rc = [repr(e)], -1
    about = subprocess.run([kcat, "-V"], capture_output=True, text=True).stdout
    found = re.search(r"Version (\S+) .*librdkafka (\S+)", about)
    version = f"{found[1]} (librdkafka {found[2]})" if found else "unknown"
    manifest = Manifest(args.manifest, client="kcat", client_version=version, topic=args.topic,
                        codec=args.codec, acks=args.acks, idempotent=args.idempotent, run=args.run)
    ok = rc == 0 and not failures
    for r in recs:
        manifest.write(r, ok, error=None if ok else f"kcat exit {rc}: {' | '.join(failures)[:300]}")
    manifest.close()
    if not ok:
        print(f"kcat: exit {rc}; {len(failures)} failure lines", file=sys.stderr)


if __name__ == "__main__":
    main()
