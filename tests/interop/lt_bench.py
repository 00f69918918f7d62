#!/usr/bin/python3
"""Latency of libtorrent DHT put/get on a loopback swarm, via lt_node.py.

    /usr/bin/python3 tests/interop/lt_bench.py --nodes 16 --rounds 40
        [--json] [--set key=value ...] [--known K] [--ipv6]

One request at a time (latency, not throughput), each from a random node,
each get from a different node than the put.  Prints median / p90 / max of
the driver's "ms" per op, plus startup time.  --set passes libtorrent
setting overrides through to lt_node.py (to see which settings matter);
--ipv6 runs the nodes on ::1 (libtorrent's IPv6 DHT)."""

import argparse
import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lt_client import LtDriver  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--known", type=int, default=0,
                    help="each node is told only this many others")
    ap.add_argument("--ready-timeout", type=float, default=20.0)
    ap.add_argument("--ipv6", action="store_true", help="nodes on ::1")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    extra = ["--ready-timeout", str(args.ready_timeout)]
    if args.known:
        extra += ["--known", str(args.known)]
    for kv in args.set:
        extra += ["--set", kv]

    t0 = time.perf_counter()
    d = LtDriver(nodes=args.nodes, extra_args=extra, ipv6=args.ipv6)
    start_ms = (time.perf_counter() - t0) * 1000.0
    n = len(d.nodes)
    lat = {k: [] for k in ("put_immutable", "get_immutable", "get_missing",
                           "put_mutable", "get_mutable", "get_mutable_first",
                           "get_mutable_missing")}
    succ = {"put_immutable": [], "put_mutable": []}
    bad = []

    def two():
        a = rnd.randrange(n)
        b = rnd.randrange(n - 1) if n > 1 else 0
        return a, (b + 1 + a) % n if n > 1 else 0

    try:
        for r in range(args.rounds):
            a, b = two()
            val = rnd.randbytes(rnd.randrange(1, 200))
            p = d.call("put_immutable", node=a, value_hex=val.hex())
            lat["put_immutable"].append(p["ms"])
            succ["put_immutable"].append(p.get("num_success", 0))
            g = d.call("get_immutable", node=b, target=p["target"])
            lat["get_immutable"].append(g["ms"])
            if g.get("value_hex") != val.hex():
                bad.append(("get_immutable", r, g))
            m = d.call("get_immutable", node=b,
                       target=rnd.randbytes(20).hex())
            lat["get_missing"].append(m["ms"])
            if m.get("found"):
                bad.append(("get_missing", r, m))

            seed = rnd.randbytes(32)
            p = d.call("put_mutable", node=a, seed_hex=seed.hex(),
                       value_hex=val.hex())
            lat["put_mutable"].append(p["ms"])
            succ["put_mutable"].append(p.get("num_success", 0))
            g = d.call("get_mutable", node=b,
                       public_key_hex=p["public_key_hex"])
            lat["get_mutable"].append(g["ms"])
            lat["get_mutable_first"].append(g.get("first_ms", g["ms"]))
            if g.get("value_hex") != val.hex() or not g.get("sig_ok"):
                bad.append(("get_mutable", r, g))
            m = d.call("get_mutable", node=b,
                       public_key_hex=rnd.randbytes(32).hex())
            lat["get_mutable_missing"].append(m["ms"])
            if m.get("found"):
                bad.append(("get_mutable_missing", r, m))
        tables = d.call("stats")["table_sizes"]
    finally:
        d.close()

    res = {"nodes": n, "rounds": args.rounds, "startup_ms": round(start_ms),
           "ready_ms": d.ready.get("ms"), "settings": args.set,
           "known": args.known, "complete": d.ready.get("complete"),
           "family": d.ready.get("family"),
           "tables_min_max": [min(tables), max(tables)],
           "num_success_median": {k: statistics.median(v)
                                  for k, v in succ.items()},
           "bad": len(bad), "ms": {}}
    for k, v in lat.items():
        res["ms"][k] = {"median": round(statistics.median(v), 2),
                        "p90": round(pct(v, 0.9), 2),
                        "max": round(max(v), 2)}
    if args.json:
        print(json.dumps(res))
    else:
        print("%s nodes=%d known=%s rounds=%d startup=%dms ready=%sms "
              "complete=%s tables=%s num_success(median)=%s bad=%d "
              "settings=%s"
              % (res["family"], n, args.known or "all", args.rounds,
                 res["startup_ms"],
                 res["ready_ms"], res["complete"], res["tables_min_max"],
                 res["num_success_median"], len(bad), args.set))
        for k, v in res["ms"].items():
            print("  %-20s median %8.2f  p90 %8.2f  max %8.2f ms"
                  % (k, v["median"], v["p90"], v["max"]))
    for b in bad[:5]:
        print("BAD", b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
