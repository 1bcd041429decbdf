#!/usr/bin/env python3
"""run.py (through ./run): produce with every independent client, then verify.

Usage:
    run --bootstrap HOST:PORT --upstream HOST:PORT
        [--clients kcat,confluent,aiokafka,sarama] [--codecs none,gzip,snappy,lz4,zstd]
        [--acks 0,1,all] [--idempotence off,on] [--count 24] [--run-id ID]
        [--topic T] [--out DIR] [--wait S] [--lenient-acks0] [--strict-offsets]
        [--sarama-version 2.1.0] [--before CMD] [--during CMD [--during-delay S]] [--after CMD]

One cell per client x codec x acks x idempotence (on only at acks=all, where
the client has it): the client's producer sends --count records of the known
set (records.py) to its own topic `kc-<run id>-<client>-<codec>-acks<A>[-idem]`
(or all to one existing --topic: record ids carry the cell, so they never clash)
through --bootstrap (Spillway's Kafka listener, or a broker) and writes a
manifest to --out. Then verify.py reads every topic from --upstream (the real
Kafka) and checks each acknowledged record arrived byte-exact; its table and
exit code are the run's (a producer that crashed without a manifest also fails).

Outage hooks, run with `sh -c` and the environment CELL, CLIENT, CODEC, ACKS,
IDEMPOTENT, BOOTSTRAP, UPSTREAM: --before runs CMD (to its end) before each
producer starts; --during starts CMD --during-delay seconds
after each producer starts (while it sends; raise --count to give it time),
and the cell waits for it; --after runs CMD when a cell is done (e.g. to bring
the upstream back). With spillway-mock-kafka --control-port P as the upstream:
    --during 'curl -s -XPOST 127.0.0.1:P/down; sleep 5; curl -s -XPOST 127.0.0.1:P/up'
    --before 'curl -s -XPOST 127.0.0.1:P/down' --during 'sleep 3; curl -s -XPOST 127.0.0.1:P/up' --during-delay 0
    --during 'curl -s -XPOST "127.0.0.1:P/errors?code=NOT_ENOUGH_REPLICAS&count=5"'
"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("SPILLWAY_CLIENTS_CACHE", os.path.expanduser("~/.cache/spillway-clients"))
IDEMPOTENT_CLIENTS = {"kcat", "confluent", "aiokafka", "sarama"}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bootstrap", required=True, help="where producers connect")
    p.add_argument("--upstream", required=True, help="the real Kafka the verifier reads")
    p.add_argument("--clients", default="kcat,confluent,aiokafka,sarama")
    p.add_argument("--codecs", default="none,gzip,snappy,lz4,zstd")
    p.add_argument("--acks", default="0,1,all")
    p.add_argument("--idempotence", default="off,on", help="off, on, or both (on only with acks=all)")
    p.add_argument("--count", type=int, default=24)
    p.add_argument("--run-id", default=time.strftime("r%H%M%S"), help="letters, digits and '-' only")
    p.add_argument("--topic", help="one topic for every cell (default: a new topic per cell)")
    p.add_argument("--out", help="manifests folder (default: a new one under /tmp)")
    p.add_argument("--timeout", type=float, default=30, help="per-record acknowledgement timeout, seconds")
    p.add_argument("--wait", type=float, default=15, help="verifier: seconds to wait for late records")
    p.add_argument("--lenient-acks0", action="store_true")
    p.add_argument("--strict-offsets", action="store_true")
    p.add_argument("--sarama-version", default="2.1.0", help="Kafka version sarama assumes (no negotiation)")
    p.add_argument("--before", help="shell command run before each producer starts")
    p.add_argument("--during", help="shell command run while each producer sends")
    p.add_argument("--during-delay", type=float, default=0.5)
    p.add_argument("--after", help="shell command run after each cell")
    args = p.parse_args()
    if not re.fullmatch(r"[A-Za-z0-9-]+", args.run_id):
        sys.exit("run: --run-id takes letters, digits and '-' only (it goes into kcat's text lines)")
    out = args.out or f"/tmp/spillway-kafka-clients-{args.run_id}"
    os.makedirs(out, exist_ok=True)
    clients = args.clients.split(",")
    unknown = set(clients) - {"kcat", "confluent", "aiokafka", "sarama"}
    if unknown:
        sys.exit(f"run: unknown clients {sorted(unknown)}")
    sarama = os.path.join(CACHE, "bin", "sarama-producer")
    if "sarama" in clients and not os.access(sarama, os.X_OK):
        sys.exit(f"run: {sarama} missing: run tools/kafka-clients/setup first")
    manifests, crashed = [], []
    for client in clients:
        for codec in args.codecs.split(","):
            for acks in args.acks.split(","):
                for idem in args.idempotence.split(","):
                    idem = idem == "on"
                    if idem and (acks != "all" or client not in IDEMPOTENT_CLIENTS):
                        continue
                    cell = f"{client}-{codec}-acks{acks}{'-idem' if idem else ''}"
                    topic = args.topic or f"kc-{args.run_id}-{cell}"
                    run = f"{args.run_id}-{codec}-a{acks}{'i' if idem else ''}"  # ids: <run>-<client>-<n>
                    manifest = os.path.join(out, cell + ".jsonl")
                    if client == "sarama":
                        cmd = [sarama, "-bootstrap", args.bootstrap, "-topic", topic, "-codec", codec, "-acks", acks,
                               "-count", str(args.count), "-run", run, "-manifest", manifest,
                               "-timeout", str(args.timeout), "-version", args.sarama_version] + \
                              (["-idempotent"] if idem else [])
                    else:
                        cmd = [sys.executable, os.path.join(HERE, f"produce_{client}.py"), "--bootstrap",
                               args.bootstrap, "--topic", topic, "--codec", codec, "--acks", acks, "--count",
                               str(args.count), "--run", run, "--manifest", manifest,
                               "--timeout", str(args.timeout)] + (["--idempotent"] if idem else [])
                    env = dict(os.environ, CELL=cell, CLIENT=client, CODEC=codec, ACKS=acks,
                               IDEMPOTENT=str(int(idem)), BOOTSTRAP=args.bootstrap, UPSTREAM=args.upstream)
                    if args.before:
                        subprocess.run(["sh", "-c", args.before], env=env)
                    started = time.monotonic()
                    producer = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                text=True)
                    hook = None
                    if args.during:
                        time.sleep(args.during_delay)
                        hook = subprocess.Popen(["sh", "-c", args.during], env=env)
                    try:
                        output, _ = producer.communicate(timeout=args.timeout + 60)
                    except subprocess.TimeoutExpired:
                        producer.kill()
                        output, _ = producer.communicate()
                        output += "\n(killed: no exit after the timeout)"
                    if hook:
                        hook.wait()
                    if args.after:
                        subprocess.run(["sh", "-c", args.after], env=env)
                    took = time.monotonic() - started
                    if os.path.exists(manifest) and os.path.getsize(manifest):
                        manifests.append(manifest)
                        print(f"{cell:30} sent in {took:5.1f}s (exit {producer.returncode})", flush=True)
                    else:
                        crashed.append(cell)
                        print(f"{cell:30} NO MANIFEST (exit {producer.returncode}):\n  " +
                              "\n  ".join(output.strip().splitlines()[-5:]), flush=True)
    verify = [sys.executable, os.path.join(HERE, "verify.py"), "--upstream", args.upstream, "--wait", str(args.wait)]
    verify += ["--lenient-acks0"] if args.lenient_acks0 else []
    verify += ["--strict-offsets"] if args.strict_offsets else []
    rc = subprocess.run(verify + manifests).returncode if manifests else 1
    if crashed:
        print(f"producers without a manifest: {', '.join(crashed)}")
    print(f"manifests in {out}")
    sys.exit(rc or (1 if crashed else 0))


if __name__ == "__main__":
    main()
