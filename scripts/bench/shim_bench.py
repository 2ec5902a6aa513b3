#!/usr/bin/env python3
"""Driver of scripts/bench/shim.sh: starts N sleeping busybox containers under one shim
implementation, the way containerd does (`<shim> ... start` with cwd = bundle, then Create and
Start over ttrpc), or, for NAME conmon, the way podman starts conmon (see run_conmon), samples each
idle shim's memory, and tears everything down again.

A minimal ttrpc client and protobuf encoder written from ../../shared/notes/protocol.md (only the
fields it sends), plus a tiny events server that acknowledges every Events/Forward, so that
containerd-shim-runc-v2 has somewhere to publish to, as under real containerd.

Usage: shim_bench.py NAME SHIM_BINARY TEST_IMAGE WORKDIR N [RUNTIME_BINARY]
       (NAME conmon: SHIM_BINARY is conmon, RUNTIME_BINARY the OCI runtime it runs, required)
Prints one line per shim: NAME PID VmRSS_KiB Pss_KiB Private_KiB Threads, then the means.
"""
import json, os, select, shutil, signal, socket, struct, subprocess, sys, threading, time


# --- protobuf (proto3, only what the Task requests need) -------------------------------------------
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data if data else b""


def field_str(num, s):
    return field_bytes(num, s.encode())


def field_uint(num, n):
    return varint(num << 3) + varint(n) if n else b""


def read_varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf):
    """(number, value) pairs; value is an int (varint) or bytes (length-delimited)."""
    i, out = 0, []
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(buf, i)
        elif wire == 2:
            length, i = read_varint(buf, i)
            value, i = buf[i:i + length], i + length
        else:
            raise ValueError("unexpected wire type %d" % wire)
        out.append((num, value))
    return out


# --- ttrpc -----------------------------------------------------------------------------------------
class TaskClient:
    SERVICE = "containerd.task.v2.Task"

    def __init__(self, address, namespace):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(address.removeprefix("unix://"))
        self.namespace = namespace
        self.sid = 1

    def call(self, method, payload):
        request = (field_str(1, self.SERVICE) + field_str(2, method) + field_bytes(3, payload)
                   + field_bytes(5, field_str(1, "containerd-namespace-ttrpc") + field_str(2, self.namespace)))
        self.sock.sendall(struct.pack(">IIBB", len(request), self.sid, 1, 0) + request)
        self.sid += 2
        header = self.recv(10)
        length, _, _, _ = struct.unpack(">IIBB", header)
        status, reply = None, b""
        for num, value in fields(self.recv(length)):
            if num == 1:
                status = dict(fields(value))
            elif num == 2:
                reply = value
        if status and status.get(1, 0):
            raise RuntimeError("%s: code %d: %s" % (method, status[1], status.get(2, b"").decode()))
        return dict(fields(reply))

    def recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("shim closed the connection")
            data += chunk
        return data


def events_server(path):
    """Acknowledges every request (Events/Forward) with an empty OK Response."""
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(64)

    def serve(conn):
        try:
            while True:
                header = conn.recv(10, socket.MSG_WAITALL)
                if len(header) < 10:
                    return
                length, sid, _, _ = struct.unpack(">IIBB", header)
                conn.recv(length, socket.MSG_WAITALL) if length else b""
                conn.sendall(struct.pack(">IIBB", 0, sid, 2, 0))
        except OSError:
            return

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server


# --- measuring -------------------------------------------------------------------------------------
def sample(pid):
    status = dict(line.split(":", 1) for line in open("/proc/%d/status" % pid) if ":" in line)
    rollup = dict(line.split(":", 1) for line in open("/proc/%d/smaps_rollup" % pid).readlines()[1:])
    kib = lambda d, k: int(d[k].split()[0])
    private = kib(rollup, "Private_Clean") + kib(rollup, "Private_Dirty")
    return kib(status, "VmRSS"), kib(rollup, "Pss"), private, int(status["Threads"])


def report(name, shims):
    """shims: (cid, pid) pairs; prints one line per shim and the means."""
    rows = []
    for cid, pid in shims:
        rss, pss, private, threads = sample(pid)
        rows.append((rss, pss, private, threads))
        print("%s %s pid=%d VmRSS=%d KiB Pss=%d KiB Private=%d KiB Threads=%d"
              % (name, cid, pid, rss, pss, private, threads))
    mean = [sum(r[k] for r in rows) / len(rows) for k in range(4)]
    print("MEAN %s n=%d VmRSS=%.2f MiB Pss=%.2f MiB Private=%.2f MiB Threads=%.1f"
          % (name, len(rows), mean[0] / 1024, mean[1] / 1024, mean[2] / 1024, mean[3]), flush=True)


# --- conmon ----------------------------------------------------------------------------------------
def is_conmon(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip() == "conmon"
    except OSError:
        return False


def read_sync(fd, deadline):
    """The first line conmon writes on _OCI_SYNCPIPE (api 1): {"data": PID} once `RUNTIME create`
    succeeded, {"data": -1, "message": "runtime stderr"} if it failed. None on EOF or timeout."""
    data = b""
    while b"\n" not in data:
        left = deadline - time.time()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            return None
        data += chunk
    return json.loads(data.split(b"\n", 1)[0])


def run_conmon(conmon, image, work, n, runtime):
    """N containers, each under its own conmon, started as podman starts them: conmon --api-version 1
    with _OCI_SYNCPIPE in its environment runs `RUNTIME --root R create --bundle B --pid-file P ID`
    itself, daemonized (its first process exits at once; -P gets the daemon's pid), reports the
    container's pid on the sync pipe, and then we run `RUNTIME --root R start ID`. No -s
    (--systemd-cgroup): there is no systemd here, the runtime uses cgroupfs. Teardown: `RUNTIME kill
    ID KILL` (conmon writes exits/ID and exits), `RUNTIME delete --force ID`, then any conmon
    still alive is killed by pid."""
    prefix = "bench-conmon-%d" % os.getpid()
    root = os.path.join(work, "runtime-root")
    dirs = {d: os.path.join(work, d) for d in ("bundles", "pids", "logs", "exits", "sockets")}
    for d in dirs.values():
        os.makedirs(d)
    rt = lambda *args, **kw: subprocess.run([runtime, "--root", root] + list(args), stdin=subprocess.DEVNULL,
                                            capture_output=True, timeout=30, **kw)
    shims, created = [], []
    try:
        for i in range(n):
            cid = "%s-c%d" % (prefix, i)
            bundle = os.path.join(dirs["bundles"], cid)
            shutil.copytree(os.path.join(image, "bundle-sleep"), bundle, symlinks=True)
            conmon_pidfile = os.path.join(dirs["pids"], cid + ".conmon")
            sync_r, sync_w = os.pipe()
            try:
                created.append(cid)  # from here on a container may exist: tear it down
                out = subprocess.run(
                    [conmon, "--api-version", "1", "-c", cid, "-u", cid, "-n", cid, "-r", runtime, "-b", bundle,
                     "-p", os.path.join(dirs["pids"], cid + ".ctr"), "-P", conmon_pidfile,
                     "-l", "k8s-file:" + os.path.join(dirs["logs"], cid + ".log"), "--exit-dir", dirs["exits"],
                     "--socket-dir-path", dirs["sockets"], "--runtime-arg", "--root=" + root],
                    env=dict(os.environ, _OCI_SYNCPIPE=str(sync_w)), pass_fds=(sync_w,),
                    stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
                os.close(sync_w)
                sync_w = -1
                if out.returncode != 0:
                    raise RuntimeError("conmon for %s exited %d: %s" % (cid, out.returncode, out.stderr.decode().strip()))
                reply = read_sync(sync_r, time.time() + 30)
            finally:
                os.close(sync_r)
                if sync_w >= 0:
                    os.close(sync_w)
            if not reply or reply.get("data", -1) <= 0:
                raise RuntimeError("conmon for %s: `%s create` failed: %s" % (
                    cid, runtime, reply.get("message", "").strip() if reply else "no answer on _OCI_SYNCPIPE"))
            with open(conmon_pidfile) as f:
                conmon_pid = int(f.read())
            shims.append((cid, conmon_pid))
            started = rt("start", cid)
            if started.returncode != 0:
                raise RuntimeError("%s start %s: %s" % (runtime, cid, started.stderr.decode().strip()))
        time.sleep(2)
        report("conmon", shims)
    finally:
        for cid in created:
            rt("kill", cid, "KILL")
        deadline = time.time() + 10
        for cid, pid in shims:  # conmon exits once it has reaped the container and written exits/ID
            while time.time() < deadline and is_conmon(pid):
                time.sleep(0.05)
        for cid in created:
            deleted = rt("delete", "--force", cid)
            if rt("state", cid).returncode == 0:  # (a container that was never created is no failure)
                print("cleanup %s: still there after delete --force: %s" % (cid, deleted.stderr.decode().strip()),
                      file=sys.stderr)
        for cid, pid in shims:
            if is_conmon(pid):
                print("cleanup %s: conmon %d still running, killed" % (cid, pid), file=sys.stderr)
                os.kill(pid, signal.SIGKILL)


def main():
    name, shim, image, work, n = sys.argv[1:6]
    runtime = sys.argv[6] if len(sys.argv) > 6 else ""
    n = int(n)
    if name == "conmon":  # shim.sh goes on without conmon's figures if it cannot work here: say why
        try:
            return run_conmon(shim, image, work, n, runtime)
        except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as error:
            sys.exit("shim_bench.py conmon: %s" % error)
    namespace = "bench-%s-%d" % (name, os.getpid())
    os.makedirs(os.path.join(work, namespace))
    address = os.path.join(work, "containerd.sock")
    ttrpc_address = address + ".ttrpc"
    events = events_server(ttrpc_address)
    env = dict(os.environ, TTRPC_ADDRESS=ttrpc_address, NAMESPACE=namespace)
    runtime_root = os.path.join(work, "runtime-root")
    shims, logs, started = [], [], []
    try:
        for i in range(n):
            cid = "c%d" % i
            bundle = os.path.join(work, namespace, cid)
            shutil.copytree(os.path.join(image, "bundle-sleep"), bundle, symlinks=True)
            log = os.path.join(bundle, "log")  # containerd's fifo for the shim's own log
            os.mkfifo(log)
            logs.append(os.open(log, os.O_RDONLY | os.O_NONBLOCK))
            out = subprocess.run([shim, "-namespace", namespace, "-address", address, "-publish-binary",
                                  "/bin/false", "-id", cid, "start"], cwd=bundle, env=env,
                                 stdin=subprocess.DEVNULL, capture_output=True, check=True, timeout=30)
            addr = out.stdout.decode().strip()
            client = TaskClient(addr, namespace)
            shim_pid = client.call("Connect", field_str(1, cid))[1]
            shims.append((cid, shim_pid, client))
            options = b""
            if name == "berth":  # the runtime's --root and binary through runc's Options (fields 7, 6)
                options = field_str(1, "containerd.runc.v1.Options") + field_bytes(
                    2, field_str(6, runtime) + field_str(7, runtime_root))
            client.call("Create", field_str(1, cid) + field_str(2, bundle) + field_bytes(10, options))
            client.call("Start", field_str(1, cid))
            started.append(cid)
        time.sleep(2)
        report(name, [(cid, pid) for cid, pid, _ in shims])
    finally:
        for cid, pid, client in shims:
            try:
                if cid in started:
                    client.call("Kill", field_str(1, cid) + field_uint(3, signal.SIGKILL))
                    client.call("Wait", field_str(1, cid))
                client.call("Delete", field_str(1, cid))
                client.call("Shutdown", field_str(1, cid))
            except Exception as error:  # keep cleaning up the others
                print("cleanup %s: %s" % (cid, error), file=sys.stderr)
        deadline = time.time() + 10
        for _, pid, _ in shims:
            while time.time() < deadline and os.path.exists("/proc/%d" % pid):
                time.sleep(0.05)
            if os.path.exists("/proc/%d" % pid):
                os.kill(pid, signal.SIGKILL)
        for fd in logs:
            os.close(fd)
        events.close()


if __name__ == "__main__":
    main()
