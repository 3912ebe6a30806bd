"""A CRI client that talks to containerd the way the kubelet does.

Used by tests/cri/cri_tests.py (the lane's tests) and tests/cri/capture.py
(the config.json fixtures). The gRPC stubs are generated at run time from
the CRI api.proto that Debian's containerd source package vendors
(tests/cri/run.sh puts them in $CRI_STUBS).

Pods are written as Kubernetes Pod specs (dicts in the API's camelCase) and
turned into CRI requests as kubelet 1.25 does (the CRI version containerd
1.6.20 vendors is cri-api v0.25.0): pkg/kubelet/kuberuntime's
generatePodSandboxConfig, generateContainerConfig and
determineEffectiveSecurityContext. What the kubelet checks itself and never
sends (runAsNonRoot, sysctl safety, Pod Security admission) is not sent
here either.
"""

import json
import os
import subprocess
import sys
import time
import traceback
import uuid
import zlib

sys.path.insert(0, os.environ["CRI_STUBS"])
import grpc  # noqa: E402
import cri_api_v1_pb2 as api  # noqa: E402
import cri_api_v1_pb2_grpc as api_grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402

ENV = {k: os.environ[k] for k in
       ("CRI_SOCKET", "CRI_T", "WARD", "WARD_ROOT", "CRI_CGROUP_PARENT", "CRI_HANDLER",
        "CRI_LOG_ROOT", "CRI_KUBELET_ROOT")}
PAUSE_IMAGE = "docker.io/library/ward-pause:1"
BUSYBOX = "docker.io/library/ward-busybox:latest"

# kubelet 1.25's ProcMount "Default" lists (pkg/securitycontext/util.go).
DEFAULT_MASKED = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                  "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
DEFAULT_READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                    "/proc/sysrq-trigger"]

NODE, POD, CONTAINER = api.NODE, api.POD, api.CONTAINER
IMAGE_METHODS = {"ImageStatus", "PullImage", "ListImages", "RemoveImage", "ImageFsInfo"}


class Cri:
    """The CRI services over containerd's socket; records which calls ran."""

    def __init__(self, socket=ENV["CRI_SOCKET"]):
        self.channel = grpc.insecure_channel("unix://" + socket)
        self.runtime = api_grpc.RuntimeServiceStub(self.channel)
        self.images = api_grpc.ImageServiceStub(self.channel)
        self.calls = []

    def __call__(self, method, request, timeout=120):
        if method not in self.calls:
            self.calls.append(method)
        service = self.images if method in IMAGE_METHODS else self.runtime
        return getattr(service, method)(request, timeout=timeout)


def grpc_error(fn):
    """Run fn(); return the gRPC error it raised (details text) or None."""
    try:
        fn()
    except grpc.RpcError as e:  # pylint: disable=no-member
        return "%s: %s" % (e.code().name, e.details())
    return None


def to_json(msg):
    return json_format.MessageToDict(msg, preserving_proto_field_name=True,
                                     including_default_value_fields=True)


# ---------------------------------------------------------------- kubelet --

def new_pod(name, namespace="default", uid=None, **spec):
    """A Pod with one or more containers (spec["containers"])."""
    pod = {"metadata": {"name": name, "namespace": namespace, "uid": uid or str(uuid.uuid4()),
                        "annotations": spec.pop("annotations", {})},
           "spec": spec}
    pod["spec"].setdefault("securityContext", {})  # the API server defaults it
    return pod


def namespaces_for(pod):
    spec = pod["spec"]
    pid = NODE if spec.get("hostPID") else POD if spec.get("shareProcessNamespace") else CONTAINER
    return api.NamespaceOption(network=NODE if spec.get("hostNetwork") else POD,
                               pid=pid, ipc=NODE if spec.get("hostIPC") else POD)


def pod_log_dir(pod):
    m = pod["metadata"]
    return os.path.join(ENV["CRI_LOG_ROOT"], "%s_%s_%s" % (m["namespace"], m["name"], m["uid"]))


def pod_cgroup_parent(pod):
    # The cgroupfs driver's besteffort pod cgroup, below this run's own root.
    return "%s/besteffort/pod%s" % (ENV["CRI_CGROUP_PARENT"], pod["metadata"]["uid"])


def sandbox_config(pod):
    m, spec = pod["metadata"], pod["spec"]
    psc = spec["securityContext"]
    cfg = api.PodSandboxConfig(
        metadata=api.PodSandboxMetadata(name=m["name"], namespace=m["namespace"],
                                        uid=m["uid"], attempt=0),
        log_directory=pod_log_dir(pod),
        labels={"io.kubernetes.pod.name": m["name"],
                "io.kubernetes.pod.namespace": m["namespace"],
                "io.kubernetes.pod.uid": m["uid"]},
        annotations=dict(m["annotations"], **{"kubernetes.io/config.source": "api",
                                              "kubernetes.io/config.seen": "2024-01-01T00:00:00Z"}))
    if not spec.get("hostNetwork"):
        cfg.hostname = m["name"]
        cfg.dns_config.CopyFrom(api.DNSConfig(
            servers=["10.96.0.10"], options=["ndots:5"],
            searches=["%s.svc.cluster.local" % m["namespace"], "svc.cluster.local", "cluster.local"]))
    sc = api.LinuxSandboxSecurityContext(
        namespace_options=namespaces_for(pod),
        privileged=any(c.get("securityContext", {}).get("privileged") for c in spec["containers"]),
        # kubelet forces the sandbox to runtime/default (kubernetes#84623).
        seccomp=api.SecurityProfile(profile_type=api.SecurityProfile.RuntimeDefault))
    if "runAsUser" in psc:
        sc.run_as_user.value = psc["runAsUser"]
    if "runAsGroup" in psc:
        sc.run_as_group.value = psc["runAsGroup"]
    sc.supplemental_groups.extend(([psc["fsGroup"]] if "fsGroup" in psc else [])
                                  + psc.get("supplementalGroups", []))
    if "userns" in spec:  # a CRI field kubelet 1.25 does not fill yet
        sc.namespace_options.userns_options.CopyFrom(spec["userns"])
    cfg.linux.CopyFrom(api.LinuxPodSandboxConfig(
        cgroup_parent=pod_cgroup_parent(pod), security_context=sc,
        sysctls={s["name"]: s["value"] for s in psc.get("sysctls", [])}))
    return cfg


def seccomp_profile(pod, container):
    prof = (container.get("securityContext", {}).get("seccompProfile")
            or pod["spec"]["securityContext"].get("seccompProfile"))
    kind = prof["type"] if prof else "Unconfined"  # no SeccompDefault gate
    if kind == "Localhost":
        return api.SecurityProfile(profile_type=api.SecurityProfile.Localhost,
                                   localhost_ref=prof["localhostProfile"])
    return api.SecurityProfile(profile_type=getattr(api.SecurityProfile, kind))


def container_security(pod, c):
    psc, csc = pod["spec"]["securityContext"], c.get("securityContext", {})
    sc = api.LinuxContainerSecurityContext(
        privileged=bool(csc.get("privileged")),
        readonly_rootfs=bool(csc.get("readOnlyRootFilesystem")),
        namespace_options=namespaces_for(pod),
        seccomp=seccomp_profile(pod, c))
    if "capabilities" in csc:
        sc.capabilities.CopyFrom(api.Capability(add_capabilities=csc["capabilities"].get("add", []),
                                                drop_capabilities=csc["capabilities"].get("drop", [])))
    for field, proto in (("runAsUser", "run_as_user"), ("runAsGroup", "run_as_group")):
        value = csc.get(field, psc.get(field))
        if value is not None:
            getattr(sc, proto).value = value
    sc.supplemental_groups.extend(([psc["fsGroup"]] if "fsGroup" in psc else [])
                                  + psc.get("supplementalGroups", []))
    # AddNoNewPrivileges: only an explicit allowPrivilegeEscalation: false.
    sc.no_new_privs = (not csc.get("privileged")) and csc.get("allowPrivilegeEscalation") is False
    if csc.get("procMount") != "Unmasked":
        sc.masked_paths.extend(DEFAULT_MASKED)
        sc.readonly_paths.extend(DEFAULT_READONLY)
    apparmor = pod["metadata"]["annotations"].get(
        "container.apparmor.security.beta.kubernetes.io/" + c["name"])
    if apparmor:
        sc.apparmor_profile = apparmor
    return sc


def kubelet_files(pod, c):
    """The files the kubelet mounts into every container: its /etc/hosts
    (a copy of the node's for hostNetwork pods) and the termination log."""
    base = os.path.join(ENV["CRI_KUBELET_ROOT"], "pods", pod["metadata"]["uid"])
    term = os.path.join(base, "containers", c["name"], "termination-log")
    os.makedirs(os.path.dirname(term), exist_ok=True)
    open(term, "a").close()
    hosts = os.path.join(base, "etc-hosts")
    with open(hosts, "w") as f:
        if pod["spec"].get("hostNetwork"):
            with open("/etc/hosts") as node:
                f.write(node.read())
        else:
            f.write("127.0.0.1\tlocalhost\n::1\tlocalhost\n")
    return [api.Mount(container_path="/etc/hosts", host_path=hosts),
            api.Mount(container_path="/dev/termination-log", host_path=term)]


def container_config(pod, c, image_ref=BUSYBOX):
    m = pod["metadata"]
    volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
    mounts = [api.Mount(container_path=vm["mountPath"], host_path=volumes[vm["name"]]["hostPath"]["path"],
                        readonly=bool(vm.get("readOnly")), propagation=api.PROPAGATION_PRIVATE)
              for vm in c.get("volumeMounts", [])]
    return api.ContainerConfig(
        metadata=api.ContainerMetadata(name=c["name"], attempt=0),
        image=api.ImageSpec(image=image_ref),
        command=c.get("command", []), args=c.get("args", []),
        envs=[api.KeyValue(key=k, value=v) for k, v in c.get("env", {}).items()],
        mounts=mounts + kubelet_files(pod, c),
        labels={"io.kubernetes.container.name": c["name"], "io.kubernetes.pod.name": m["name"],
                "io.kubernetes.pod.namespace": m["namespace"], "io.kubernetes.pod.uid": m["uid"]},
        annotations={"io.kubernetes.container.hash": "%08x" % zlib.crc32(c["name"].encode()),
                     "io.kubernetes.container.restartCount": "0",
                     "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
                     "io.kubernetes.container.terminationMessagePolicy": "File",
                     "io.kubernetes.pod.terminationGracePeriod": "30"},
        log_path="%s/0.log" % c["name"],
        stdin=bool(c.get("stdin")), stdin_once=bool(c.get("stdinOnce")), tty=bool(c.get("tty")),
        linux=api.LinuxContainerConfig(
            # BestEffort QoS, as the kubelet sets it for a pod without requests.
            resources=api.LinuxContainerResources(cpu_period=100000, cpu_shares=2, oom_score_adj=1000),
            security_context=container_security(pod, c)))


class Pod:
    """A pod run through CRI: RunPodSandbox, then containers; remove() stops
    and removes everything as the kubelet does when a pod is deleted."""

    def __init__(self, cri, pod, handler=ENV["CRI_HANDLER"]):
        self.cri, self.pod, self.handler = cri, pod, handler
        self.sandbox_config = sandbox_config(pod)
        self.sandbox_id = None
        self.containers = {}
        self.image_ref = None

    def run(self):
        os.makedirs(self.sandbox_config.log_directory, exist_ok=True)  # kubelet does
        self.sandbox_id = self.cri("RunPodSandbox", api.RunPodSandboxRequest(
            config=self.sandbox_config, runtime_handler=self.handler)).pod_sandbox_id
        return self

    def image(self):
        if self.image_ref is None:
            st = self.cri("ImageStatus", api.ImageStatusRequest(image=api.ImageSpec(image=BUSYBOX)))
            assert st.image.id, "image %s is not in containerd's k8s.io namespace" % BUSYBOX
            self.image_ref = st.image.id
        return self.image_ref

    def create(self, name):
        c = next(c for c in self.pod["spec"]["containers"] if c["name"] == name)
        cfg = container_config(self.pod, c, self.image())
        os.makedirs(os.path.join(self.sandbox_config.log_directory, c["name"]), exist_ok=True)
        cid = self.cri("CreateContainer", api.CreateContainerRequest(
            pod_sandbox_id=self.sandbox_id, config=cfg, sandbox_config=self.sandbox_config)).container_id
        self.containers[name] = cid
        return cid

    def start(self, name):
        cid = self.create(name)
        self.cri("StartContainer", api.StartContainerRequest(container_id=cid))
        return cid

    def remove(self):
        if self.sandbox_id is None:
            return
        self.cri("StopPodSandbox", api.StopPodSandboxRequest(pod_sandbox_id=self.sandbox_id))
        self.cri("RemovePodSandbox", api.RemovePodSandboxRequest(pod_sandbox_id=self.sandbox_id))
        self.sandbox_id = None

    def __enter__(self):
        return self.run()

    def __exit__(self, *exc):
        self.remove()


def exec_sync(cri, cid, *cmd, timeout=30):
    r = cri("ExecSync", api.ExecSyncRequest(container_id=cid, cmd=list(cmd), timeout=timeout))
    return r.exit_code, r.stdout.decode(), r.stderr.decode()


def exec_ok(cri, cid, *cmd):
    rc, out, err = exec_sync(cri, cid, *cmd)
    assert rc == 0, "ExecSync %s: exit %d, stdout %r, stderr %r" % (list(cmd), rc, out, err)
    return out


# ------------------------------------------------------------------ ward --

def ward(*args, check=True):
    p = subprocess.run([ENV["WARD"], "--root", ENV["WARD_ROOT"]] + list(args),
                       capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError("ward %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    return p


def ward_state(cid):
    """ward's own view of a container (it is ward that runs it), or None."""
    p = ward("state", cid, check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def ward_ids():
    p = ward("list", "--quiet", check=False)
    return set(p.stdout.split()) if p.returncode == 0 else set()


def wait_for(cond, what, timeout=20.0, fail=True):
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            if not fail:
                return None
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.1)


# ------------------------------------------------------------------- TAP --

class Skip(Exception):
    pass


class Tap:
    """Runs tests; each gets a fresh Cri and its TAP line names the CRI
    calls it made. A test may return a text to print below its line."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def run(self, name, fn):
        self.n += 1
        cri = Cri()
        start = time.monotonic()
        status, skip, diag = "ok", "", []
        try:
            notes = fn(cri)
            diag = notes.splitlines() if isinstance(notes, str) else []
        except Skip as e:
            skip = " # skip %s" % e
        except Exception:  # pylint: disable=broad-except
            status = "not ok"
            self.failed += 1
            diag = traceback.format_exc().rstrip().splitlines()
        print("%s %d - %s (CRI: %s)%s" % (status, self.n, name, ", ".join(cri.calls) or "none", skip),
              flush=True)
        for d in diag + ["  %.1f s" % (time.monotonic() - start)]:
            print("# " + d, flush=True)
        cri.channel.close()

    def done(self):
        """The exit status; tests/cri/run.sh adds its own test and the plan."""
        return 1 if self.failed else 0
