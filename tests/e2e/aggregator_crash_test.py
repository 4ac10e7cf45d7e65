"""Crash and fault tests for steady aggregator: nothing acknowledged is ever lost.

crash: sustained PackedForward load with acks from several connections; the aggregator is
killed with SIGKILL at random moments five times and restarted on the same disk buffer; at the
end every acknowledged record must be in the store (duplicates are allowed, counted, reported).

fault: the store is `steady region`'s S3, which is killed for a while under load and started
again on the same state; the aggregator keeps acking into its disk buffer up to --max-buffer,
then stops reading (clients block) with bounded memory; once S3 is back every acknowledged
record is uploaded.
"""

import gzip
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import msgpack

STEADY = os.environ.get("STEADY_BIN", "build/default/steady")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(what + " exited early")
            time.sleep(0.05)
    raise RuntimeError(what + " did not start")


def start_aggregator(tmp, port, store, extra=(), env=None):
    log = open(os.path.join(tmp, "aggregator.log"), "a")
    p = subprocess.Popen([STEADY, "aggregator", "--listen", f"127.0.0.1:{port}",
                          "--metrics-listen", "127.0.0.1:0", "--store", store,
                          "--buffer-dir", os.path.join(tmp, "buffer"), "--grace", "1s", *extra],
                         stdout=log, stderr=subprocess.STDOUT, env=env)
    wait_port(port, p, "aggregator")
    return p


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sender(threading.Thread):
    """One client connection: PackedForward messages of `batch` records, each with a chunk id,
    acks awaited one message at a time. Reconnects when the server goes away; records of a
    message count as acknowledged only once its ack arrived."""

    def __init__(self, port, name, batch=200, family="crash"):
        super().__init__(daemon=True)
        self.port, self.name, self.batch, self.family = port, name, batch, family
        self.acked = []
        self.stop = threading.Event()
        self.seq = 0
        self.blocked_since = None

    def message(self, seq0):
        now = int(time.time())
        entries = b"".join(
            msgpack.packb([msgpack.ExtType(0, now.to_bytes(4, "big") + (i * 1000).to_bytes(4, "big")),
                           {"log": f"{self.name}-{seq0 + i}", "source": "stdout",
                            "com.amazonaws.ecs.task-definition-family": self.family,
                            "com.amazonaws.ecs.container-name": "app",
                            "com.amazonaws.ecs.task-arn": "arn:aws:ecs:us-east-1:1:task/c/t1",
                            "com.amazonaws.ecs.cluster": "c", "pad": os.urandom(120).hex()}])
            for i in range(self.batch))
        chunk = f"{self.name}-{seq0}"
        return chunk, msgpack.packb([f"{self.family}.app", entries,
                                     {"size": self.batch, "chunk": chunk}], use_bin_type=True)

    def run(self):
        sock = None
        while not self.stop.is_set():
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                    sock.settimeout(30)
                chunk, msg = self.message(self.seq)
                sock.sendall(msg)
                self.blocked_since = time.time()
                ack = msgpack.unpackb(sock.recv(256), raw=False)
                self.blocked_since = None
                if ack != {"ack": chunk}:
                    raise OSError("bad ack %r" % (ack,))
                self.acked.extend(range(self.seq, self.seq + self.batch))
                self.seq += self.batch
            except (OSError, ValueError, msgpack.exceptions.ExtraData):
                self.blocked_since = None
                if sock is not None:
                    sock.close()
                sock = None
                self.seq += self.batch  # the unacked message's records may or may not be stored
                time.sleep(0.05)
        if sock is not None:
            sock.close()


def stored_logs(store):
    seen = {}
    for root, _, files in os.walk(store):
        for f in files:
            with gzip.open(os.path.join(root, f), "rt") as g:
                for line in g:
                    log = json.loads(line)["log"]
                    seen[log] = seen.get(log, 0) + 1
    return seen


def verify(senders, seen, what):
    missing = 0
    total = 0
    for s in senders:
        for i in s.acked:
            total += 1
            if f"{s.name}-{i}" not in seen:
                missing += 1
    dups = sum(n - 1 for n in seen.values() if n > 1)
    print(f"{what}: {total} acknowledged records, {missing} missing, {dups} duplicates stored")
    check(total > 0, f"{what}: records were acknowledged")
    check(missing == 0, f"{what}: every acknowledged record is in the store")


def crash_test():
    tmp = tempfile.mkdtemp(prefix="steady-agg-crash-")
    store = os.path.join(tmp, "store")
    port = free_port()
    agg = start_aggregator(tmp, port, store)
    senders = [Sender(port, f"s{i}") for i in range(4)]
    for s in senders:
        s.start()
    rnd = random.Random(7)
    for round_ in range(5):
        time.sleep(rnd.uniform(0.5, 1.5))
        agg.send_signal(signal.SIGKILL)
        agg.wait()
        agg = start_aggregator(tmp, port, store)
    time.sleep(1)
    for s in senders:
        s.stop.set()
    for s in senders:
        s.join(timeout=30)
    agg.send_signal(signal.SIGTERM)
    check(agg.wait(timeout=60) == 0, "crash: SIGTERM after the crashes exits 0")
    verify(senders, stored_logs(store), "crash (5 x SIGKILL)")


def fault_test():
    tmp = tempfile.mkdtemp(prefix="steady-agg-fault-")
    rport = free_port()
    state = os.path.join(tmp, "region")
    region_log = open(os.path.join(tmp, "region.log"), "a")

    def start_region():
        p = subprocess.Popen([STEADY, "region", "--listen", f"127.0.0.1:{rport}", "--state", state],
                             stdout=region_log, stderr=subprocess.STDOUT)
        wait_port(rport, p, "region")
        return p

    region = start_region()
    env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{rport}", AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
    env.pop("AWS_PROFILE", None)
    subprocess.run([STEADY, "region", "apply", "/dev/stdin", "--endpoint", f"http://127.0.0.1:{rport}"],
                   input="buckets:\n  - name: logs\n", text=True, check=True, capture_output=True)
    port = free_port()
    agg = start_aggregator(tmp, port, "s3://logs/fault", extra=("--max-buffer", "8MiB"), env=env)
    senders = [Sender(port, f"f{i}", family="fault") for i in range(3)]
    for s in senders:
        s.start()
    time.sleep(1.5)
    region.send_signal(signal.SIGKILL)
    region.wait()
    outage_start = time.time()
    peak_rss = 0
    blocked = False
    while time.time() - outage_start < 8:
        peak_rss = max(peak_rss, rss_kib(agg.pid))
        blocked |= all(s.blocked_since and time.time() - s.blocked_since > 1 for s in senders)
        time.sleep(0.2)
    acked_during = sum(len(s.acked) for s in senders)
    check(blocked, "fault: with S3 down and the buffer full, the aggregator stops acking (clients wait)")
    check(peak_rss < 100 * 1024, f"fault: memory bounded during the outage (peak RSS {peak_rss // 1024} MiB)")
    region = start_region()
    time.sleep(4)
    for s in senders:
        s.stop.set()
    for s in senders:
        s.join(timeout=60)
    agg.send_signal(signal.SIGTERM)
    check(agg.wait(timeout=90) == 0, "fault: SIGTERM exits 0 once S3 is back")
    # Read the objects back from the region's S3 with botocore (the reference client).
    import botocore.session
    sess = botocore.session.get_session()
    s3 = sess.create_client("s3", endpoint_url=f"http://127.0.0.1:{rport}", region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")
    seen = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="logs", Prefix="fault/"):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket="logs", Key=obj["Key"])["Body"].read()
            for line in gzip.decompress(body).decode().splitlines():
                log = json.loads(line)["log"]
                seen[log] = seen.get(log, 0) + 1
    print(f"fault: {acked_during} records acknowledged before/during the outage")
    verify(senders, seen, "fault (S3 down 8 s)")
    region.send_signal(signal.SIGTERM)
    region.wait(timeout=30)


def main():
    crash_test()
    fault_test()
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
