"""Python client for lt_node.py (used by test_lt_node.py and lt_bench.py).

    with LtDriver(nodes=16) as d:
        r = d.call("put_immutable", node=0, value_hex=b"hi".hex())

Replies are matched to requests by "id", so calls may be issued from
several threads at once (the driver answers out of order)."""

import itertools
import json
import os
import queue
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
LT_NODE = os.path.join(HERE, "lt_node.py")
# Debian's interpreter: python3-libtorrent and python3-nacl live there, not
# in whatever python3 comes first on PATH.
PYTHON = os.environ.get("LT_PYTHON", "/usr/bin/python3")


class DriverError(Exception):
    pass


class LtDriver:
    def __init__(self, nodes=8, bootstrap=None, port=None, extra_args=(),
                 ready_timeout=60.0, ipv6=False):
        args = [PYTHON, LT_NODE, "--nodes", str(nodes)]
        self.ipv6 = ipv6
        if ipv6:
            args.append("--ipv6")
        if bootstrap:
            args += ["--bootstrap", ",".join(bootstrap)]
        if port:
            args += ["--port", str(port)]
        args += list(extra_args)
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=sys.stderr, text=True, bufsize=1)
        self._ids = itertools.count(1)
        self._waiters = {}
        self._lock = threading.Lock()
        self._ready = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.ready = self._ready.get(timeout=ready_timeout)
        except queue.Empty:
            self.close()
            raise DriverError("lt_node.py not ready in %ss" % ready_timeout)
        if self.ready is None or not self.ready.get("ready"):
            why = (self.ready or {}).get("error", "")
            raise DriverError("lt_node.py failed to start (rc=%s) %s"
                              % (self.proc.wait(), why))
        self.nodes = self.ready["nodes"]

    def _read(self):
        for line in self.proc.stdout:
            msg = json.loads(line)
            if "ready" in msg and "op" not in msg:
                self._ready.put(msg)
                continue
            with self._lock:
                q = self._waiters.pop(msg.get("id"), None)
            if q is not None:
                q.put(msg)
        self._ready.put(None)
        with self._lock:
            waiters, self._waiters = self._waiters, {}
        for q in waiters.values():
            q.put(None)

    def send(self, op, **kw):
        """Send one request; returns a queue that gets the reply."""
        rid = next(self._ids)
        q = queue.Queue(1)
        with self._lock:
            self._waiters[rid] = q
        kw.update(op=op, id=rid)
        self.proc.stdin.write(json.dumps(kw) + "\n")
        self.proc.stdin.flush()
        return q

    def call(self, op, timeout=90.0, **kw):
        q = self.send(op, **kw)
        try:
            r = q.get(timeout=timeout)
        except queue.Empty:
            raise DriverError("no reply to %s in %ss" % (op, timeout))
        if r is None:
            raise DriverError("lt_node.py exited during %s" % op)
        return r

    def close(self, timeout=10.0):
        if self.proc.poll() is None:
            try:
                self.call("quit", timeout=timeout)
            except (DriverError, BrokenPipeError, OSError):
                pass
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

