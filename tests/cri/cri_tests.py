"""The CRI lane's tests, run by tests/cri/run.sh inside containerd's private
namespaces. Each test drives containerd over CRI as the kubelet does (the
calls it made are named on its TAP line) and checks the result both through
CRI and from ward's side (ward's state of the container, the kernel's view
of its process), so a test cannot pass on a pod that ward did not run.
"""

import base64
import json
import os
import re
import socket
import sys
import urllib.parse

from crilib import (ENV, Pod, Skip, Tap, api, exec_ok, exec_sync, grpc_error,
                    new_pod, wait_for, ward_ids, ward_state)

# A container that ends on SIGTERM (a shell as pid 1 ignores it otherwise),
# so that StopContainer is quick and its exit code is the container's.
SERVE = "trap 'exit 0' TERM; sleep 3600 & wait"


def sh(script):
    return ["sh", "-c", script]


def ns_of(pid, kind):
    return os.readlink("/proc/%d/ns/%s" % (pid, kind))


def pid_of(cid):
    st = ward_state(cid)
    assert st and st["status"] == "running", "ward does not run %s: %s" % (cid, st)
    return st["pid"]


def container_state(cri, cid):
    return cri("ContainerStatus", api.ContainerStatusRequest(container_id=cid)).status


def cgroup_dirs(cid):
    """The container's cgroup directories in every hierarchy."""
    found = []
    for line in open("/proc/self/mounts"):
        mnt, fstype = line.split()[1:3]
        if fstype in ("cgroup", "cgroup2"):
            for root, dirs, _ in os.walk(mnt + ENV["CRI_CGROUP_PARENT"]):
                found += [os.path.join(root, d) for d in dirs if d == cid]
    return found


def leftovers(cid):
    """What remains of a container once it is removed: ward state, cgroups,
    mounts of its bundle, its shim."""
    left = []
    if cid in ward_ids():
        left.append("ward state")
    left += cgroup_dirs(cid)
    left += [l.split()[4] for l in open("/proc/self/mountinfo") if cid in l]
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                argv = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
            except OSError:
                continue
            if b"containerd-shim-runc-v2" in argv[0] and cid.encode() in argv:
                left.append("shim pid %s" % p)
    return left


# ---------------------------------------------------------- the lifecycle --

class Lifecycle:
    """One pod through the calls the kubelet makes over its life; each step
    is a test, in order."""

    def step(self, fn):
        """fn as a test: the pod makes its calls with the test's client."""
        def run(cri):
            if self.p:
                self.p.cri = cri
            return fn(cri)
        return run

    def __init__(self):
        self.pod = new_pod("life", containers=[
            {"name": "main", "command": sh("echo hello-stdout; echo hello-stderr >&2; " + SERVE)},
            {"name": "cat", "stdin": True, "command": sh("while read l; do echo got:$l; done")}])
        self.p = None
        self.cid = None
        self.sandbox_pid = None

    def run_sandbox(self, cri):
        self.p = Pod(cri, self.pod).run()
        st = cri("PodSandboxStatus", api.PodSandboxStatusRequest(pod_sandbox_id=self.p.sandbox_id)).status
        assert st.state == api.SANDBOX_READY, st
        assert re.match(r"10\.233\.0\.\d+$", st.network.ip), "no IP from the CNI bridge: %r" % st.network.ip
        self.sandbox_pid = pid_of(self.p.sandbox_id)
        argv = open("/proc/%d/cmdline" % self.sandbox_pid, "rb").read()
        assert argv == b"/pause\0", argv
        ids = [s.id for s in cri("ListPodSandbox", api.ListPodSandboxRequest()).items]
        assert self.p.sandbox_id in ids

    def start_container(self, cri):
        self.cid = self.p.start("main")
        assert container_state(cri, self.cid).state == api.CONTAINER_RUNNING
        pid = pid_of(self.cid)
        for kind in ("net", "ipc", "uts"):
            assert ns_of(pid, kind) == ns_of(self.sandbox_pid, kind), kind
        ids = [c.id for c in cri("ListContainers", api.ListContainersRequest(
            filter=api.ContainerFilter(pod_sandbox_id=self.p.sandbox_id))).containers]
        assert ids == [self.cid], ids

    def exec_sync(self, cri):
        rc, out, err = exec_sync(cri, self.cid, *sh("echo out; echo err >&2; exit 7"))
        assert (rc, out, err) == (7, "out\n", "err\n"), (rc, out, err)
        assert exec_ok(cri, self.cid, "hostname").strip() == "life"
        # The exec'd process is in the container's namespaces and cgroup.
        me = exec_ok(cri, self.cid, "readlink", "/proc/self/ns/mnt").strip()
        assert me == ns_of(pid_of(self.cid), "mnt"), me
        cg = exec_ok(cri, self.cid, "cat", "/proc/self/cgroup")
        assert self.cid in cg, cg

    def stats(self, cri):
        # 24 MiB in the sandbox's /dev/shm (tmpfs: charged to the writer's
        # memory cgroup, the container's) and some CPU time.
        exec_ok(cri, self.cid, *sh("head -c 25165824 /dev/zero > /dev/shm/fill; "
                                   "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"))
        s = cri("ContainerStats", api.ContainerStatsRequest(container_id=self.cid)).stats
        assert s.attributes.id == self.cid
        assert s.memory.working_set_bytes.value >= 24 << 20, s.memory
        assert s.cpu.usage_core_nano_seconds.value > 0, s.cpu
        listed = cri("ListContainerStats", api.ListContainerStatsRequest(
            filter=api.ContainerStatsFilter(pod_sandbox_id=self.p.sandbox_id))).stats
        assert self.cid in [x.attributes.id for x in listed]
        exec_ok(cri, self.cid, "rm", "/dev/shm/fill")

    def logs(self, cri):
        st = container_state(cri, self.cid)
        path = os.path.join(self.p.sandbox_config.log_directory, "main", "0.log")
        assert st.log_path == path, st.log_path

        def lines():
            if not os.path.exists(path):
                return None
            got = [l.split(" ", 1)[1] for l in open(path).read().splitlines()]
            return got if len(got) >= 2 else None
        # CRI log format: RFC 3339 time, stream, P(artial)/F(ull), text.
        got = sorted(wait_for(lines, "two lines in " + path))
        assert got == ["stderr F hello-stderr", "stdout F hello-stdout"], got

    def attach(self, cri):
        cid = self.p.start("cat")
        url = cri("Attach", api.AttachRequest(container_id=cid, stdin=True, stdout=True)).url
        out = websocket_stream(url, b"ping\n", b"got:ping")
        assert b"got:ping" in out, out

    def exec_stream(self, cri):
        url = cri("Exec", api.ExecRequest(container_id=self.cid, stdin=True, stdout=True,
                                          cmd=sh("read l; echo exec:$l:$(hostname)"))).url
        out = websocket_stream(url, b"pong\n", b"exec:pong:life")
        assert b"exec:pong:life" in out, out

    def update_resources(self, cri):
        pid = pid_of(self.cid)
        cri("UpdateContainerResources", api.UpdateContainerResourcesRequest(
            container_id=self.cid, linux=api.LinuxContainerResources(
                cpu_period=100000, cpu_quota=50000, cpu_shares=512, memory_limit_in_bytes=256 << 20)))
        assert cgroup_value(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(256 << 20)
        quota = cgroup_value(pid, "cpu", "cpu.cfs_quota_us", "cpu.max")
        assert quota in ("50000", "50000 100000"), quota

    def stop_container(self, cri):
        pid = pid_of(self.cid)
        cri("StopContainer", api.StopContainerRequest(container_id=self.cid, timeout=10))
        st = container_state(cri, self.cid)
        assert st.state == api.CONTAINER_EXITED and st.exit_code == 0, st
        assert st.finished_at >= st.started_at > 0, st
        assert not os.path.exists("/proc/%d" % pid), "the container's process %d is still there" % pid
        # The CRI plugin deletes the exited task: the shim runs `ward delete`.
        wait_for(lambda: ward_state(self.cid) is None, "ward delete of the stopped container")

    def remove_container(self, cri):
        cri("RemoveContainer", api.RemoveContainerRequest(container_id=self.cid))
        ids = [c.id for c in cri("ListContainers", api.ListContainersRequest()).containers]
        assert self.cid not in ids
        wait_for(lambda: not leftovers(self.cid), "container %s to be gone: %s" % (self.cid, leftovers(self.cid)))

    def remove_pod(self, cri):
        ids = [self.p.sandbox_id] + list(self.p.containers.values())
        cri("StopPodSandbox", api.StopPodSandboxRequest(pod_sandbox_id=self.p.sandbox_id))
        st = cri("PodSandboxStatus", api.PodSandboxStatusRequest(pod_sandbox_id=self.p.sandbox_id)).status
        assert st.state == api.SANDBOX_NOTREADY, st
        self.p.remove()
        assert ids[0] not in [s.id for s in cri("ListPodSandbox", api.ListPodSandboxRequest()).items]
        for i in ids:
            wait_for(lambda: not leftovers(i), "%s to be gone: %s" % (i, leftovers(i)))
        netns = os.path.join(os.environ["CTD_STATE"], "io.containerd.grpc.v1.cri", "netns")
        left = os.listdir(netns) if os.path.isdir(netns) else []
        assert not left, "netns left: %s" % left

    def cleanup(self):
        if self.p and self.p.sandbox_id:
            self.p.remove()


def websocket_stream(url, data, expect, timeout=30):
    """What `kubectl attach` and `kubectl exec` do through the kubelet: the
    CRI streaming URL over a WebSocket (v4.channel.k8s.io: one byte of channel, then data;
    0 stdin, 1 stdout, 2 stderr, 3 error). Sends data on stdin, returns what
    came on stdout until expect is seen or the stream ends."""
    u = urllib.parse.urlparse(url)
    s = socket.create_connection((u.hostname, u.port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n" % (u.path, u.netloc, key)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        assert chunk, "connection closed during the upgrade: %r" % buf
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    payload = b"\0" + data
    mask = os.urandom(4)
    s.sendall(bytes([0x82, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    out = b""

    def need(n):
        nonlocal buf
        while len(buf) < n:
            chunk = s.recv(4096)
            if not chunk:
                raise EOFError
            buf += chunk
        part, buf = buf[:n], buf[n:]
        return part
    try:
        while expect not in out:
            b0, b1 = need(2)
            n = b1 & 0x7f
            n = int.from_bytes(need(2 if n == 126 else 8), "big") if n >= 126 else n
            msg = need(n)
            if b0 & 0x0f == 0x8:
                break
            if msg[:1] == b"\1":
                out += msg[1:]
    except (EOFError, socket.timeout):
        pass
    s.close()
    return out


# ------------------------------------------------------------- the others --

def cgroup_value(pid, controller, v1_file, v2_file):
    """A cgroup file of a process: on the v1 hierarchy holding the
    controller, or on the unified one."""
    lines = [l.split(":", 2) for l in open("/proc/%d/cgroup" % pid).read().splitlines()]
    mounts = [l.split() for l in open("/proc/self/mounts")]
    for _, controllers, path in lines:
        if controller in controllers.split(","):
            mnt = next(m[1] for m in mounts if m[2] == "cgroup" and controller in m[3].split(","))
            return open(mnt + path + "/" + v1_file).read().strip()
    path = next(p for h, c, p in lines if h == "0")
    mnt = next(m[1] for m in mounts if m[2] == "cgroup2")
    return open(mnt + path + "/" + v2_file).read().strip()


def t_version(cri):
    v = cri("Version", api.VersionRequest())
    assert v.runtime_name == "containerd" and v.runtime_api_version == "v1", v
    conds = {c.type: c.status for c in cri("Status", api.StatusRequest()).status.conditions}
    assert conds == {"RuntimeReady": True, "NetworkReady": True}, conds


def t_shared_namespaces(cri):
    pod = new_pod("shared", containers=[
        {"name": "web", "command": sh("mkdir /www && echo shared-net > /www/index.html && "
                                       "exec httpd -f -p 127.0.0.1:8080 -h /www")},
        {"name": "client", "command": sh(SERVE)}])
    with Pod(cri, pod) as p:
        web, client = p.start("web"), p.start("client")
        pause = pid_of(p.sandbox_id)
        ns = {c: {k: exec_ok(cri, c, "readlink", "/proc/self/ns/" + k).strip()
                  for k in ("net", "ipc", "uts", "mnt", "pid")} for c in (web, client)}
        for k in ("net", "ipc", "uts"):
            assert ns[web][k] == ns[client][k] == ns_of(pause, k), (k, ns)
        for k in ("mnt", "pid"):
            assert len({ns[web][k], ns[client][k], ns_of(pause, k)}) == 3, (k, ns)
        # The loopback of one is the other's: the network really is shared.
        got = wait_for(lambda: exec_sync(cri, client, "wget", "-qO-", "http://127.0.0.1:8080/")[1],
                       "the web container to answer on 127.0.0.1:8080")
        assert got == "shared-net\n", got


def t_share_process_namespace(cri):
    pod = new_pod("sharepid", shareProcessNamespace=True, containers=[
        {"name": "a", "command": ["sleep", "3601"]}, {"name": "b", "command": ["sleep", "3602"]}])
    with Pod(cri, pod) as p:
        a, b = p.start("a"), p.start("b")
        ps = exec_ok(cri, b, "ps", "-o", "pid,args")
        procs = {line.split(None, 1)[1]: int(line.split()[0]) for line in ps.splitlines()[1:]}
        assert procs.get("/pause") == 1, ps
        assert "sleep 3601" in procs and "sleep 3602" in procs, ps
        pause = pid_of(p.sandbox_id)
        assert ns_of(pid_of(a), "pid") == ns_of(pid_of(b), "pid") == ns_of(pause, "pid")


def t_host_network(cri):
    pod = new_pod("hostnet", hostNetwork=True, containers=[{"name": "c", "command": sh(SERVE)}])
    with Pod(cri, pod) as p:
        c = p.start("c")
        assert exec_ok(cri, c, "readlink", "/proc/self/ns/net").strip() == os.readlink("/proc/self/ns/net")
        assert exec_ok(cri, c, "readlink", "/proc/self/ns/pid").strip() != os.readlink("/proc/self/ns/pid")


def status_fields(cri, cid):
    out = exec_ok(cri, cid, "cat", "/proc/self/status")
    return dict(l.split(":\t", 1) for l in out.splitlines() if ":\t" in l)


def t_security_context(cri):
    restricted = {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                  "capabilities": {"drop": ["ALL"]}}
    pod = new_pod("restricted", securityContext={"runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
                  containers=[
                      {"name": "app", "command": sh(SERVE), "securityContext": restricted},
                      # runAsUser 0 with no capabilities: root, but powerless.
                      {"name": "root", "command": sh(SERVE),
                       "securityContext": dict(restricted, runAsUser=0)},
                      # The control for the seccomp attack: the same, unfiltered.
                      {"name": "unfiltered", "command": sh(SERVE),
                       "securityContext": dict(restricted, seccompProfile={"type": "Unconfined"})}])
    with Pod(cri, pod) as p:
        app, root, unfiltered = p.start("app"), p.start("root"), p.start("unfiltered")
        assert exec_ok(cri, app, "id", "-u").strip() == "1000"
        f = status_fields(cri, app)
        for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert int(f[k], 16) == 0, (k, f[k])
        assert f["NoNewPrivs"] == "1" and f["Seccomp"] == "2", f
        assert status_fields(cri, unfiltered)["Seccomp"] == "0"
        rc, _, err = exec_sync(cri, root, "touch", "/written")
        assert rc != 0 and "Read-only file system" in err, (rc, err)
        rc, _, err = exec_sync(cri, root, "mknod", "/dev/shm/mem", "c", "1", "1")
        assert rc != 0 and "Operation not permitted" in err, ("mknod without CAP_MKNOD", rc, err)
        rc, _, err = exec_sync(cri, root, *sh("echo x > /dev/shm/f && chown 1234 /dev/shm/f"))
        assert rc != 0 and "Operation not permitted" in err, ("chown without CAP_CHOWN", rc, err)
        # containerd's RuntimeDefault profile allows unshare only with
        # CAP_SYS_ADMIN: a new user namespace is refused by the filter.
        rc, _, err = exec_sync(cri, unfiltered, "unshare", "-U", "true")
        if rc != 0:
            raise Skip("the control (no seccomp) cannot create a user namespace either: %s" % err.strip())
        rc, _, err = exec_sync(cri, app, "unshare", "-U", "true")
        assert rc != 0 and "Operation not permitted" in err, ("unshare -U under RuntimeDefault", rc, err)


def t_user_namespace(cri):
    m = api.IDMapping(host_id=200000, container_id=0, length=65536)
    pod = new_pod("userns", userns=api.UserNamespace(mode=api.POD, uids=[m], gids=[m]),
                  containers=[{"name": "c", "command": sh(SERVE)}])
    with Pod(cri, pod) as p:
        c = p.start("c")
        with open(os.path.join(ward_state(c)["bundle"], "config.json")) as f:
            namespaces = [n["type"] for n in json.load(f)["linux"]["namespaces"]]
        uid_map = open("/proc/%d/uid_map" % pid_of(c)).read().split()
        if "user" not in namespaces:
            assert uid_map == ["0", "0", "4294967295"], uid_map
            raise Skip("containerd %s ignores NamespaceOption.userns_options (user namespaces for pods"
                       " came with containerd 1.7): config.json has no user namespace"
                       % cri("Version", api.VersionRequest()).runtime_version)
        assert uid_map == ["0", "200000", "65536"], uid_map


def t_failing_container(cri):
    pod = new_pod("failing", containers=[{"name": "c", "command": ["/nonexistent/entrypoint"]}])
    with Pod(cri, pod) as p:
        err = grpc_error(lambda: p.start("c"))
        cid = p.containers["c"]
        assert err, "StartContainer of a missing entrypoint succeeded"
        # ward's own words, carried by the shim from ward's JSON log.
        assert 'process.args[0]: exec: "/nonexistent/entrypoint": No such file or directory' in err, err
        assert "OCI runtime create failed" in err, err
        st = container_state(cri, cid)
        assert st.state in (api.CONTAINER_CREATED, api.CONTAINER_EXITED), st
        assert not leftovers(cid), leftovers(cid)
        cri("RemoveContainer", api.RemoveContainerRequest(container_id=cid))
    return "the error the CRI client got: " + err


def t_default_handler(cri):
    if not any(os.access(os.path.join(d, "runc"), os.X_OK) for d in os.environ["PATH"].split(":")):
        raise Skip("runc is not installed (the default handler's runtime)")
    pod = new_pod("norc", containers=[{"name": "c", "command": sh(SERVE)}])
    with Pod(cri, pod, handler="") as p:
        c = p.start("c")
        assert container_state(cri, c).state == api.CONTAINER_RUNNING
        assert ward_state(p.sandbox_id) is None and ward_state(c) is None, "ward ran a pod with no handler"


def main():
    tap = Tap()
    tap.run("containerd answers CRI: Version, and Status with RuntimeReady and NetworkReady", t_version)
    life = Lifecycle()
    try:
        for name, step in (
                ("RunPodSandbox with runtime_handler ward: ward runs /pause, the pod gets an IP from CNI",
                 life.run_sandbox),
                ("CreateContainer, StartContainer: ward runs the container in the sandbox's namespaces",
                 life.start_container),
                ("ExecSync: stdout, stderr and exit status; the process is in the container", life.exec_sync),
                ("ContainerStats: memory and CPU of the container's cgroup", life.stats),
                ("UpdateContainerResources: the new memory limit and CPU quota are in the container's cgroup",
                 life.update_resources),
                ("logs: the container's stdout and stderr in the CRI log file", life.logs),
                ("Attach: stdin and stdout of a container over the streaming server", life.attach),
                ("Exec: a process in the container with stdin and stdout over the streaming server",
                 life.exec_stream),
                ("StopContainer: SIGTERM ends it, exit code 0, the shim deletes it with ward", life.stop_container),
                ("RemoveContainer: no ward state, cgroup, mount or shim left", life.remove_container),
                ("StopPodSandbox, RemovePodSandbox: nothing of the pod left", life.remove_pod)):
            tap.run(name, life.step(step))
    finally:
        life.cleanup()
    tap.run("two containers of a pod share the sandbox's net, ipc and uts namespaces, not mnt or pid",
            t_shared_namespaces)
    tap.run("shareProcessNamespace: one pid namespace for the pod, /pause is its pid 1", t_share_process_namespace)
    tap.run("hostNetwork pod: no CNI, the container is in the node's network namespace", t_host_network)
    tap.run("securityContext: runAsUser, readOnlyRootFilesystem, drop ALL, no_new_privs and seccomp"
            " RuntimeDefault hold against the attacks", t_security_context)
    tap.run("user-namespaced pod (userns_options)", t_user_namespace)
    tap.run("a container whose entrypoint does not exist: ward's error reaches the CRI client",
            t_failing_container)
    tap.run("a pod with no runtime_handler runs on the default handler (runc), not ward", t_default_handler)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
