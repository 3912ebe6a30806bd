"""Capture the config.json that containerd's CRI plugin writes for pods that
exercise the Pod Security Standards' controls (run by tests/cri/run.sh
--capture DIR; see tests/cri/capture-fixtures.sh and
tests/fixtures/cri/README.md).

Each case is a Kubernetes Pod with one container. Its sandbox and container
are run through CRI as the kubelet would; the runtime handler's BinaryName
is a wrapper that keeps each bundle's config.json before running ward. For
each case DIR/<case>/ gets:
  pod.json        the Pod (its spec as a user writes it)
  cri.json        the RunPodSandbox and CreateContainer requests sent
  sandbox.json    the pod sandbox's config.json (the pause container)
  container.json  the container's config.json, or container.error: the
                  error CRI returned when containerd refused the container
"""

import json
import os
import shutil
import sys
import uuid

from crilib import (ENV, Cri, Pod, api, container_config, grpc_error, new_pod, to_json,
                    wait_for, ward_state)

SLEEP = ["sleep", "3600"]


def one(name="c", **sc):
    c = {"name": name, "command": SLEEP}
    if sc:
        c["securityContext"] = sc
    return [c]


def hostpath(path):
    return {"containers": [{"name": "c", "command": SLEEP,
                            "volumeMounts": [{"name": "host", "mountPath": "/host"}]}],
            "volumes": [{"name": "host", "hostPath": {"path": path}}]}


SPOOF = {"io.kubernetes.cri.sandbox-namespace": "kube-system",
         "io.kubernetes.pod.namespace": "kube-system",
         "io.kubernetes.cri.container-type": "sandbox"}

# case: (pod spec, note, runtime handler)
CASES = {
    "default": ({"containers": one()}, "no securityContext at all", None),
    "seccomp-runtimedefault": ({"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                                "containers": one()}, "pod-level seccompProfile RuntimeDefault", None),
    "seccomp-unconfined": ({"securityContext": {"seccompProfile": {"type": "Unconfined"}},
                            "containers": one()}, "pod-level seccompProfile Unconfined", None),
    "hostnetwork": ({"hostNetwork": True, "containers": one()}, "hostNetwork: true", None),
    "hostpid": ({"hostPID": True, "containers": one()}, "hostPID: true", None),
    "hostipc": ({"hostIPC": True, "containers": one()}, "hostIPC: true", None),
    "privileged": ({"containers": one(privileged=True)}, "container privileged: true", None),
    "cap-add-sys-admin": ({"containers": one(capabilities={"add": ["SYS_ADMIN"]})},
                          "capabilities.add [SYS_ADMIN]", None),
    "cap-add-net-raw": ({"containers": one(capabilities={"add": ["NET_RAW"]})},
                        "capabilities.add [NET_RAW]", None),
    "cap-drop-all-add-net-bind-service": (
        {"containers": one(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})},
        "capabilities.drop [ALL], add [NET_BIND_SERVICE] (the restricted level's only allowed add)", None),
    "hostpath-root": (hostpath("/"), "hostPath volume of / at /host", None),
    "hostpath-containerd-sock": (hostpath("/var/run/containerd/containerd.sock"),
                                 "hostPath volume of /var/run/containerd/containerd.sock at /host", None),
    "hostpath-etc": (hostpath("/etc"), "hostPath volume of /etc at /host", None),
    "sysctl-safe": ({"securityContext": {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start",
                                                      "value": "0"}]},
                     "containers": one()}, "sysctl net.ipv4.ip_unprivileged_port_start=0 (safe set)", None),
    "sysctl-unsafe": ({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "65536"}]},
                       "containers": one()}, "sysctl kernel.msgmax=65536 (not in the safe set)", None),
    "runasuser-0": ({"containers": one(runAsUser=0)}, "container runAsUser: 0", None),
    "runasuser-1000": ({"containers": one(runAsUser=1000)}, "container runAsUser: 1000", None),
    "runasnonroot": ({"securityContext": {"runAsNonRoot": True, "runAsUser": 1000},
                      "containers": one()},
                     "pod runAsNonRoot: true, runAsUser: 1000 (runAsNonRoot itself is checked by the"
                     " kubelet and never sent)", None),
    "allowprivilegeescalation-false": ({"containers": one(allowPrivilegeEscalation=False)},
                                       "allowPrivilegeEscalation: false", None),
    "readonlyrootfs": ({"containers": one(readOnlyRootFilesystem=True)},
                       "readOnlyRootFilesystem: true", None),
    "apparmor-unconfined": ({"annotations": {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"},
                             "containers": one()},
                            "AppArmor annotation unconfined (kubelet 1.25 sends apparmor_profile)", None),
    "apparmor-runtimedefault": ({"annotations": {"container.apparmor.security.beta.kubernetes.io/c":
                                                 "runtime/default"},
                                 "containers": one()},
                                "AppArmor annotation runtime/default on a host without AppArmor", None),
    "procmount-unmasked": ({"containers": one(procMount="Unmasked")},
                           "procMount: Unmasked (kubelet sends empty masked/readonly path lists)", None),
    "spoof": ({"annotations": dict(SPOOF), "containers": one()},
              "pod in namespace default whose annotations claim kube-system (handler with"
              " pod_annotations/container_annotations [\"*\"])", None),
    "spoof-no-passthrough": ({"annotations": dict(SPOOF), "containers": one()},
                             "the same pod on a handler without annotation pass-through",
                             "ward-plain"),
}


def write_json(path, obj, sort=False):
    """config.json as the runtime got it; our own files sorted, as protobuf
    maps come in no fixed order."""
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=sort)
        f.write("\n")


def captured(cid, timeout=10):
    path = os.path.join(ENV["CRI_T"], "captured", cid + ".json")
    if not wait_for(lambda: os.path.exists(path), "the config.json of " + cid, timeout, fail=False):
        return None
    with open(path) as f:
        return json.load(f)


def capture(cri, out, case, spec, note, handler):
    pod = new_pod("fixture-" + case, uid=str(uuid.uuid5(uuid.NAMESPACE_URL, "ward-cri-fixture/" + case)),
                  **json.loads(json.dumps(spec)))
    d = os.path.join(out, case)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    write_json(os.path.join(d, "pod.json"), {"apiVersion": "v1", "kind": "Pod", **pod, "note": note}, True)
    p = Pod(cri, pod, handler or ENV["CRI_HANDLER"])
    c = pod["spec"]["containers"][0]
    write_json(os.path.join(d, "cri.json"), {
        "RunPodSandboxRequest": to_json(api.RunPodSandboxRequest(
            config=p.sandbox_config, runtime_handler=p.handler)),
        "CreateContainerRequest": to_json(api.CreateContainerRequest(
            pod_sandbox_id="<the RunPodSandbox response's pod_sandbox_id>",
            config=container_config(pod, c, "<the ImageStatus response's image.id>"),
            sandbox_config=p.sandbox_config))}, True)
    try:
        p.run()
        sandbox = captured(p.sandbox_id)
        assert sandbox, "no config.json captured for the sandbox"
        write_json(os.path.join(d, "sandbox.json"), sandbox)
        err = grpc_error(lambda: p.start(c["name"]))
        cid = p.containers.get(c["name"])
        config = captured(cid, 10 if not err else 1) if cid else None
        if config:
            write_json(os.path.join(d, "container.json"), config)
        if err:
            with open(os.path.join(d, "container.error"), "w") as f:
                f.write(err + "\n")
            return "refused (%s): %s" % ("after create" if config else "by containerd", err)
        assert (ward_state(cid) or {}).get("status") == "running", "ward does not run " + cid
        return "ok"
    finally:
        p.remove()


def main(out):
    cri = Cri()
    v = cri("Version", api.VersionRequest())
    failed = 0
    for case, (spec, note, handler) in CASES.items():
        try:
            result = capture(cri, out, case, spec, note, handler)
        except Exception as e:  # pylint: disable=broad-except
            failed += 1
            result = "FAILED: %s" % e
        print("%-36s %s" % (case, result), flush=True)
    ward = os.popen("'%s' --version" % ENV["WARD"]).read().strip().replace("\n", "; ")
    with open(os.path.join(out, "VERSIONS"), "w") as f:
        f.write("containerd: %s %s (CRI %s)\n" % (v.runtime_name, v.runtime_version, v.runtime_api_version))
        f.write("ward: %s\n" % ward)
        with open(os.path.join(os.environ["CRI_CACHE"], "proto", "VERSIONS")) as proto:
            f.write(proto.read())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
