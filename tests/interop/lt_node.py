#!/usr/bin/python3
"""lt_node.py: N libtorrent DHT nodes on 127.0.0.1 or ::1, driven by line-based JSON.

Run with Debian's interpreter (the binding is a Debian package, not on PyPI):

    apt-get install -y python3-libtorrent python3-nacl
    /usr/bin/python3 tests/interop/lt_node.py --nodes 16 [--port 40000]
        [--bootstrap 127.0.0.1:6881,127.0.0.1:6882] [--set key=value ...]
    /usr/bin/python3 tests/interop/lt_node.py --ipv6 --nodes 16
        [--bootstrap [::1]:6881,...]

Needs only the standard library, libtorrent (2.0.x binding) and PyNaCl.
Loopback only: nothing here ever talks to the public DHT (no routers, no
bootstrap nodes, UPnP/NAT-PMP/LSD off, every socket bound to 127.0.0.1, or
to ::1 with --ipv6).

IPv6 (--ipv6): every node listens on [::1]:P instead, so libtorrent runs
its DHT node on that socket alone: an IPv6 DHT node (BEP 32), whose table
holds IPv6 nodes only, which asks and answers "nodes6".  Addresses are then
written "[::1]:P" everywhere (ready line, add_nodes, --bootstrap, table);
a --bootstrap or add_nodes address of the other family is refused (an
IPv6-only libtorrent session could never reach it).  Nothing else
changes: the same settings work, loopback needs no more (see below).

Protocol
--------
After every node is up and every routing table holds all the other
libtorrent nodes (or --ready-timeout passed), one line goes to stdout:

    {"ready": true, "nodes": ["127.0.0.1:p1", ...], "table_sizes": [...],
     "complete": true, "family": "ipv4", "ms": 300.1}

("nodes" are "[::1]:p1", ... and "family" "ipv6" with --ipv6; "complete"
is false if the tables did not fill in time.)  Then one JSON
object per stdin line, one JSON reply line per request.  Requests are
pipelined: each runs asynchronously and its reply is written when its alert
arrives, so replies may come OUT OF ORDER; every reply carries the request's
"id" (whatever JSON value was sent) and "op".  Every reply has "ok" (bool),
"ms" (time.perf_counter() from just before the libtorrent call to the
alert that completes it), and "error" (string) when ok is false.  Every
request may carry "timeout_s" (default 60).  "node" is an index 0..N-1.

  {"op":"add_nodes","nodes":["127.0.0.1:p",...]}      every node pings them
      optional "refresh": true -> then every node runs one lookup of a
      random target to learn the added nodes' neighbours; reply has
      "table_sizes".
  {"op":"put_immutable","node":i,"value_hex":"..."}
      the item is the bencoded byte string with these bytes, target =
      SHA1("<len>:" + bytes).  -> {"target":"<40 hex>","num_success":k}
      ok = num_success > 0.
  {"op":"get_immutable","node":i,"target":"<40 hex>"}
      -> {"found":true,"value_hex":"..."} or {"found":false}.
  {"op":"put_mutable","node":i,"seed_hex":"<64 hex>","value_hex":"...",
   "salt_hex":""}
      v = byte string value, signed with the ed25519 key made from the
      32-byte seed.  libtorrent first looks the item up and stores
      highest seq found + 1 (1 if none): no way to choose seq.
      -> {"seq":n,"public_key_hex":..,"target":SHA1(pk+salt),
          "signature_hex":..,"num_success":k}, ok = num_success > 0.
  {"op":"get_mutable","node":i,"public_key_hex":"..","salt_hex":""}
      -> {"found":..,"value_hex":..,"seq":..,"authoritative":..,
          "signature_hex":..,"sig_ok":<PyNaCl verify>,"first_ms":..,
          "alerts":n}.  Waits for the authoritative (final) alert;
      "first_ms" is when the first alert came.  "first": true replies on
      the first alert instead.
  {"op":"put_scout_entries","node":i,"shared_hex":..,"entries":[{"id","seq",
   "value_hex"}]}  the list in Scout's format (scout_format.py): sealed
      with the shared secret, signed with the key it seeds.
  {"op":"get_scout_entries","node":i,"shared_hex":..} -> get_mutable's reply
      plus "entries" (opened and parsed).
  {"op":"put_scout_message","node":i,"next_hex":..,"message_hex":..}
      a message blob as an immutable item -> put_immutable's reply.
  {"op":"get_scout_message","node":i,"target":..} -> get_immutable's reply
      plus "message_hex" and "next_hex" (the blob parsed).
  {"op":"stats"} -> {"table_sizes":[..],"replacements":[..],
                     "active_lookups":[..]} per node.
  {"op":"table","node":i} -> {"node_id":"<40 hex>","nodes":["[::1]:p",..]}
      the live nodes of node i's routing table (dht_live_nodes), each as
      "host:port" ("[host]:port" for IPv6): who libtorrent has actually
      heard from, at the address and family it used.
  {"op":"quit"}  -> waits (up to 20 s) for the replies still owed, answers
                    {"ok":true}, exits 0.  stdin EOF exits at once.
If startup fails (say --port is taken) the one line is
    {"ready": false, "error": "..."} and the exit code is 1.

Settings used (all found by trying on libtorrent 2.0.8, Debian 12)
--------------------------------------------------------------------
  listen_interfaces "127.0.0.1:P"   one UDP (DHT) + TCP socket per node.
  enable_upnp/enable_natpmp/enable_lsd False, dht_bootstrap_nodes ""
                                    never leave the machine.  Nodes named in
                                    dht_bootstrap_nodes are "routers", which
                                    libtorrent never puts in its routing
                                    table (tried: a node bootstrapped off A0
                                    had A1, A2 in its table but never A0),
                                    so --bootstrap/add_nodes use
                                    add_dht_node() instead.
  dht_restrict_routing_ips False    NEEDED: with the default (True) one node
                                    per IP gets into a table: every table
                                    stayed at 1 node, puts reached 2 nodes.
  dht_restrict_search_ips False     NEEDED once lookups must discover nodes
                                    (--known K, or a swarm joined through a
                                    few nodes): with the default a lookup
                                    drops nodes it learns from replies that
                                    share an IP.  64 nodes, --known 3:
                                    puts reached 5 nodes (median) and 16 of
                                    30 gets missed.  No effect in a full
                                    mesh, where lookups start from the table.
  dht_block_ratelimit 100000        NEEDED: the default 5 requests/s per
                                    source IP bans 127.0.0.1 (= every other
                                    node) after two or three sequential
                                    put/get rounds on 16 nodes; then each
                                    lookup ends on 15.2 s timeouts and the
                                    tables shrink.
  dht_upload_rate_limit 10**7       NEEDED under load: with the default 8000
                                    B/s a burst of 200 pipelined puts on 16
                                    nodes took 15.2 s (every one hit the RPC
                                    timeout) and 21 of 200 gets then missed;
                                    raised: 69 ms for all 200, no misses.
                                    Sequential ops alone were mostly fine.
  alert_mask dht|error|status|stats_notification
                                    put/get/stats alerts, and the
                                    listen_succeeded_alert that tells the
                                    real UDP port (see Driver.__init__).
  Left at their defaults: dht_search_branching 5, dht_max_fail_count 20,
  dht_aggressive_lookups True, dht_extended_routing_table True (a 64-node
  swarm fits whole in every table), dht_enforce_node_id False,
  dht_prefer_verified_node_ids True.  None was needed on loopback.

On ::1 (--ipv6), the same settings, for the same reasons (tried on
libtorrent 2.0.8, reverting one at a time): dht_restrict_routing_ips True
left every table of 16 nodes at 1 node; dht_restrict_search_ips True made
23 of 60 gets miss on 64 nodes, --known 3 (19 of 60 on 127.0.0.1); the
default dht_block_ratelimit banned ::1 after a few rounds (15 s timeouts, a
table emptied).  Nothing more is needed: BEP 42's id rules leave ::1 alone
as they do 127.0.0.1 (tried: with dht_enforce_node_id True as well as
dht_prefer_verified_node_ids, random ids on ::1 still fill every table and
a put still reaches 8 nodes).  What an IPv6 node does differently: its table
holds IPv6 nodes only, it reads "nodes6" in replies, and its queries carry
no "want" (captured: a bare get_peers with id and info_hash, as on IPv4),
so the node it asks must answer in the asker's family.

How the nodes learn each other: every node add_dht_node()s every other node
(one request each; the node is in the table when it answers).  All tables
are full ~55 ms (16 nodes) / ~130 ms (64) after the sessions exist; no
setting or sleep needed.  Python start + 64 sessions is ~1-2 s in all.
--known K introduces each node to only K ring neighbours so that lookups
take several hops (tables then fill from incoming traffic).

Alerts: session.set_alert_fd(pipe) makes libtorrent write a byte when a
session's alert queue becomes non-empty; one thread select()s on all the
pipes and pop_alerts() the ready ones: an alert is handled microseconds
after libtorrent posts it.  Not wait_for_alert(): see Driver._pump.

Surprises in libtorrent 2.0.8 and its binding
---------------------------------------------
* dht_put_mutable_item(secret64, public32, value, salt) wants libtorrent's
  own 64-byte secret key: SHA512(seed) with the scalar clamped (orlp
  ed25519), NOT libsodium's seed||public.  The binding has no
  ed25519_create_keypair; expanded_secret_key() below makes it.  The
  signature over "[4:salt..]3:seqi<n>e1:v<len>:<value>" is byte-identical
  to PyNaCl's for the same seed (test_lt_node.py checks it).
* It cannot be told a seq: it looks the item up first and signs
  (highest seq it found) + 1, 1 for a new item.  v is always a byte string.
* dht_mutable_item_alert fields: key (32-byte public key, bytes), salt
  (str!), seq, signature (64 bytes), authoritative (bool), item: a dict
  {key, value (bytes), signature, seq, salt (bytes), authoritative}.  One
  get posts it twice: first authoritative=False as soon as one node
  answers, then authoritative=True when the lookup ends.  Not found: one
  alert, authoritative=True, seq 0, and reading .item raises RuntimeError
  ("invalid type requested from entry").
* dht_immutable_item_alert: target, item = {key: sha1_hash, value: bytes};
  not found: .item raises RuntimeError the same way.  One alert per get.
* dht_put_alert: target (all zeros for a mutable put), public_key, salt
  (str), seq, signature, num_success.
* Salts reach Python as UTF-8-decoded str; a non-UTF-8 salt makes reading
  .salt raise UnicodeDecodeError (alert_salt() copes).
* A value is stored only if its bencoding is <= 1000 bytes: a byte string
  of 996 bytes works, 997 gets num_success 0.
* listen_port() is the TCP port; if that number is taken for UDP,
  libtorrent silently puts the DHT on another port.
* A get of a target nobody has is as fast as a hit (~0.5 ms): the lookup
  ends when the closest nodes have answered.  But once a node that was in
  the tables is gone, every lookup that asks it waits out the 15.2 s RPC
  timeout (measured: 8 nodes had joined 8 others, put, and quit; on the
  survivors the next three get+put pairs took 15.0-17.0 s each, then 1 ms
  again once the dead nodes were dropped).  No setting shortens that RPC
  timeout.  So external test nodes must outlive the test.

Measured latencies (medians, ms; "ms" of the replies, one op at a time,
random node pairs; lt_bench.py --rounds 60, twice each; 2-core machine)
--------------------------------------------------------------------------
  op                    16 full    64 full    16 known=4  64 known=4
  put_immutable         0.53-0.68  0.66-0.69  0.56-0.69   0.75-0.77
  get_immutable (hit)   0.22-0.25  0.25-0.27  0.23-0.26   0.24-0.24
  get_immutable (miss)  0.35-0.45  0.44-0.48  0.36-0.46   0.51-0.56
  put_mutable           1.23-1.44  1.33-1.43  1.24-1.57   1.35-1.42
  get_mutable (final)   0.63-0.79  0.73-0.78  0.68-0.78   0.77-0.81
  get_mutable (miss)    0.37-0.48  0.48-0.49  0.38-0.49   0.51-0.52
  get_mutable's first (non-authoritative) alert: 0.32-0.41 ms.  p90 stays
  under 2 ms, max under ~8 ms when the machine is quiet.  Everything runs
  in one process over loopback, so this is libtorrent's CPU cost per
  lookup (put_mutable = a get lookup, then signing, then 8 puts).
  On ::1 (lt_bench.py --ipv6, same runs, medians): 16 full 0.63 / 0.26 /
  1.26 / 0.66 ms (put_immutable / get_immutable / put_mutable /
  get_mutable), 64 full 0.67 / 0.23 / 1.17 / 0.61, against 0.48 / 0.20 /
  0.87 / 0.53 and 0.84 / 0.30 / 1.68 / 0.82 on 127.0.0.1 that day: the
  same within the noise.
"""

import argparse
import hashlib
import ipaddress
import json
import os
import queue
import selectors
import sys
import threading
import time
import warnings

import libtorrent as lt
import nacl.exceptions
import nacl.signing

import scout_format

DEFAULT_TIMEOUT_S = 60.0

BASE_SETTINGS = {
    "enable_dht": True,
    "enable_upnp": False,
    "enable_natpmp": False,
    "enable_lsd": False,
    "dht_bootstrap_nodes": "",
    "dht_restrict_routing_ips": False,
    "dht_restrict_search_ips": False,
    "dht_block_ratelimit": 100000,
    "dht_upload_rate_limit": 10 ** 7,
    "alert_mask": (lt.alert.category_t.dht_notification
                   | lt.alert.category_t.error_notification
                   | lt.alert.category_t.status_notification
                   | lt.alert.category_t.stats_notification),
}


# ---------------------------------------------------------------- keys ----

def expanded_secret_key(seed):
    """libtorrent's 64-byte ed25519 secret key for a 32-byte seed.

    libtorrent (orlp ed25519) keeps SHA512(seed) with the scalar clamped,
    not libsodium's seed||public.  Signatures come out identical to
    libsodium's for the same seed (checked in test_lt_node.py)."""
    if len(seed) != 32:
        raise ValueError("seed must be 32 bytes")
    h = bytearray(hashlib.sha512(seed).digest())
    h[0] &= 248
    h[31] &= 63
    h[31] |= 64
    return bytes(h)


def bencode_str(b):
    return str(len(b)).encode() + b":" + b


def mutable_signing_buffer(salt, seq, value):
    buf = b""
    if salt:
        buf += b"4:salt" + bencode_str(salt)
    return buf + b"3:seqi%de1:v" % seq + bencode_str(value)


def verify_mutable(pk, salt, seq, value, sig):
    try:
        nacl.signing.VerifyKey(pk).verify(
            mutable_signing_buffer(salt, seq, value), sig)
        return True
    except (nacl.exceptions.BadSignatureError, ValueError):
        return False


# ------------------------------------------------------------- helpers ----

def parse_hostport(s):
    host, _, port = s.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not port:
        raise ValueError("want HOST:PORT, got %r" % s)
    return host, int(port)


def format_hostport(host, port):
    """"127.0.0.1:P", or "[::1]:P" for an IPv6 host (libtorrent's
    listen_interfaces and Scout both take this form)."""
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def family(host):
    """4 or 6; a name (localhost) counts as IPv4, as libtorrent resolves
    it for an IPv4 socket."""
    try:
        return ipaddress.ip_address(host).version
    except ValueError:
        return 4


def check_family(addrs, host):
    """Refuse (ValueError) addresses the nodes on host cannot reach: a
    session listening only on ::1 has no IPv4 DHT node, and one on
    127.0.0.1 no IPv6 node, so libtorrent would drop them silently."""
    for h, p in addrs:
        if family(h) != family(host):
            raise ValueError("%s is IPv%d, the nodes are on %s" % (
                format_hostport(h, p), family(h), host))


def is_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def alert_salt(a):
    """Salt of a put/mutable-item alert as bytes; None if undecodable.

    The 2.0 binding hands dht_put_alert.salt (and dht_mutable_item_alert
    .salt) out as a UTF-8-decoded str and raises UnicodeDecodeError for
    other bytes; the mutable alert's .item dict has it as bytes."""
    try:
        item = a.item
        if isinstance(item, dict) and isinstance(item.get("salt"), bytes):
            return item["salt"]
    except (RuntimeError, AttributeError):
        pass
    try:
        s = a.salt
    except UnicodeDecodeError:
        return None
    return s if isinstance(s, bytes) else s.encode("utf-8")


def item_value(alert):
    """Raw bytes of a get alert's item, or None if nothing was found."""
    try:
        item = alert.item          # 2.0 binding: dict with 'value' bytes
    except RuntimeError:           # entry is <uninitialized>: not found
        return None
    if isinstance(item, dict):
        v = item.get("value", item.get(b"value"))
    else:
        v = item
    if isinstance(v, str):
        v = v.encode("latin-1")
    return v


class Pending:
    """One outstanding request: waits for alerts matching its key."""

    def __init__(self, req, key, node, on_alert):
        self.req = req
        self.key = key
        self.node = node
        self.on_alert = on_alert   # f(pending, alert) -> reply dict or None
        self.t0 = time.perf_counter()
        timeout = req.get("timeout_s", DEFAULT_TIMEOUT_S)
        self.deadline = self.t0 + float(timeout)
        self.state = {}
        self.done = False

    def ms(self):
        return round((time.perf_counter() - self.t0) * 1000.0, 3)


class Driver:
    def __init__(self, n, first_port, bootstrap, overrides, verbose,
                 host="127.0.0.1"):
        self.verbose = verbose
        self.host = host
        self.out_lock = threading.Lock()
        self.lock = threading.Lock()
        self.pending = {}          # (node, key) -> [Pending] (FIFO)
        self.stopping = threading.Event()
        self.sessions = []
        for i in range(n):
            st = dict(BASE_SETTINGS)
            st.update(overrides)
            port = first_port + i if first_port else 0
            # one listen socket: libtorrent runs one DHT node on it, of
            # its family (BEP 32 for ::1)
            st["listen_interfaces"] = format_hostport(host, port)
            self.sessions.append(lt.session(st))
        self.bootstrap = bootstrap
        # The DHT's address is the UDP socket's.  listen_port() is the TCP
        # one, and libtorrent quietly moves UDP to another port when the
        # TCP port's number is taken for UDP: learn it from the
        # listen_succeeded_alert instead.
        self.udp_ports = [None] * n
        self.listen_errors = []
        self.listening = threading.Event()
        self.selector = selectors.DefaultSelector()
        self.pipes = []
        for i, s in enumerate(self.sessions):
            r, w = os.pipe()
            os.set_blocking(r, False)
            os.set_blocking(w, False)   # libtorrent's thread never blocks
            self.pipes += [r, w]
            self.selector.register(r, selectors.EVENT_READ, i)
            s.set_alert_fd(w)
            os.write(w, b"0")           # drain whatever came before
        self.threads = [threading.Thread(target=self._pump, daemon=True)]
        self.threads[0].start()
        t = threading.Thread(target=self._reaper, daemon=True)
        t.start()
        if not self.listening.wait(10.0) or self.listen_errors:
            raise RuntimeError("listen failed: %s; udp ports %s" % (
                "; ".join(self.listen_errors) or "timeout", self.udp_ports))
        for i, port in enumerate(self.udp_ports):
            if first_port and port != first_port + i:
                raise RuntimeError("node %d: UDP port %d is taken (libtorrent"
                                   " took %s)" % (i, first_port + i, port))
        self.ports = list(self.udp_ports)

    def _listen_alert(self, i, a):
        if isinstance(a, lt.listen_failed_alert):
            self.listen_errors.append("node %d: %s" % (i, a.message()))
            self.listening.set()
        elif a.socket_type == lt.socket_type_t.udp:
            self.udp_ports[i] = a.port
            if all(p is not None for p in self.udp_ports):
                self.listening.set()

    # ------------------------------------------------------- plumbing ----

    def log(self, *a):
        if self.verbose:
            print("lt_node:", *a, file=sys.stderr, flush=True)

    def write(self, obj):
        line = json.dumps(obj, separators=(",", ":"))
        with self.out_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def _register(self, p):
        with self.lock:
            self.pending.setdefault((p.node, p.key), []).append(p)

    def _finish(self, p, reply):
        with self.lock:
            if p.done:
                return
            p.done = True
            lst = self.pending.get((p.node, p.key))
            if lst and p in lst:
                lst.remove(p)
                if not lst:
                    del self.pending[(p.node, p.key)]
        reply.setdefault("ok", True)
        reply.setdefault("ms", p.ms())
        reply["op"] = p.req.get("op")
        if "id" in p.req:
            reply["id"] = p.req["id"]
        if p.req.get("_internal"):
            p.req["_internal"].put(reply)
        else:
            self.write(reply)

    def _pump(self):
        """The one alert thread: wakes on any session's notify pipe.

        Not wait_for_alert(): with one thread per session blocked in it
        (it does release the GIL), 48 sessions segfaulted inside
        wait_for_alert within the first second, every time (40 ran).  The
        binding wraps the alert pointer it returns in a Python object; the
        likely cause is that pointer going stale while libtorrent's thread
        appends alerts.  set_alert_fd() only writes a byte to a pipe from
        libtorrent's thread, and pop_alerts() from one thread is safe: 64
        sessions run clean."""
        while not self.stopping.is_set():
            for key, _ in self.selector.select(0.2):
                i = key.data
                try:
                    while os.read(key.fd, 4096):
                        pass
                except BlockingIOError:
                    pass
                self._drain(i)

    def _drain(self, i):
        for a in self.sessions[i].pop_alerts():
            try:
                self._dispatch(i, a)
            except Exception as e:  # never let the pump thread die
                self.log("node", i, "error handling", type(a).__name__,
                         "%s: %s" % (type(e).__name__, e))

    def _dispatch(self, i, a):
        if isinstance(a, (lt.listen_succeeded_alert, lt.listen_failed_alert)):
            self._listen_alert(i, a)
            return
        key = self._alert_key(a)
        if key is None:
            if not isinstance(a, lt.dht_get_peers_alert):
                self.log("node", i, type(a).__name__, a.message())
            return
        p = self._claim(i, key)
        if p is None:
            self.log("node", i, "unclaimed", type(a).__name__, a.message())
            return
        reply = p.on_alert(p, a)
        if reply is not None:
            self._finish(p, reply)

    @staticmethod
    def _alert_key(a):
        if isinstance(a, lt.dht_put_alert):
            if not a.target.is_all_zeros():
                return ("put_i", str(a.target))
            return ("put_m", bytes(a.public_key), alert_salt(a))
        if isinstance(a, lt.dht_immutable_item_alert):
            return ("get_i", str(a.target))
        if isinstance(a, lt.dht_mutable_item_alert):
            return ("get_m", bytes(a.key), alert_salt(a))
        if isinstance(a, lt.dht_stats_alert):
            return ("stats",)
        if isinstance(a, lt.dht_live_nodes_alert):
            return ("table", str(a.node_id))
        return None

    def _claim(self, i, key):
        """Oldest pending request on node i that this alert key answers."""
        with self.lock:
            lst = self.pending.get((i, key))
            if lst:
                return lst[0]
            if key[0] in ("put_m", "get_m") and key[2] is None:
                # the binding could not decode a non-UTF-8 salt: any
                # request for this key whose salt is not UTF-8
                for (n, k), lst in self.pending.items():
                    if (n == i and k[:2] == key[:2] and lst
                            and not is_utf8(k[2])):
                        return lst[0]
        return None

    def _reaper(self):
        while not self.stopping.wait(0.1):
            now = time.perf_counter()
            with self.lock:
                late = [p for lst in self.pending.values() for p in lst
                        if p.deadline < now]
            for p in late:
                r = {"ok": False, "error": "timeout"}
                r.update(p.state.get("partial", {}))
                r["ok"] = False
                self._finish(p, r)

    # ---------------------------------------------------- operations ----

    def node_index(self, req):
        i = req.get("node", 0)
        if not isinstance(i, int) or not 0 <= i < len(self.sessions):
            raise ValueError("node must be 0..%d" % (len(self.sessions) - 1))
        return i

    def op_put_immutable(self, req):
        i = self.node_index(req)
        value = bytes.fromhex(req.get("value_hex", ""))
        target = hashlib.sha1(bencode_str(value)).hexdigest()

        def on_alert(p, a):
            n = a.num_success
            r = {"target": target, "num_success": n, "ok": n > 0}
            if n == 0:
                r["error"] = "no node accepted the put"
            return r
        p = Pending(req, ("put_i", target), i, on_alert)
        self._register(p)
        got = str(self.sessions[i].dht_put_immutable_item(value))
        if got != target:   # cannot happen unless the binding changes
            self._finish(p, {"ok": False, "error":
                             "libtorrent target %s != %s" % (got, target)})

    def op_get_immutable(self, req, post=None):
        i = self.node_index(req)
        target = req["target"].lower()
        raw = bytes.fromhex(target)
        if len(raw) != 20:
            raise ValueError("target must be 40 hex digits")

        def on_alert(p, a):
            v = item_value(a)
            if v is None:
                r = {"found": False, "target": target}
            else:
                r = {"found": True, "target": target, "value_hex": v.hex()}
            return post(r, v) if post else r
        p = Pending(req, ("get_i", target), i, on_alert)
        self._register(p)
        self.sessions[i].dht_get_immutable_item(lt.sha1_hash(raw))

    def op_put_mutable(self, req):
        i = self.node_index(req)
        seed = bytes.fromhex(req["seed_hex"])
        value = bytes.fromhex(req.get("value_hex", ""))
        salt = bytes.fromhex(req.get("salt_hex", ""))
        sk = expanded_secret_key(seed)
        pk = bytes(nacl.signing.SigningKey(seed).verify_key)

        def on_alert(p, a):
            n = a.num_success
            r = {"seq": a.seq, "public_key_hex": pk.hex(),
                 "salt_hex": salt.hex(),
                 "target": hashlib.sha1(pk + salt).hexdigest(),
                 "signature_hex": bytes(a.signature).hex(),
                 "num_success": n, "ok": n > 0}
            if n == 0:
                r["error"] = "no node accepted the put"
            return r
        p = Pending(req, ("put_m", pk, salt), i, on_alert)
        self._register(p)
        self.sessions[i].dht_put_mutable_item(sk, pk, value, salt)

    def op_get_mutable(self, req, post=None):
        i = self.node_index(req)
        pk = bytes.fromhex(req["public_key_hex"])
        salt = bytes.fromhex(req.get("salt_hex", ""))
        if len(pk) != 32:
            raise ValueError("public key must be 32 bytes")
        first_only = bool(req.get("first"))

        def on_alert(p, a):
            st = p.state
            st["alerts"] = st.get("alerts", 0) + 1
            st.setdefault("first_ms", p.ms())
            v = item_value(a)
            if v is None:
                r = {"found": False}
            else:
                sig = bytes(a.signature)
                r = {"found": True, "value_hex": v.hex(), "seq": a.seq,
                     "signature_hex": sig.hex(),
                     "sig_ok": verify_mutable(pk, salt, a.seq, v, sig)}
            r.update(authoritative=bool(a.authoritative),
                     first_ms=st["first_ms"], alerts=st["alerts"],
                     target=hashlib.sha1(pk + salt).hexdigest())
            st["partial"] = r
            if a.authoritative or first_only:
                return post(r, v) if post else r
            return None
        p = Pending(req, ("get_m", pk, salt), i, on_alert)
        self._register(p)
        self.sessions[i].dht_get_mutable_item(pk, salt)

    # Scout's formats, built and read by scout_format.py (an implementation
    # independent of the Go core), stored and fetched by libtorrent.

    def op_put_scout_entries(self, req):
        """{"shared_hex", "entries": [{"id","seq","value_hex"}]}: seal the
        list with the shared secret and store it as libtorrent's mutable
        item signed with the key seeded by the secret."""
        shared = bytes.fromhex(req["shared_hex"])
        entries = [(e["id"], e["seq"], bytes.fromhex(e["value_hex"]))
                   for e in req["entries"]]
        sealed = scout_format.seal(shared, scout_format.serialize_entries(entries))
        self.op_put_mutable(dict(req, seed_hex=shared.hex(), value_hex=sealed.hex()))

    def op_get_scout_entries(self, req):
        """{"shared_hex"}: fetch the mutable item, open it, parse the
        entries -> {"found", "seq", "entries": [...]} or an error."""
        shared = bytes.fromhex(req["shared_hex"])
        pk = scout_format.signing_public_key(shared)

        def post(r, v):
            if not r.get("found"):
                return r
            try:
                entries, _ = scout_format.parse_entries(scout_format.open_sealed(shared, v))
            except scout_format.FormatError as e:
                return dict(r, ok=False, error="scout format: %s" % e)
            return dict(r, entries=[{"id": i, "seq": q, "value_hex": b.hex()}
                                    for i, q, b in entries])
        self.op_get_mutable(dict(req, public_key_hex=pk.hex()), post)

    def op_put_scout_message(self, req):
        """{"next_hex", "message_hex"}: store a message blob as an
        immutable item; the reply's target is the list's new head."""
        blob = scout_format.encode_message(bytes.fromhex(req["next_hex"]),
                                           bytes.fromhex(req["message_hex"]))
        self.op_put_immutable(dict(req, value_hex=blob.hex()))

    def op_get_scout_message(self, req):
        """{"target"}: fetch a message blob and parse it ->
        {"found", "message_hex", "next_hex"}."""
        def post(r, v):
            if not r.get("found"):
                return r
            try:
                msg, nxt = scout_format.parse_message(v)
            except scout_format.FormatError as e:
                return dict(r, ok=False, error="scout format: %s" % e)
            return dict(r, message_hex=msg.hex(), next_hex=nxt.hex())
        self.op_get_immutable(req, post)

    def collect_stats(self, timeout_s=10.0):
        """Routing-table sizes of every node (blocks; via the pumps)."""
        q = queue.Queue()
        ps = []
        for i, s in enumerate(self.sessions):
            def on_alert(p, a, i=i):
                rt = a.routing_table
                return {"node": i,
                        "nodes": sum(b["num_nodes"] for b in rt),
                        "replacements": sum(b["num_replacements"]
                                            for b in rt),
                        "active": len(a.active_requests)}
            p = Pending({"op": "stats", "_internal": q,
                         "timeout_s": timeout_s}, ("stats",), i, on_alert)
            self._register(p)
            ps.append(p)
            s.post_dht_stats()
        res = [None] * len(self.sessions)
        for _ in ps:
            r = q.get()
            if r.get("ok"):
                res[r["node"]] = r
        return res

    def op_stats(self, req):
        t0 = time.perf_counter()
        res = self.collect_stats(float(req.get("timeout_s", 10.0)))
        reply = {
            "ok": all(r is not None for r in res),
            "table_sizes": [r and r["nodes"] for r in res],
            "replacements": [r and r["replacements"] for r in res],
            "active_lookups": [r and r["active"] for r in res],
            "ms": round((time.perf_counter() - t0) * 1000.0, 3),
            "op": "stats"}
        if "id" in req:
            reply["id"] = req["id"]
        self.write(reply)

    def node_id(self, i):
        """Node i's DHT node id (hex).  The binding has no other way to it
        than the deprecated dht_state(): {b"node-id": [20-byte id +
        the listen address's bytes, one per DHT node], b"nodes": ...}."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ids = self.sessions[i].dht_state()[b"node-id"]
        if not ids:
            raise ValueError("node %d has no DHT node" % i)
        return ids[0][:20].hex()

    def op_table(self, req):
        i = self.node_index(req)
        nid = self.node_id(i)

        def on_alert(p, a):
            return {"node_id": nid,
                    "nodes": sorted(format_hostport(*n["endpoint"])
                                    for n in a.nodes)}
        p = Pending(req, ("table", nid), i, on_alert)
        self._register(p)
        self.sessions[i].dht_live_nodes(lt.sha1_hash(bytes.fromhex(nid)))

    def add_nodes(self, addrs):
        check_family(addrs, self.host)
        for s in self.sessions:
            for a in addrs:
                s.add_dht_node(a)

    def refresh(self, timeout_s=30.0):
        """One lookup of a random target per node (learns neighbours)."""
        q = queue.Queue()
        for i, s in enumerate(self.sessions):
            raw = os.urandom(20)
            target = raw.hex()
            p = Pending({"op": "refresh", "_internal": q,
                         "timeout_s": timeout_s}, ("get_i", target), i,
                        lambda p, a: {})
            self._register(p)
            s.dht_get_immutable_item(lt.sha1_hash(raw))
        for _ in self.sessions:
            q.get()

    def op_add_nodes(self, req):
        t0 = time.perf_counter()
        addrs = [parse_hostport(x) for x in req.get("nodes", [])]
        self.add_nodes(addrs)
        reply = {"ok": True, "op": "add_nodes", "added": len(addrs)}
        if req.get("refresh"):
            time.sleep(0.2)     # let the pings come back first
            self.refresh()
            res = self.collect_stats()
            reply["table_sizes"] = [r and r["nodes"] for r in res]
        reply["ms"] = round((time.perf_counter() - t0) * 1000.0, 3)
        if "id" in req:
            reply["id"] = req["id"]
        self.write(reply)

    # ------------------------------------------------------- startup ----

    def wait_ready(self, timeout_s, known=0):
        """Introduce the nodes to each other; wait for full tables.

        known=0: every node add_dht_node()s every other node (a full mesh:
        lookups then take one round).  known=K: node i is told only the K
        next nodes on a ring (i+1..i+K), so lookups need several hops, more
        like a real swarm; ready when every table holds K nodes."""
        t0 = time.perf_counter()
        n = len(self.sessions)
        own = [(self.host, p) for p in self.ports]
        k = n - 1 if known <= 0 else min(known, n - 1)
        intro = [[own[(i + d) % n] for d in range(1, k + 1)]
                 for i in range(n)]
        for i, s in enumerate(self.sessions):
            for a in intro[i]:
                s.add_dht_node(a)
        if self.bootstrap:
            self.add_nodes(self.bootstrap)
        want = k
        sizes = []
        complete = False
        tries = 0
        while True:
            res = self.collect_stats()
            sizes = [r["nodes"] if r else 0 for r in res]
            if min(sizes) >= want:
                complete = True
                break
            if time.perf_counter() - t0 > timeout_s:
                break
            tries += 1
            if tries % 8 == 0:  # nudge: ask again (lost pings on a busy box)
                for i, s in enumerate(self.sessions):
                    if sizes[i] < want:
                        for a in intro[i]:
                            s.add_dht_node(a)
            time.sleep(0.05)
        if self.bootstrap:
            self.refresh()
            res = self.collect_stats()
            sizes = [r["nodes"] if r else 0 for r in res]
        return {"ready": True,
                "nodes": [format_hostport(h, p) for h, p in own],
                "table_sizes": sizes, "complete": complete,
                "family": "ipv%d" % family(self.host),
                "ms": round((time.perf_counter() - t0) * 1000.0, 3)}

    # ---------------------------------------------------------- loop ----

    def handle(self, line):
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("request must be a JSON object")
        except ValueError as e:
            self.write({"ok": False, "error": "bad json: %s" % e})
            return True
        op = req.get("op")
        try:
            if op == "quit":
                # let requests already sent finish (bounded), then go
                t0 = time.perf_counter()
                while self.pending and time.perf_counter() - t0 < 20.0:
                    time.sleep(0.005)
                r = {"ok": True, "op": "quit",
                     "ms": round((time.perf_counter() - t0) * 1000.0, 3)}
                if "id" in req:
                    r["id"] = req["id"]
                self.write(r)
                return False
            fn = getattr(self, "op_" + str(op), None)
            if fn is None:
                raise ValueError("unknown op %r" % op)
            if op in ("stats", "add_nodes"):
                # these block on alerts: run off the reading thread
                threading.Thread(target=self._guard, args=(fn, req),
                                 daemon=True).start()
            else:
                fn(req)
        except (KeyError, ValueError, TypeError) as e:
            r = {"ok": False, "op": op, "error": "%s: %s"
                 % (type(e).__name__, e), "ms": 0.0}
            if "id" in req:
                r["id"] = req["id"]
            self.write(r)
        return True

    def _guard(self, fn, req):
        try:
            fn(req)
        except Exception as e:  # report, never kill the driver
            r = {"ok": False, "op": req.get("op"), "error": "%s: %s"
                 % (type(e).__name__, e), "ms": 0.0}
            if "id" in req:
                r["id"] = req["id"]
            self.write(r)

    def shutdown(self):
        self.stopping.set()
        for t in self.threads:
            t.join(1.0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=8)
    ap.add_argument("--bootstrap", default="",
                    help="HOST:PORT[,...] external nodes to join")
    ap.add_argument("--port", type=int, default=0,
                    help="first port (node i gets port+i); default ephemeral")
    ap.add_argument("--ipv6", action="store_true",
                    help="nodes on ::1 (an IPv6 DHT, BEP 32), not 127.0.0.1")
    ap.add_argument("--ready-timeout", type=float, default=20.0)
    ap.add_argument("--known", type=int, default=0, metavar="K",
                    help="tell each node only K others (ring); default all")
    ap.add_argument("--set", action="append", default=[], metavar="K=V",
                    help="override a libtorrent setting (for experiments)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    overrides = {}
    for kv in args.set:
        k, _, v = kv.partition("=")
        if v in ("True", "true", "False", "false"):
            overrides[k] = v.lower() == "true"
        else:
            try:
                overrides[k] = int(v)
            except ValueError:
                overrides[k] = v
    bootstrap = [parse_hostport(x) for x in args.bootstrap.split(",")
                 if x.strip()]
    for h, _ in bootstrap:
        if not (h.startswith("127.") or h in ("localhost", "::1")):
            sys.exit("lt_node: loopback only, refusing bootstrap %s" % h)
    host = "::1" if args.ipv6 else "127.0.0.1"
    try:
        check_family(bootstrap, host)
    except ValueError as e:
        sys.exit("lt_node: --bootstrap: %s" % e)
    if args.nodes < 1:
        sys.exit("lt_node: --nodes must be >= 1")

    try:
        d = Driver(args.nodes, args.port, bootstrap, overrides, args.verbose,
                   host)
    except Exception as e:   # e.g. port taken: tell the client, then go
        print(json.dumps({"ready": False, "error": "%s: %s"
                          % (type(e).__name__, e)}), flush=True)
        os._exit(1)
    d.write(d.wait_ready(args.ready_timeout, args.known))
    try:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            if not d.handle(line):
                break
    except KeyboardInterrupt:
        pass
    d.shutdown()
    sys.stdout.flush()
    # libtorrent's session destructors can take a while (they say goodbye
    # to the network); nothing is left to save, so leave at once.
    os._exit(0)


if __name__ == "__main__":
    main()
