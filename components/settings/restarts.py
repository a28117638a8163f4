"""Which settings restart a group's agents: the keys whose change reaches the pod template of
the group's Deployment (which `up` then deletes and creates again, components/agents.py). Found by
building the Deployment spec from settings with one key changed, for the configuration reference
(components.settings.reference); the program never imports it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import ValidationError

from components import specs
from components.cyperf import Role
from components.settings.stack import StackSettings

GROUP = "agentGroups[i]."


@dataclass(frozen=True)
class Sample:
    """A changed value for a key (for a group key, a function of the group's role gives one per
    role), and the rest of its section it needs to matter (a probe's path matters only with the
    HTTP probe)."""

    value: Any
    context: dict[str, Any] | None = None


# A test network and a DPDK one, for the samples of their keys.
_NET: dict[str, Any] = {"type": "macvlan", "master": "ens224", "ipam": {"range": "192.168.10.0/24"}}
_DPDK: dict[str, Any] = {
    "type": "macvlan",
    "master": "ens224",
    "ipam": {"range": "192.168.10.0/24"},
    "dpdk": {
        "inventory": [{"node": "n1", "pciId": "0000:0b:00.0", "numaNode": 0, "cpuSet": "2,3"}]
    },
}

_SRIOV: dict[str, Any] = {
    "type": "sriov",
    "resourceName": "intel.com/a",
    "ipam": {"range": "192.168.10.0/24"},
}

# One changed value per key (group keys: in a group of each role). A key without a sample stops
# the generator: whether it restarts agents must be found, never assumed.
SAMPLES: dict[str, Sample] = {
    "cluster": Sample("eks"),
    "cyperfRelease": Sample("release7.0"),
    "controllerAddress": Sample("10.0.0.1"),
    "controllerIsProxy": Sample(True),
    "kubeconfig": Sample('{"clusters": [{"name": "c"}], "contexts": [{"name": "c"}]}'),
    "kubeContext": Sample("lab"),
    "namespace": Sample("lab"),
    "createNamespace": Sample(False),
    "clusterDnsService": Sample("kube-system/coredns"),
    "nodeLabels": Sample({"node-1": "client"}),
    "rolloutTimeoutSeconds": Sample(600),
    "conntrack.nodeTuning": Sample(True),
    "conntrack.timeWaitSeconds": Sample(60),
    "conntrack.headroom": Sample(2.0),
    "conntrack.intervalSeconds": Sample(60),
    "conntrack.nodeVcpus": Sample(8),
    f"{GROUP}name": Sample("renamed"),
    f"{GROUP}previousNames": Sample(["old"]),
    f"{GROUP}role": Sample(lambda role: "server" if role == "client" else "client"),
    f"{GROUP}replicas": Sample(3),
    f"{GROUP}tags": Sample({"segment": "a"}),
    f"{GROUP}managementInterface": Sample("eth0"),
    f"{GROUP}testInterface": Sample("eth1"),
    f"{GROUP}promiscuousInterface": Sample("<all>"),
    f"{GROUP}env": Sample({"EXTRA": "1"}),
    f"{GROUP}resources.requests.cpu": Sample("1"),
    f"{GROUP}resources.requests.memory": Sample("1Gi"),
    f"{GROUP}resources.limits.cpu": Sample("2"),
    f"{GROUP}resources.limits.memory": Sample("8Gi"),
    f"{GROUP}nodeSelector": Sample({"pool": "a"}),
    f"{GROUP}oneAgentPerNode": Sample(False),
    f"{GROUP}tolerations[j].key": Sample("other", {"tolerations": [{"key": "k"}]}),
    f"{GROUP}tolerations[j].operator": Sample("Exists", {"tolerations": [{"key": "k"}]}),
    f"{GROUP}tolerations[j].value": Sample("v", {"tolerations": [{"key": "k"}]}),
    f"{GROUP}tolerations[j].effect": Sample("NoSchedule", {"tolerations": [{"key": "k"}]}),
    f"{GROUP}readiness.mode": Sample("agent-started"),
    f"{GROUP}readiness.path": Sample("/x", {"readiness": {"mode": "http-health-check"}}),
    f"{GROUP}readiness.port": Sample(8080, {"readiness": {"mode": "http-health-check"}}),
    f"{GROUP}readiness.periodSeconds": Sample(10, {"readiness": {"mode": "agent-started"}}),
    f"{GROUP}architecture": Sample("arm64"),
    f"{GROUP}podAnnotations": Sample({"example.com/a": "b"}),
    f"{GROUP}seccompProfile": Sample("Unconfined"),
    f"{GROUP}service.name": Sample("other"),
    f"{GROUP}service.type": Sample("NodePort"),
    f"{GROUP}service.ports[j].name": Sample("https"),
    f"{GROUP}service.ports[j].port": Sample(443),
    f"{GROUP}service.ports[j].targetPort": Sample(443),
    f"{GROUP}service.ports[j].nodePort": Sample(30080, {"service": {"type": "NodePort"}}),
    f"{GROUP}service.ports[j].protocol": Sample("UDP"),
    f"{GROUP}service.annotations": Sample({"example.com/a": "b"}),
    f"{GROUP}service.loadBalancerAwaitSeconds": Sample(60, {"service": {"type": "LoadBalancer"}}),
    f"{GROUP}conntrack.peakConnectionsPerSecond": Sample(100000),
    f"{GROUP}conntrack.concurrentConnections": Sample(100000),
    f"{GROUP}conntrack.tableSize": Sample(100000),
    f"{GROUP}localPortRange": Sample("2000-65000"),
    f"{GROUP}testNetwork.type": Sample("ipvlan", {"testNetwork": _NET}),
    f"{GROUP}testNetwork.master": Sample("ens256", {"testNetwork": _NET}),
    f"{GROUP}testNetwork.resourceName": Sample(
        "intel.com/sriov_netdevice", {"testNetwork": _SRIOV}
    ),
    f"{GROUP}testNetwork.interface": Sample("net2", {"testNetwork": _NET}),
    f"{GROUP}testNetwork.ipam.range": Sample("192.168.20.0/24", {"testNetwork": _NET}),
    f"{GROUP}testNetwork.ipam.rangeStart": Sample("192.168.10.10", {"testNetwork": _NET}),
    f"{GROUP}testNetwork.ipam.rangeEnd": Sample("192.168.10.99", {"testNetwork": _NET}),
    f"{GROUP}testNetwork.ipam.gateway": Sample(
        "192.168.10.254",
        {
            "testNetwork": {
                **_NET,
                "ipam": {"range": "192.168.10.0/24", "rangeEnd": "192.168.10.99"},
            }
        },
    ),
    f"{GROUP}testNetwork.dpdk.hugepageSize": Sample("2Mi", {"testNetwork": _DPDK}),
    f"{GROUP}testNetwork.dpdk.hugepages": Sample("4Gi", {"testNetwork": _DPDK}),
    f"{GROUP}testNetwork.dpdk.inventory[j].node": Sample("n2", {"testNetwork": _DPDK}),
    f"{GROUP}testNetwork.dpdk.inventory[j].pciId": Sample("0000:13:00.0", {"testNetwork": _DPDK}),
    f"{GROUP}testNetwork.dpdk.inventory[j].numaNode": Sample(1, {"testNetwork": _DPDK}),
    f"{GROUP}testNetwork.dpdk.inventory[j].cpuSet": Sample("4-5", {"testNetwork": _DPDK}),
}
ROLES: tuple[str, ...] = get_args(Role)


def _with(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `data` with `path` set (a list index: the list's first item)."""
    changed = copy.deepcopy(data)
    target = changed
    *parents, last = path.split(".")
    for part in parents:
        if part.endswith("]"):
            target = target.setdefault(part[:-3], [{}])[0]
        else:
            target = target.setdefault(part, {})
    target[last] = value
    return changed


def _settings(data: dict[str, Any]) -> StackSettings | None:
    try:
        return StackSettings.model_validate(data)
    except ValidationError:
        return None


def _templates(settings: StackSettings) -> list[tuple[str, Any]]:
    """Each group's role and pod template, in the groups' order."""
    # any stack name: only what changes between two templates counts
    agents = settings.agents_in("stack")
    return [
        (g.role, specs.deployment(g, agents)["spec"]["template"]) for g in settings.agent_groups
    ]


def restarting_roles(path: str, sample: Sample) -> set[str]:
    """The roles whose pod template the sample changes; raises when no group takes it."""
    if path.startswith(GROUP):
        pairs = []
        for role in ROLES:
            group = {"name": role, "role": role, **(sample.context or {})}
            value = sample.value(role) if callable(sample.value) else sample.value
            changed = _with(group, path.removeprefix(GROUP), value)
            pairs.append(({"agentGroups": [group]}, {"agentGroups": [changed]}))
    else:
        base = sample.context or {}
        pairs = [(base, _with(base, path, sample.value))]
    roles: set[str] = set()
    taken = False
    for before, after in pairs:
        old, new = _settings(before), _settings(after)
        if old is None or new is None or old == new:
            continue
        taken = True
        roles |= {
            role
            for (role, before_template), (_, after_template) in zip(
                _templates(old), _templates(new), strict=True
            )
            if before_template != after_template
        }
    if not taken:
        raise ValueError(f"the sample {sample} of {path} is refused or changes nothing")
    return roles


def restarting_keys(leaves: Sequence[str]) -> dict[str, set[str]]:
    """{key: the roles whose agents restart when it changes}, of the stack's keys that hold
    values (`leaves`), for every key that restarts any."""
    unsampled = sorted(set(leaves) ^ set(SAMPLES))
    if unsampled:
        raise ValueError(f"keys without a sample, or samples of no key: {unsampled}")
    found = {path: restarting_roles(path, SAMPLES[path]) for path in leaves}
    return {path: roles for path, roles in found.items() if roles}
