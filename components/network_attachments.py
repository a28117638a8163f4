"""The groups' test networks in the cluster: the reads that must pass before any agent object
(the Multus CRD, each DPDK inventory node's labels and resources), and one
NetworkAttachmentDefinition per group with a test network."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import specs, test_network
from components.settings.agent_groups import AgentGroup
from components.settings.fields import memory_bytes
from components.settings.problems import Path, Problem, Problems
from components.settings.stack import AgentsSettings

KUBERNETES_SERVICE = "default/kubernetes"


def cluster_checks(
    parent: pulumi.Resource, name: str, agents: AgentsSettings
) -> pulumi.Output[Any] | None:
    """An output that resolves once the cluster can carry every group's test network, and
    fails the run with the settings' problems otherwise; None without a test network."""
    networked = [(i, g) for i, g in enumerate(agents.groups) if g.test_network is not None]
    if not networked:
        return None
    opts = pulumi.ResourceOptions(parent=parent)
    # A cluster without Multus has no such CRD: the read fails the run with "resource
    # 'network-attachment-definitions.k8s.cni.cncf.io' does not exist" before anything else.
    crd = k8s.apiextensions.v1.CustomResourceDefinition.get(
        f"{name}-multus-crd", test_network.NAD_CRD, opts=opts
    )
    reads: list[pulumi.Output[Any]] = [crd.spec.apply(_crd_problems)]
    # The API server's own Service takes the first address of the service CIDR: the one address
    # of that CIDR readable by name (the CIDRs themselves are published by no object).
    api = k8s.core.v1.Service.get(f"{name}-kubernetes-service", KUBERNETES_SERVICE, opts=opts)
    reads.append(api.spec.apply(functools.partial(_service_ip_problems, networked)))
    demand = hugepage_demand([g for _, g in networked])
    for index, group in networked:
        dpdk = group.test_network.dpdk if group.test_network else None
        if dpdk is None:
            continue
        for position, nic in enumerate(dpdk.inventory):
            node = k8s.core.v1.Node.get(f"{name}-{group.name}-node-{position}", nic.node, opts=opts)
            key: Path = ("agentGroups", index, "testNetwork", "dpdk", "inventory", position, "node")
            check = functools.partial(
                _node_read_problems, key, group, nic.node, demand[(nic.node, dpdk.hugepage_size)]
            )
            reads.append(pulumi.Output.all(node.metadata, node.status).apply(check))
    return pulumi.Output.all(*reads).apply(_raise_problems)


def _service_ip_problems(networked: list[tuple[int, AgentGroup]], spec: Any) -> list[Problem]:
    address = _get(spec, "cluster_ip") or _get(spec, "clusterIP")
    try:
        service_ip = ipaddress.IPv4Address(address)
    except ValueError:
        return []
    problems = []
    for index, group in networked:
        ipam = group.test_network.ipam if group.test_network else None
        if ipam is None:
            continue
        start, end = ipam.slice()
        if start <= service_ip <= end:
            problems.append(
                Problem(
                    ("agentGroups", index, "testNetwork", "ipam"),
                    f"hands out {service_ip}, the ClusterIP of Service {KUBERNETES_SERVICE}: "
                    "the test range overlaps the cluster's service CIDR; choose a test subnet "
                    "outside the cluster's service and pod CIDRs",
                    ipam.range,
                )
            )
    return problems


def hugepage_demand(groups: Sequence[AgentGroup]) -> dict[tuple[str, str], tuple[int, int]]:
    """(node, hugepage size) -> (bytes, agents): what every DPDK agent pinned to a node requests
    of one page size, summed over the groups."""
    demand: dict[tuple[str, str], tuple[int, int]] = {}
    for group in groups:
        dpdk = group.test_network.dpdk if group.test_network else None
        if dpdk is None:
            continue
        for nic in dpdk.inventory:
            total, agents = demand.get((nic.node, dpdk.hugepage_size), (0, 0))
            demand[(nic.node, dpdk.hugepage_size)] = (
                total + memory_bytes(dpdk.hugepages),
                agents + 1,
            )
    return demand


def _node_read_problems(
    key: Path, group: AgentGroup, node: str, needed: tuple[int, int], read: Sequence[Any]
) -> list[Problem]:
    return node_problems(key, group, node, needed, read[0], read[1])


def _raise_problems(found: Sequence[list[Problem]]) -> bool:
    problems = [problem for part in found for problem in part]
    if problems:
        raise pulumi.RunError(str(Problems(problems)))
    return True


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if type(obj) is dict:
        return obj.get(key)
    return getattr(obj, key, None)


def _crd_problems(spec: Any) -> list[Problem]:
    served = [_get(v, "name") for v in _get(spec, "versions") or () if _get(v, "served")]
    if "v1" in served:
        return []
    return [
        Problem(
            ("agentGroups",),
            f"the cluster's {test_network.NAD_CRD} CRD does not serve v1; install Multus "
            "(docs/test-networks.md#prerequisites)",
            served,
        )
    ]


def node_problems(
    key: Path, group: AgentGroup, node: str, needed: tuple[int, int], metadata: Any, status: Any
) -> list[Problem]:
    """Why the inventory node cannot run the group's DPDK agent: it does not match the group's
    node selector, or lacks the hugepages that all the DPDK agents pinned to it request
    (`needed`: bytes, agents)."""
    problems = []
    labels = _get(metadata, "labels") or {}
    wrong = {k: v for k, v in group.effective_node_selector.items() if labels.get(k) != v}
    if wrong:
        problems.append(
            Problem(
                key,
                f"node {node!r} does not match the group's node selector (it lacks "
                f"{', '.join(f'{k}={v}' for k, v in sorted(wrong.items()))}); list only nodes "
                "the group runs on",
                node,
            )
        )
    dpdk = group.test_network.dpdk if group.test_network else None
    allocatable = _get(status, "allocatable") or {}
    if dpdk is not None:
        resource = f"hugepages-{dpdk.hugepage_size}"
        have = str(allocatable.get(resource) or "0")
        total, agents = needed
        wanted = (
            f"the agent's {dpdk.hugepages}"
            if agents == 1
            else f"the {total // 2**20}Mi its {agents} DPDK agents request together"
        )
        if memory_bytes(have) < total:
            problems.append(
                Problem(
                    key,
                    f"node {node!r} has {resource} {have} allocatable, less than {wanted}; "
                    "reserve hugepages and restart the kubelet",
                    node,
                )
            )
    return problems


def network_attachments(
    name: str,
    group: AgentGroup,
    namespace: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """The group's NetworkAttachmentDefinitions in the agents' namespace: one, one per DPDK
    inventory NIC over host-device, or none without a test network."""
    network = group.test_network
    if network is None:
        return []
    labels = {specs.APP_LABEL: specs.APP_VALUE, specs.GROUP_LABEL: group.name}
    found: list[pulumi.Resource] = []
    for nic in test_network.attachment_nics(network):
        spec = test_network.network_attachment(group, network, "", labels, nic)
        suffix = "" if nic is None else f"-{nic}"
        found.append(
            k8s.apiextensions.CustomResource(
                f"{name}-{group.name}{suffix}-test-network",
                api_version=spec["apiVersion"],
                kind=spec["kind"],
                metadata={**spec["metadata"], "namespace": namespace},
                spec=spec["spec"],
                opts=opts,
            )
        )
    return found


def server_pods(subsets: Any) -> list[str]:
    """`<namespace>/<name>` of the ready pods an Endpoints object lists, sorted."""
    found = set()
    for subset in subsets or ():
        for address in _get(subset, "addresses") or ():
            ref = _get(address, "target_ref") or _get(address, "targetRef")
            if _get(ref, "kind") == "Pod" and _get(ref, "name"):
                found.add(f"{_get(ref, 'namespace')}/{_get(ref, 'name')}")
    return sorted(found)


def read_test_addresses(
    parent: pulumi.Resource, name: str, group: AgentGroup, subsets: Any
) -> pulumi.Output[tuple[int, list[str]]]:
    """(pods without one, the test-interface addresses) of a server group's ready pods, from each
    pod's Multus network-status annotation. The pods are known only once the Endpoints are read,
    so their reads are registered here, named by position (same pods, same reads)."""
    pods = server_pods(subsets)
    if not pods:
        return pulumi.Output.from_input((0, []))
    reads = [
        k8s.core.v1.Pod.get(
            f"{name}-{group.name}-pod-{index}", pod, opts=pulumi.ResourceOptions(parent=parent)
        ).metadata
        for index, pod in enumerate(pods)
    ]
    namespace = pods[0].partition("/")[0]
    network = group.test_network
    attachments = [
        f"{namespace}/{test_network.nad_name(group, nic)}"
        for nic in (test_network.attachment_nics(network) if network else [None])
    ]
    return pulumi.Output.all(*reads).apply(functools.partial(_addresses_of, attachments))


def _addresses_of(attachments: list[str], metadatas: Sequence[Any]) -> tuple[int, list[str]]:
    found: set[str] = set()
    without = 0
    for metadata in metadatas:
        annotations = dict(_get(metadata, "annotations") or {})
        # A DPDK group's pods each carry the attachment of their own NIC.
        addresses = next(
            (a for a in (test_network.test_addresses(n, annotations) for n in attachments) if a),
            [],
        )
        without += not addresses
        found.update(addresses)
    return without, sorted(found, key=_ip_order)


def _ip_order(ip: str) -> tuple[int, ...]:
    return tuple(int(p) for p in ip.split(".")) if ip.count(".") == 3 else (1 << 16,)
