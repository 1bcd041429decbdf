#!/usr/bin/env python3
"""capture_fixtures.py: capture real clients' request/response frames as
byte fixtures for the Kafka wire codec.

Usage (with the venv from ./setup, so confluent-kafka and cramjam import):
    capture_fixtures.py --broker TAG=HOST:PORT [--broker TAG=HOST:PORT ...] --out DIR
                        [--clients kcat,confluent,aiokafka,sarama] [--sarama BIN]
                        [--sarama-version TAG=VERSION ...] [--count 8]

For every broker, client, codec (none gzip snappy lz4 zstd) and acks (0 1 all),
plus an idempotent run at acks=all per codec, it starts capture_proxy.py in
front of the broker, runs the client's producer (produce_*.py, sarama-producer)
through it and keeps the frames:
    DIR/<client>-<version>/<Api>-v<N>-<TAG>.req.bin / .resp.bin
        every ApiVersions/Metadata/InitProducerId version the client sent
    DIR/<client>-<version>/Produce-v<N>-<codec>-acks<A>[-idem]-<TAG>[-<k>].req.bin
        every Produce request (k counts several in one run), with .resp.bin
        (none at acks=0) and a .json decoding (kafka_dump.py)
and writes DIR/<client>-<version>/INDEX.md listing each file. The raw captures stay in DIR/.raw.
Use a single-broker cluster (the proxy maps every broker id to it).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kafka_dump  # noqa: E402

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def client_dir(client, manifest):
    line = json.loads(open(manifest).readline())
    if client == "confluent":
        return f"confluent-kafka-{line['client_version']}-librdkafka-{line['librdkafka']}"
    if client == "kcat":
        v, _, lib = line["client_version"].partition(" (librdkafka ")
        return f"kcat-{v}-librdkafka-{lib.rstrip(')')}"
    return f"{client}-{line['client_version']}"


def producer_cmd(args, client, bootstrap, topic, codec, acks, idem, manifest, tag):
    if client == "sarama":
        cmd = [args.sarama, "-bootstrap", bootstrap, "-topic", topic, "-codec", codec, "-acks", acks,
               "-count", str(args.count), "-run", "fx", "-manifest", manifest, "-timeout", "15"]
        if tag in args.sarama_versions:
            cmd += ["-version", args.sarama_versions[tag]]
        return cmd + (["-idempotent"] if idem else [])
    cmd = [sys.executable, os.path.join(HERE, f"produce_{client}.py"), "--bootstrap", bootstrap, "--topic", topic,
           "--codec", codec, "--acks", acks, "--count", str(args.count), "--run", "fx", "--manifest", manifest,
           "--timeout", "15"]
    return cmd + (["--idempotent"] if idem else [])


def describe(doc):
    """One line per batch: partition, codec, framing, records (key/value/headers/ts)."""
    out = []
    for t in doc.get("topics", []):
        for p in t["partitions"]:
            for b in p["batches"]:
                def v(x, n=None):
                    if x is None:
                        return "null"
                    if x == "":
                        return '""'
                    if isinstance(x, dict):
                        return f"{n}B binary"
                    return repr(x) if len(x) < 24 else f"{x[:20]!r}…({n}B)"
                recs = "; ".join(
                    f"k={v(r['key'])} v={v(r['value'], r['value_len'])} ts={r['timestamp']} "
                    f"h=[{','.join(h[0] + '=' + v(h[1], 3) for h in r['headers'])}]" for r in b.get("records", []))
                extra = b.get("framing", "")
                if "lz4_flags" in b:
                    f = b["lz4_flags"]
                    extra += f" (indep={int(f['block_independent'])} blkcrc={int(f['block_checksum'])} " \
                             f"size={int(f['content_size'])} contentcrc={int(f['content_checksum'])} " \
                             f"bd={f['block_max_size_id']})"
                out.append(f"p{p['partition']} {b.get('codec')} {extra} pid={b.get('producer_id')}/"
                           f"{b.get('producer_epoch')} seq={b.get('base_sequence')} n={b.get('record_count')}: {recs}")
    return " \\| ".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--broker", action="append", required=True, help="TAG=HOST:PORT")
    p.add_argument("--out", required=True)
    p.add_argument("--clients", default="kcat,confluent,aiokafka,sarama")
    p.add_argument("--sarama", default=os.path.join(os.environ.get(
        "SPILLWAY_CLIENTS_CACHE", os.path.expanduser("~/.cache/spillway-clients")), "bin", "sarama-producer"))
    p.add_argument("--sarama-version", action="append", default=[], help="TAG=VERSION for one broker")
    p.add_argument("--count", type=int, default=8)
    args = p.parse_args()
    args.sarama_versions = dict(s.split("=", 1) for s in args.sarama_version)
    raw_root = os.path.join(args.out, ".raw")
    index = []
    for spec in args.broker:
        tag, addr = spec.split("=", 1)
        for client in args.clients.split(","):
            saved = set()
            for codec in CODECS:
                for acks, idem in [("0", False), ("1", False), ("all", False), ("all", True)]:
                    run = f"{tag}-{codec}-acks{acks}{'-idem' if idem else ''}"
                    raw = os.path.join(raw_root, client, run)
                    shutil.rmtree(raw, ignore_errors=True)
                    os.makedirs(raw)
                    proxy = subprocess.Popen([sys.executable, os.path.join(HERE, "capture_proxy.py"),
                                              "--upstream", addr, "--out", raw], stdout=subprocess.PIPE, text=True)
                    bootstrap = proxy.stdout.readline().split()[1]
                    manifest = os.path.join(raw, "manifest.jsonl")
                    topic = f"fx-{client}-{run}"
                    res = subprocess.run(producer_cmd(args, client, bootstrap, topic, codec, acks, idem, manifest, tag),
                                         capture_output=True, text=True, timeout=120)
                    time.sleep(0.3)
                    proxy.terminate()
                    proxy.wait()
                    acked = sum(json.loads(l)["acked"] for l in open(manifest)) if os.path.exists(manifest) else 0
                    print(f"{client:9} {run:24} exit {res.returncode} acked {acked}/{args.count}", flush=True)
                    if res.returncode != 0 or not os.path.exists(manifest):
                        print(res.stderr[-800:], file=sys.stderr)
                        continue
                    cdir = client_dir(client, manifest)
                    dest = os.path.join(args.out, cdir)
                    os.makedirs(dest, exist_ok=True)
                    frames = [json.loads(l) for l in open(os.path.join(raw, "frames.jsonl"))]
                    responses = {f["request"]: f["file"] for f in frames if f["kind"] == "resp"}
                    produce_n = sum(1 for f in frames if f["kind"] == "req" and f["api"] == 0)
                    k = 0
                    for f in frames:
                        if f["kind"] != "req":
                            continue
                        api = kafka_dump.API_NAMES.get(f["api"], f"Api{f['api']}")
                        if f["api"] == 0:
                            k += 1
                            name = f"{api}-v{f['version']}-{codec}-acks{acks}{'-idem' if idem else ''}-{tag}" + \
                                   (f"-{k}" if produce_n > 1 else "")
                        else:
                            if (api, f["version"]) in saved:
                                continue
                            saved.add((api, f["version"]))
                            name = f"{api}-v{f['version']}-{tag}"
                        shutil.copy(os.path.join(raw, f["file"]), os.path.join(dest, name + ".req.bin"))
                        if f["file"] in responses:
                            shutil.copy(os.path.join(raw, responses[f["file"]]), os.path.join(dest, name + ".resp.bin"))
                        doc = kafka_dump.dump(os.path.join(dest, name + ".req.bin"))
                        if f["api"] == 0:
                            with open(os.path.join(dest, name + ".json"), "w") as out:
                                json.dump(doc, out, indent=1)
                        index.append(dict(dir=cdir, name=name, api=api, version=f["version"], tag=tag, codec=codec,
                                          acks=acks, idem=idem, resp=f["file"] in responses,
                                          size=f["size"], what=describe(doc) if f["api"] == 0 else ""))
    for cdir in sorted({i["dir"] for i in index}):
        with open(os.path.join(args.out, cdir, "INDEX.md"), "w") as out:
            out.write(f"# {cdir}: captured frames\n\nGenerated by tools/kafka-clients/capture_fixtures.py "
                      "(record set: tools/kafka-clients/records.py); see ../README.md.\n\n"
                      "| file (.req.bin) | api | broker | codec asked | acks | resp | bytes | "
                      "batches: partition codec framing producer seq n: records |\n|---|---|---|---|---|---|---|---|\n")
            for i in (i for i in index if i["dir"] == cdir):
                out.write(f"| {i['name']} | {i['api']} v{i['version']} | {i['tag']} | "
                          f"{i['codec'] if i['api'] == 'Produce' else ''} | "
                          f"{(i['acks'] + (' idem' if i['idem'] else '')) if i['api'] == 'Produce' else ''} | "
                          f"{'yes' if i['resp'] else 'no'} | {i['size']} | {i['what']} |\n")

if __name__ == "__main__":
    main()
