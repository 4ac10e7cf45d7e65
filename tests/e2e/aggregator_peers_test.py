"""steady aggregator against real Forward-protocol clients nobody here wrote.

- Debian's python3-fluent-logger (Message mode, EventTime with nanosecond precision);
- npm's @fluent-org/logger in all four event modes with acks, and with shared-key and
  username/password authentication;
then SIGTERM (which must flush every open slice and exit 0), and every stored object is read
back line by line and compared with what was sent: keys in the service-logs layout, field
order, routing by ECS labels / FireLens fields / fallback. Also: UDP heartbeat, a malformed
frame closing only its own connection, a failed handshake refused and counted.
"""

import gzip
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

STEADY = os.environ.get("STEADY_BIN", "build/default/steady")
SRC = os.environ.get("STEADY_SOURCE_DIR", os.getcwd())
NODE_MODULES = os.path.join(SRC, "tools", "node_modules")

failures = []


def check(cond, what):
    if cond:
        print("ok  ", what)
    else:
        print("FAIL", what)
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Aggregator:
    def __init__(self, tmp, *extra):
        self.port = free_port()
        self.mport = free_port()
        self.store = os.path.join(tmp, "store")
        self.buffer = os.path.join(tmp, "buffer")
        self.log = open(os.path.join(tmp, "aggregator.log"), "w+")
        self.proc = subprocess.Popen(
            [STEADY, "aggregator", "--listen", f"127.0.0.1:{self.port}",
             "--metrics-listen", f"127.0.0.1:{self.mport}", "--store", self.store,
             "--buffer-dir", self.buffer, "--grace", "1s", *extra],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.log.seek(0)
        raise RuntimeError("aggregator did not start:\n" + self.log.read())

    def metric(self, name):
        body = urllib.request.urlopen(f"http://127.0.0.1:{self.mport}/metrics").read().decode()
        total = 0.0
        for line in body.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        self.log.seek(0)
        return rc, self.log.read()

    def objects(self):
        """{key: [json objects]} for every stored object."""
        out = {}
        for root, _, files in os.walk(self.store):
            for f in files:
                path = os.path.join(root, f)
                key = os.path.relpath(path, self.store)
                with gzip.open(path, "rt", encoding="utf-8") as g:
                    out[key] = [json.loads(line) for line in g if line.strip()]
        return out


KEY_RE = re.compile(
    r"^service-logs/([A-Za-z0-9._-]+)/([A-Za-z0-9._-]+)/(\d{4})/(\d{2})/(\d{2})/"
    r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})_(\d+)_([0-9a-f-]{36})\.gz$")
FIXED = ["time", "log", "source", "container_id", "task_id", "task_arn", "family", "container",
         "cluster"]


def check_layout(objects):
    ok_keys = all(KEY_RE.match(k) for k in objects)
    check(ok_keys, "every key follows <prefix>/<family>/<container>/%Y/%m/%d/%Y%m%d%H%M_<index>_<uuid>.gz")
    if not ok_keys:
        print([k for k in objects if not KEY_RE.match(k)][:5])
    order_ok = all(list(rec.keys())[:len(FIXED)] == FIXED
                   for recs in objects.values() for rec in recs)
    check(order_ok, "every line starts with time, log, source, container_id, task_id, task_arn, family, container, cluster")
    time_ok = all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", rec["time"])
                  for recs in objects.values() for rec in recs)
    check(time_ok, "time is RFC 3339 UTC with nanoseconds")
    # The key's minute is the events' minute.
    minute_ok = True
    for k, recs in objects.items():
        m = KEY_RE.match(k)
        if not m:
            continue
        stamp = "%s-%s-%sT%s:%s" % (m.group(6), m.group(7), m.group(8), m.group(9), m.group(10))
        minute_ok &= all(r["time"].startswith(stamp) for r in recs)
    check(minute_ok, "objects slice by event time (each object holds one minute)")


def python_client(agg):
    from fluent import sender
    base = int(time.time()) - 5
    s = sender.FluentSender("docker", host="127.0.0.1", port=agg.port,
                            nanosecond_precision=True)
    sent = {}
    for i in range(600):
        kind = i % 3
        rec = {"log": f"py-{i} hello \"world\" \u00e9\t", "source": "stdout",
               "container_id": "c%04d" % i}
        if kind == 0:  # Docker fluentd driver with ECS labels
            rec.update({
                "container_name": "/ecs-web-3-app-0001",
                "com.amazonaws.ecs.cluster": "prod",
                "com.amazonaws.ecs.container-name": "app",
                "com.amazonaws.ecs.task-arn": "arn:aws:ecs:us-east-1:123456789012:task/prod/abc%02d" % (i % 4),
                "com.amazonaws.ecs.task-definition-family": "web",
                "custom": {"n": i, "ok": True},
            })
        elif kind == 1:  # FireLens
            rec.update({
                "container_name": "worker",
                "ecs_cluster": "batch",
                "ecs_task_arn": "arn:aws:ecs:us-east-1:123456789012:task/batch/def%02d" % (i % 3),
                "ecs_task_definition": "jobs:7",
            })
        ts = base + i * 0.001 + 0.000000123
        check_emit = s.emit_with_time("app.%d" % kind, ts, rec)
        rec = dict(rec, _ts=ts)
        if not check_emit:
            failures.append("python emit failed: %r" % s.last_error)
        sent[rec["log"]] = (kind, rec)
    s.close()
    return sent


def verify_python(objects, sent):
    got = {}
    for key, recs in objects.items():
        for r in recs:
            if r.get("log", "") and r["log"].startswith("py-"):
                got[r["log"]] = (key, r)
    check(len(got) == len(sent), f"python-fluent-logger: {len(got)}/{len(sent)} records stored")
    ok_route = True
    for log, (kind, rec) in sent.items():
        if log not in got:
            ok_route = False
            continue
        key, r = got[log]
        if kind == 0:
            ok_route &= key.startswith("service-logs/web/app/")
            ok_route &= r["task_id"] == rec["com.amazonaws.ecs.task-arn"].rsplit("/", 1)[1]
            ok_route &= r["cluster"] == "prod" and r["family"] == "web" and r["container"] == "app"
            ok_route &= r.get("custom") == {"n": rec["custom"]["n"], "ok": True}
            ok_route &= r.get("container_name") == "/ecs-web-3-app-0001"
            ok_route &= "com.amazonaws.ecs.cluster" not in r
        elif kind == 1:
            ok_route &= key.startswith("service-logs/jobs/worker/")
            ok_route &= r["cluster"] == "batch" and r["family"] == "jobs"
            ok_route &= r["task_arn"] == rec["ecs_task_arn"]
        else:
            ok_route &= key.startswith("service-logs/_unrouted/docker.app.2/")
            ok_route &= r["family"] is None and r["task_id"] is None
        ok_route &= r["source"] == "stdout" and r["container_id"] == rec["container_id"]
        ok_route &= r["time"][:19] == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(rec["_ts"])))
    check(ok_route, "python-fluent-logger: routes, fields and nanosecond times as sent")


NODE_SCRIPT = r"""
const { FluentClient, EventTime } = require("@fluent-org/logger");
const [port, mode, n, prefix, key, user, pass] = process.argv.slice(2);
const opts = { socket: { host: "127.0.0.1", port: Number(port), timeout: 5000 },
               eventMode: mode, ack: { ackTimeout: 20000 } };
if (key) opts.security = { clientHostname: "node-client", sharedKey: key,
                           username: user || "", password: pass || "" };
if (process.env.TLS_CA) opts.socket.tls = { ca: require("fs").readFileSync(process.env.TLS_CA) };
const logger = new FluentClient("node", opts);
(async () => {
  const base = Math.floor(Date.now() / 1000) - 5;
  const all = [];
  for (let i = 0; i < Number(n); i++) {
    all.push(logger.emit("app", {
      log: `${prefix}-${i}`, source: "stderr", container_id: "n" + i,
      "com.amazonaws.ecs.cluster": "prod", "com.amazonaws.ecs.container-name": "api",
      "com.amazonaws.ecs.task-arn": "arn:aws:ecs:us-east-1:1:task/prod/t" + (i % 2),
      "com.amazonaws.ecs.task-definition-family": "svc-" + mode,
    }, new EventTime(base + (i % 3), i * 1000)));
  }
  await Promise.all(all);
  await logger.disconnect();
  console.log("acked " + n);
})().catch((e) => { console.error("node client failed: " + e); process.exit(1); });
"""


def node_client(tmp, agg, mode, n, prefix, key="", user="", password="", tls_ca=None):
    script = os.path.join(tmp, "client.js")
    with open(script, "w") as f:
        f.write(NODE_SCRIPT)
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    if tls_ca:
        env["TLS_CA"] = tls_ca
    p = subprocess.run(["node", script, str(agg.port), mode, str(n), prefix, key, user, password],
                       env=env, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def verify_node(objects, prefix, n, mode):
    got = [(k, r) for k, recs in objects.items() for r in recs
           if isinstance(r.get("log"), str) and r["log"].startswith(prefix + "-")]
    logs = sorted(r["log"] for _, r in got)
    check(len(set(logs)) == n, f"@fluent-org/logger {mode}: {len(set(logs))}/{n} acked records stored")
    check(all(k.startswith(f"service-logs/svc-{mode}/api/") for k, _ in got),
          f"@fluent-org/logger {mode}: routed by the ECS labels")


def raw_checks(agg):
    # UDP heartbeat: any datagram is answered with one NUL byte.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    u.sendto(b"\x00", ("127.0.0.1", agg.port))
    try:
        data, _ = u.recvfrom(16)
        check(data == b"\x00", "UDP heartbeat answered")
    except socket.timeout:
        check(False, "UDP heartbeat answered")
    # A malformed frame closes that connection only.
    good = socket.create_connection(("127.0.0.1", agg.port))
    bad = socket.create_connection(("127.0.0.1", agg.port))
    bad.sendall(b"\x93\xc1garbage")  # 0xc1 is never used in msgpack
    bad.settimeout(5)
    try:
        closed = bad.recv(16) == b""
    except OSError:
        closed = True
    check(closed, "malformed frame: connection closed")
    # The other connection still works: Message mode with a chunk is acked byte for byte.
    import msgpack
    good.sendall(msgpack.packb(["raw.tag", int(time.time()), {"log": "raw-1"},
                                {"chunk": "Y2h1bmsK\n"}]))
    good.settimeout(5)
    ack = good.recv(64)
    check(ack == msgpack.packb({"ack": "Y2h1bmsK\n"}), "other connection unaffected, ack echoes the chunk byte for byte")
    good.close()
    check(agg.metric("steady_aggregator_malformed_messages_total") >= 1, "malformed frame counted")


def main():
    tmp = tempfile.mkdtemp(prefix="steady-agg-e2e-")
    agg = Aggregator(tmp)
    try:
        sent = python_client(agg)
        for mode in ["Message", "Forward", "PackedForward", "CompressedPackedForward"]:
            rc, out = node_client(tmp, agg, mode, 300, "node-" + mode)
            check(rc == 0, f"@fluent-org/logger {mode} with acks: {out.strip()[-200:]}")
        raw_checks(agg)
    finally:
        rc, log = agg.stop()
    check(rc == 0, "SIGTERM: exit 0 after flushing")
    leftover = [f for _, _, fs in os.walk(agg.buffer) for f in fs if f != ".lock"]
    check(not leftover, f"SIGTERM: nothing left in the disk buffer ({leftover[:3]})")
    objects = agg.objects()
    check_layout(objects)
    verify_python(objects, sent)
    for mode in ["Message", "Forward", "PackedForward", "CompressedPackedForward"]:
        verify_node(objects, "node-" + mode, 300, mode)

    # Shared-key and username/password authentication.
    tmp2 = tempfile.mkdtemp(prefix="steady-agg-e2e-auth-")
    agg2 = Aggregator(tmp2, "--shared-key", "s3cret", "--user", "alice:wonder")
    try:
        rc, out = node_client(tmp2, agg2, "PackedForward", 50, "auth-ok", "s3cret", "alice", "wonder")
        check(rc == 0, f"shared key + password accepted: {out.strip()[-200:]}")
        rc, out = node_client(tmp2, agg2, "PackedForward", 5, "auth-bad", "wrong", "alice", "wonder")
        # The client never gets its acks: it fails, or (this client) exits with them pending.
        check(rc != 0 or "acked" not in out, "wrong shared key refused")
        check(agg2.metric("steady_aggregator_auth_failures_total") >= 1, "auth failure counted")
    finally:
        rc, log = agg2.stop()
    check(rc == 0, "authenticated aggregator: exit 0")
    objects2 = agg2.objects()
    verify_node(objects2, "auth-ok", 50, "PackedForward")
    check(not any(r.get("log", "").startswith("auth-bad") for recs in objects2.values() for r in recs),
          "nothing stored from the refused client")

    # TLS (a self-signed certificate made here with the openssl CLI).
    tmp3 = tempfile.mkdtemp(prefix="steady-agg-e2e-tls-")
    cert, key = os.path.join(tmp3, "cert.pem"), os.path.join(tmp3, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    agg3 = Aggregator(tmp3, "--tls-cert", cert, "--tls-key", key, "--shared-key", "k")
    try:
        rc, out = node_client(tmp3, agg3, "CompressedPackedForward", 40, "tls", "k", tls_ca=cert)
        check(rc == 0 and "acked" in out, f"TLS with shared key: {out.strip()[-200:]}")
    finally:
        rc, log = agg3.stop()
    check(rc == 0, "TLS aggregator: exit 0")
    verify_node(agg3.objects(), "tls", 40, "CompressedPackedForward")

    print(f"{len(failures)} failed")
    if failures:
        print(log[-3000:])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
