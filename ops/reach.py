"""`doctor`'s reachability probe: can a pod on an agent node open TCP to the controller?

One short-lived pod per agent group, placed like the group's agents (their nodeSelector and
tolerations, read from a running agent pod), runs `nc -z` (busybox's zero-I/O connect: exit 0
when the TCP handshake completes, see busybox networking/nc_bloaty.c) to the controller's port
443, and also 30422 for agents before CyPerf 3.0 (components/cyperf.py), then prints one line
per port. The pod is removed afterwards, whatever happened; it runs with no privilege, no
service-account token, and ends itself after `activeDeadlineSeconds` should removal fail.

The image is the node-tuning DaemonSet's busybox, which the stack already pulls from the
registry its agent images come from.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from components.conntrack.daemonset import NODE_TUNING_IMAGE
from components.cyperf import CONTROLLER_PORT, RELEASE_TAG, controller_ports
from ops.checks import Check
from ops.pods import AgentPod

PROBE_LABEL = "app.kubernetes.io/name"
PROBE_VALUE = "cyperf-doctor"
PROBE_CONTAINER = "probe"
CONNECT_SECONDS = 5
# POSIX sh; one `reach <host>:<port> ok|failed` line per port
PROBE_SCRIPT = r"""for port in $PORTS; do
  if nc -z -w "$CONNECT_SECONDS" "$HOST" "$port"; then
    echo "reach $HOST:$port ok"
  else
    echo "reach $HOST:$port failed"
  fi
done
"""
_LINE = re.compile(r"^reach (\S+):(\d+) (ok|failed)$", re.M)


def probe_name(group: str) -> str:
    return f"cyperf-doctor-reach-{group}"


def target(address: str, image: str) -> tuple[str, list[int]]:
    """(host, ports) the agents of this image connect to: an explicit port in the address
    replaces 443; releases before 3.0 also use 30422."""
    parts = urlsplit(address if "://" in address else f"https://{address}")
    host = parts.hostname or address
    _, _, tag = image.rpartition(":")
    # a tag that is no release (a digest, a private build name): the current port only
    ports = controller_ports(tag) if RELEASE_TAG.fullmatch(tag) else [CONTROLLER_PORT]
    if parts.port:
        ports = [parts.port if p == CONTROLLER_PORT else p for p in ports]
    return host, ports


def probe_pod(group: str, agent: AgentPod, host: str, ports: Sequence[int]) -> dict[str, Any]:
    spec = agent.raw.get("spec") or {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": probe_name(group),
            # not app=cyperf-agent: no agent selector, anti-affinity or Deployment may count it
            "labels": {PROBE_LABEL: PROBE_VALUE, "cyperf-k8s/doctor-group": group},
        },
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": 120,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "nodeSelector": dict(spec.get("nodeSelector") or {}),
            "tolerations": list(spec.get("tolerations") or []),
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "runAsGroup": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": PROBE_CONTAINER,
                    "image": NODE_TUNING_IMAGE,
                    "command": ["/bin/sh", "-c", PROBE_SCRIPT],
                    "env": [
                        {"name": "HOST", "value": host},
                        {"name": "PORTS", "value": " ".join(str(p) for p in ports)},
                        {"name": "CONNECT_SECONDS", "value": str(CONNECT_SECONDS)},
                    ],
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "16Mi"},
                        "limits": {"memory": "16Mi"},
                    },
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "readOnlyRootFilesystem": True,
                    },
                }
            ],
        },
    }


def verdict(group: str, node: str | None, log: str, ports: Sequence[int]) -> Check:
    """The check from the probe's output: every port `ok` passes."""
    name = f"controller reachable from {group} nodes"
    seen = {int(port): state for _, port, state in _LINE.findall(log)}
    failed = [p for p in ports if seen.get(p) == "failed"]
    unknown = [p for p in ports if p not in seen]
    where = f"from node {node}" if node else "from an agent node"
    if failed:
        return Check(
            name,
            "FAIL",
            f"{where}: no TCP connection to port(s) {failed}",
            "open egress from the agent nodes to the controller (security groups, network "
            "policies, firewalls) on those ports",
        )
    if unknown:
        return Check(name, "WARN", f"{where}: probe printed no result for port(s) {unknown}")
    return Check(name, "PASS", f"{where}: port(s) {list(ports)} open")


def run_probe(
    core: Any,
    namespace: str,
    group: str,
    agent: AgentPod,
    address: str,
    timeout: float,
    progress: Callable[[str], None],
    poll: float = 1.0,
) -> Check:
    """Create the probe pod, wait for it to end (at most `timeout` s), judge, remove it."""
    from kubernetes.client.exceptions import ApiException

    host, ports = target(address, _image(agent))
    name = probe_name(group)
    _delete(core, namespace, name)  # a leftover of an interrupted run
    try:
        core.create_namespaced_pod(namespace, probe_pod(group, agent, host, ports))
        progress(f"probe pod {name}: {host} ports {ports}")
        deadline = time.monotonic() + timeout
        phase, node = "Pending", None
        while time.monotonic() < deadline:
            pod = core.read_namespaced_pod(name, namespace, _request_timeout=30)
            phase, node = pod.status.phase, pod.spec.node_name
            if phase in ("Succeeded", "Failed"):
                break
            time.sleep(poll)
        if phase not in ("Succeeded", "Failed"):
            return Check(
                f"controller reachable from {group} nodes",
                "WARN",
                f"probe pod {name} did not finish within {timeout:.0f}s (phase {phase}, "
                f"node {node or 'none'})",
                f"`kubectl -n {namespace} describe pod {name}` while `make doctor` runs",
            )
        # raw bytes: the client's own decoding of a text answer returns the bytes' repr
        log = core.read_namespaced_pod_log(
            name,
            namespace,
            container=PROBE_CONTAINER,
            _preload_content=False,
            _request_timeout=30,
        ).data.decode(errors="replace")
        return verdict(group, node, log, ports)
    except ApiException as err:
        return Check(
            f"controller reachable from {group} nodes",
            "FAIL",
            f"cannot run probe pod {name}: {err.status} {err.reason}",
            "doctor needs create/get/delete of pods and pods/log in the namespace",
        )
    finally:
        _delete(core, namespace, name)


def _image(agent: AgentPod) -> str:
    for container in (agent.raw.get("spec") or {}).get("containers") or []:
        return str(container.get("image") or "")
    return ""


def _delete(core: Any, namespace: str, name: str) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
    except ApiException as err:
        if err.status != 404:
            raise
