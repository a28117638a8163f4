"""Pure functions from a group's test network to Kubernetes specs: the NetworkAttachmentDefinition,
what the agent's pod template gains (the Multus annotation, the interface env, a device-plugin
resource, DPDK's image, hugepages and host access) and the DPDK inventory's expansion into one
Deployment per (node, NIC).

Facts: the NAD kind, its `spec.config` and the pod annotation are Multus'
(k8snetworkplumbingwg/multus-cni `docs/how-to-use.md`); the Whereabouts keys are its README's
(k8snetworkplumbingwg/whereabouts); the `resourceName` annotation and the one-device request are
the SR-IOV device plugin's (k8snetworkplumbingwg/sriov-network-device-plugin
`deployments/sriov-crd.yaml`); the env names, image, privileges and host paths are Keysight's
(Keysight/cyperf `deployment/k8s/multus/`, `deployment/containers/dpdk/README.md`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from components.settings.agent_groups import AgentGroup
from components.settings.dpdk import DpdkNic, cpu_ids
from components.settings.fields import memory_bytes
from components.settings.test_network import (
    DEFAULT_MANAGEMENT_INTERFACE,
    NETWORKS_ANNOTATION,
    TestNetwork,
)

NAD_API_VERSION = "k8s.cni.cncf.io/v1"
NAD_KIND = "NetworkAttachmentDefinition"
NAD_CRD = "network-attachment-definitions.k8s.cni.cncf.io"
NETWORK_STATUS_ANNOTATION = "k8s.v1.cni.cncf.io/network-status"
RESOURCE_NAME_ANNOTATION = "k8s.v1.cni.cncf.io/resourceName"
# The CNI spec version of Keysight's multus examples.
CNI_VERSION = "0.3.1"
DPDK_IMAGE_REPOSITORY = "public.ecr.aws/keysight/cyperf-agent-dpdk"
DPDK_HOST_PATHS = ("/dev", "/lib/modules", "/lib/firmware")
# Marks a DPDK group's pods: the policy pack grants its host access to these only.
DPDK_LABEL = "cyperf-k8s/dpdk"
# Tells the Deployments of one DPDK group apart (one per inventory NIC).
NIC_LABEL = "cyperf-k8s/agent-nic"
HOSTNAME_LABEL = "kubernetes.io/hostname"
CONFIG_ANNOTATION = "cyperf-k8s/test-network"


def nad_name(group: AgentGroup, nic: int | None = None) -> str:
    """The group's NetworkAttachmentDefinition, or that of its DPDK inventory's NIC `nic`."""
    return f"cyperf-{group.name}-test" if nic is None else f"cyperf-{group.name}-{nic}-test"


def attachment_nics(network: TestNetwork) -> list[int | None]:
    """One attachment for the group (None), or with DPDK over host-device one per inventory NIC:
    a NIC bound to vfio-pci has no kernel link left, so `device: <name>` fails when a pod
    restarts, while `pciBusID` finds the NIC by address and, seeing a userspace driver, hands it
    over without moving a link (containernetworking/plugins plugins/main/host-device
    `host-device.go`: `loadConf`, `hasDpdkDriver`, `DPDKMode`)."""
    if network.dpdk is not None and network.type == "host-device":
        return list(range(len(network.dpdk.inventory)))
    return [None]


def cni_config(group: AgentGroup, network: TestNetwork, nic: int | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"cniVersion": CNI_VERSION, "name": nad_name(group, nic)}
    config["type"] = network.type
    if network.type == "host-device" and nic is not None and network.dpdk is not None:
        config["pciBusID"] = network.dpdk.inventory[nic].pci_id
    elif network.type == "host-device":
        config["device"] = network.master
    elif network.type == "macvlan":
        config.update(master=network.master, mode="bridge")
    elif network.type == "ipvlan":
        config.update(master=network.master, mode="l2")
    ipam: dict[str, Any] = {"type": "whereabouts", "range": network.ipam.range}
    for key, value in (
        ("range_start", network.ipam.range_start),
        ("range_end", network.ipam.range_end),
        ("gateway", network.ipam.gateway),
    ):
        if value is not None:
            ipam[key] = value
    config["ipam"] = ipam
    return config


def network_attachment(
    group: AgentGroup,
    network: TestNetwork,
    namespace: str,
    labels: dict[str, str],
    nic: int | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": nad_name(group, nic),
        "namespace": namespace,
        "labels": labels,
    }
    if network.resource_name is not None:
        metadata["annotations"] = {RESOURCE_NAME_ANNOTATION: network.resource_name}
    return {
        "apiVersion": NAD_API_VERSION,
        "kind": NAD_KIND,
        "metadata": metadata,
        "spec": {"config": json.dumps(cni_config(group, network, nic), sort_keys=True)},
    }


def interfaces(group: AgentGroup) -> tuple[str | None, str | None]:
    """(AGENT_MANAGEMENT_INTERFACE, AGENT_TEST_INTERFACE): with a test network the management
    interface is the pod network's unless set, the test interface the attachment's (none for
    DPDK)."""
    if group.test_network is None:
        return group.management_interface, group.test_interface
    management = group.management_interface or DEFAULT_MANAGEMENT_INTERFACE
    if group.test_network.dpdk is not None:
        # A DPDK agent takes its NIC by PCI ID; a NIC bound to vfio-pci never becomes a kernel
        # interface in the pod (containernetworking/plugins host-device), and Keysight's DPDK
        # manifest sets no test interface.
        return management, None
    return management, group.test_network.interface


def dpdk_image(release: str) -> str:
    return f"{DPDK_IMAGE_REPOSITORY}:{release}"


def attach(group: AgentGroup, release: str, deployment: dict[str, Any]) -> dict[str, Any]:
    """The group's Deployment spec with its test network (unchanged without one)."""
    network = group.test_network
    if network is None:
        return deployment
    template = deployment["spec"]["template"]
    annotations = template["metadata"].setdefault("annotations", {})
    annotations[NETWORKS_ANNOTATION] = json.dumps(
        [{"name": nad_name(group), "interface": network.interface}]
    )
    # Multus reads the attachment only when a pod starts: a changed network (a new range, another
    # NIC) must restart the agents, so its digest is part of the pod template.
    annotations[CONFIG_ANNOTATION] = hashlib.sha256(
        network.model_dump_json(by_alias=True).encode()
    ).hexdigest()[:16]
    container = template["spec"]["containers"][0]
    resources = container.setdefault("resources", {})
    if network.resource_name is not None:
        # Extended resources are never overcommitted: request and limit must be equal.
        for kind in ("requests", "limits"):
            resources.setdefault(kind, {})[network.resource_name] = "1"
    if network.dpdk is not None:
        dpdk = network.dpdk
        for kind in ("requests", "limits"):
            resources.setdefault(kind, {})[f"hugepages-{dpdk.hugepage_size}"] = dpdk.hugepages
        container["image"] = dpdk_image(release)
        # Keysight's DPDK container: privileged (it binds the NIC, maps hugepages and /dev/vfio)
        # with the agent's three capabilities. The API server refuses privileged together with
        # allowPrivilegeEscalation false, so that field is left out here only.
        container["securityContext"] = {
            "privileged": True,
            "capabilities": container["securityContext"]["capabilities"],
        }
        volumes = [_volume_name(path) for path in DPDK_HOST_PATHS]
        container["volumeMounts"] = [
            {"name": name, "mountPath": path}
            for name, path in zip(volumes, DPDK_HOST_PATHS, strict=True)
        ]
        template["spec"]["volumes"] = [
            {"name": name, "hostPath": {"path": path, "type": "Directory"}}
            for name, path in zip(volumes, DPDK_HOST_PATHS, strict=True)
        ]
        template["metadata"]["labels"][DPDK_LABEL] = "true"
    return deployment


def _volume_name(path: str) -> str:
    return "host-" + path.strip("/").replace("/", "-")


def hugemem_allocation(numa_node: int, megabytes: int) -> str:
    """DPDK_HUGEMEM_ALLOCATION_SIZE: MB per NUMA node up to the NIC's, its share in its position
    (Keysight's DPDK guide: `"<MB>"` on a single-node host, `"0,<MB>"` for node 1). Node 0 takes
    the single-node form, which a one-node host requires; the guide's `"<MB>,0"` differs from it
    only by a node that gets nothing."""
    return ",".join(str(megabytes if n == numa_node else 0) for n in range(numa_node + 1))


def expand(group: AgentGroup, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    """The group's Deployments: one, or with a DPDK inventory one per (node, NIC), each with one
    agent pinned to its node and its own selector."""
    network = group.test_network
    if network is None or network.dpdk is None:
        return [deployment]
    dpdk = network.dpdk
    megabytes = memory_bytes(dpdk.hugepages) // 2**20
    expanded = []
    for index, nic in enumerate(dpdk.inventory):
        spec = copy.deepcopy(deployment)
        spec["metadata"]["name"] = f"cyperf-agent-{group.name}-{index}-deployment"
        spec["metadata"]["labels"][NIC_LABEL] = str(index)
        spec["spec"]["replicas"] = 1
        spec["spec"]["selector"]["matchLabels"][NIC_LABEL] = str(index)
        template = spec["spec"]["template"]
        template["metadata"]["labels"][NIC_LABEL] = str(index)
        template["spec"]["nodeSelector"][HOSTNAME_LABEL] = nic.node
        if attachment_nics(network)[0] is not None:
            template["metadata"]["annotations"][NETWORKS_ANNOTATION] = json.dumps(
                [{"name": nad_name(group, index), "interface": network.interface}]
            )
        container = template["spec"]["containers"][0]
        container["env"] = [*container["env"], *_nic_env(group, index, nic, megabytes)]
        container["resources"].setdefault("requests", {})["cpu"] = str(len(cpu_ids(nic.cpu_set)))
        expanded.append(spec)
    return expanded


def _nic_env(group: AgentGroup, index: int, nic: DpdkNic, megabytes: int) -> list[dict[str, str]]:
    return [
        {"name": "AGENT_CPU_SET", "value": nic.cpu_set},
        {"name": "NUMA_NODE", "value": str(nic.numa_node)},
        {"name": "DPDK_TEST_INTERFACE_PCI_ID", "value": nic.pci_id},
        {
            "name": "DPDK_HUGEMEM_ALLOCATION_SIZE",
            "value": hugemem_allocation(nic.numa_node, megabytes),
        },
        # Unique per container on a host: the group and the NIC's position.
        {"name": "DPDK_HUGEMEM_ALLOCATION_PREFIX", "value": f"cyperf-{group.name}-{index}"},
    ]


def test_addresses(group_nad: str, annotations: dict[str, str] | None) -> list[str]:
    """A pod's test-interface addresses from Multus' network-status annotation: the entry named
    `<namespace>/<nad>` (or the bare name, as in Multus' quickstart) that is not the default
    network (network-attachment-definition-client `types.go`, `NetworkStatus`)."""
    text = (annotations or {}).get(NETWORK_STATUS_ANNOTATION)
    if not text:
        return []
    try:
        entries = json.loads(text)
    except ValueError:
        return []
    bare = group_nad.rpartition("/")[2]
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("default"):
            continue
        if entry.get("name") in (group_nad, bare):
            return [ip for ip in entry.get("ips") or [] if isinstance(ip, str)]
    return []
