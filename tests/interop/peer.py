#!/usr/bin/env python3
"""peer.py: a Scout peer written with the Python binding (bindings/python),
with the `scout` command's interface, for the cross-language test.

    peer.py --bootstrap HOST:PORT sync KEYFILE PEER_PUBLIC_HEX ID VALUE
        prints "ID SEQ VALUE" for every entry after finalize
    peer.py --bootstrap HOST:PORT put MESSAGE     prints the message's hash
    peer.py --bootstrap HOST:PORT get HASH        prints the message, then "next HASH"

KEYFILE holds a raw 32-byte secret key. Needs SCOUT_LIBRARY (or an
installed libscout) and the binding on PYTHONPATH.
"""

import argparse
import sys

import scout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("command", choices=["sync", "put", "get"])
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    with scout.Session(a.bootstrap, host="127.0.0.1", timeout=a.timeout, read_only=True) as s:
        if a.command == "sync":
            keyfile, peer, ident, value = a.args
            with open(keyfile, "rb") as f:
                secret = f.read()
            shared = scout.key_exchange(secret, bytes.fromhex(peer))
            mine = scout.Entries()
            mine.assign(int(ident), value.encode())
            s.synchronize(shared, mine)
            for e in mine.to_list():
                print(e.id, e.seq, e.value.decode(errors="replace"))
        elif a.command == "put":
            (msg,) = a.args
            print(s.put(bytes(20), msg.encode()).hex())
        else:
            (h,) = a.args
            m = s.get(bytes.fromhex(h))
            print(m.message.decode(errors="replace"))
            print("next", m.next.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
