"""A group's test network (`agentGroups[i].testNetwork`): a second interface attached with Multus
(a NetworkAttachmentDefinition the stack creates), its Whereabouts address range, and DPDK mode
with a per-node NIC inventory (docs/test-networks.md)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, model_validator

from components.settings.dpdk import (
    DPDK_RELEASES,
    Dpdk,
    group_dpdk_problems,
    shared_cpu_problems,
)
from components.settings.fields import (
    Interface,
    Model,
    matches,
)
from components.settings.ipam import Ipam, gateway_problems
from components.settings.problems import KeyWarning, Problem, only_with, raise_any, repeated
from components.settings.resources import Resources

# `<prefix>/<name>` as the SR-IOV device plugin advertises it (default prefix `intel.com`); the
# name takes letters, digits, '_' and '-' (k8snetworkplumbingwg/sriov-network-device-plugin
# README, "resourceName").
RESOURCE_NAME = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9_-]+", re.ASCII
)


class TestNetwork(Model):
    type: Literal["host-device", "macvlan", "ipvlan", "sriov"]
    """How the test interface is attached (the CNI plugin of the NetworkAttachmentDefinition):
    `host-device` moves a host NIC into the pod, `macvlan`/`ipvlan` share one, `sriov` takes a VF
    from the SR-IOV device plugin's resource."""
    master: Interface | None = None
    """The host NIC: `device` of `host-device`, `master` of `macvlan` and `ipvlan`. Not with
    `sriov`, nor with `host-device` in DPDK mode (each inventory NIC's attachment takes it by
    `pciBusID`)."""
    resource_name: (
        Annotated[
            str,
            AfterValidator(
                matches(
                    RESOURCE_NAME, "a device-plugin resource such as 'intel.com/sriov_netdevice'"
                )
            ),
        ]
        | None
    ) = None
    """`sriov` only: the SR-IOV device plugin's resource (`<prefix>/<resourceName>`); each agent
    requests one."""
    interface: Interface = "net1"
    """The test interface's name inside the pod: `AGENT_TEST_INTERFACE` (not set for DPDK, whose
    agent takes the NIC by PCI ID). It must differ from the management interface (Keysight: one
    interface for both is not supported)."""
    ipam: Ipam
    """The test addresses (Whereabouts)."""
    dpdk: Dpdk | None = None
    """DPDK mode: the `cyperf-agent-dpdk` image, hugepages, one agent per inventory NIC,
    privileged with the host's `/dev`, `/lib/modules` and `/lib/firmware` (policy exception
    `cyperf-dpdk-agent-host-access`)."""

    @model_validator(mode="after")
    def _attachment(self) -> TestNetwork:
        problems = []
        if self.type == "sriov":
            if self.dpdk is not None:
                # The device plugin hands the pod any VF of its pool, while the DPDK image drives
                # the inventory's fixed DPDK_TEST_INTERFACE_PCI_ID: the two need not agree
                # (docs/test-networks.md#dpdk).
                problems.append(
                    Problem(
                        ("dpdk",),
                        "is not supported with type 'sriov': the agent would drive the "
                        "inventory's PCI ID, not the VF the device plugin allocated; use type "
                        "'host-device' for DPDK",
                        self.type,
                    )
                )
            if self.resource_name is None:
                problems.append(
                    Problem(
                        ("resourceName",), "type 'sriov' needs the device plugin's resource", None
                    )
                )
            if self.master is not None:
                problems.append(
                    Problem(
                        ("master",),
                        only_with("type host-device, macvlan or ipvlan", "type is 'sriov'"),
                        self.master,
                    )
                )
        elif self.type == "host-device" and self.dpdk is not None:
            if self.master is not None:
                problems.append(
                    Problem(
                        ("master",),
                        "is not used with dpdk on type 'host-device': each inventory NIC gets "
                        "an attachment that takes it by pciId; remove it",
                        self.master,
                    )
                )
        else:
            if self.master is None:
                problems.append(
                    Problem(("master",), f"type {self.type!r} needs the host NIC's name", None)
                )
            if self.resource_name is not None:
                problems.append(
                    Problem(
                        ("resourceName",),
                        only_with("type 'sriov'", f"type is {self.type!r}"),
                        self.resource_name,
                    )
                )
        raise_any(problems)
        return self


# The management interface with Multus is the pod network's `eth0` (Keysight's multus examples).
DEFAULT_MANAGEMENT_INTERFACE = "eth0"
# Multus' pod annotation naming the attachments (multus-cni docs/how-to-use.md).
NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks"


def group_problems(
    network: TestNetwork | None,
    management_interface: str | None,
    test_interface: str | None,
    replicas: int,
    env: dict[str, str],
    one_agent_per_node: bool,
    pod_annotations: dict[str, str],
    resources: Resources,
) -> list[Problem]:
    """A group's checks that involve its test network, with paths relative to the group."""
    if network is None:
        return []
    problems = []
    if NETWORKS_ANNOTATION in pod_annotations:
        problems.append(
            Problem(
                ("podAnnotations",),
                f"{NETWORKS_ANNOTATION!r} is set from testNetwork when a group has a test "
                "network; remove it",
                pod_annotations[NETWORKS_ANNOTATION],
            )
        )
    if test_interface is not None:
        problems.append(
            Problem(
                ("testInterface",),
                "is set from testNetwork.interface when a group has a test network; remove it",
                test_interface,
            )
        )
    management = management_interface or DEFAULT_MANAGEMENT_INTERFACE
    if network.interface == management:
        problems.append(
            Problem(
                ("testNetwork", "interface"),
                f"must differ from the management interface {management!r}: Keysight does not "
                "support one interface for management and test traffic",
                network.interface,
            )
        )
    if network.dpdk is not None:
        problems.extend(
            group_dpdk_problems(network.dpdk, replicas, env, one_agent_per_node, resources)
        )
    return problems


def stack_problems(
    cluster: str,
    release: str,
    controller_address: str | None,
    groups: list[tuple[str, str, TestNetwork | None]],
) -> list[Problem]:
    """Checks across the groups' test networks: (group name, architecture, network) in order."""
    problems: list[Problem] = []
    slices = []
    nics: list[tuple[str, str]] = []
    for index, (_, architecture, network) in enumerate(groups):
        if network is None:
            continue
        key = ("agentGroups", index, "testNetwork")
        if cluster == "eks":
            problems.append(
                Problem(
                    key,
                    "a test network is not supported with cluster 'eks' yet: Multus there needs "
                    "the VPC CNI as primary and extra ENIs excluded from it "
                    "(docs/test-networks.md#eks); use cluster 'existing'",
                    network.type,
                )
            )
        if network.dpdk is not None:
            if architecture != "amd64":
                problems.append(
                    Problem(
                        (*key, "dpdk"),
                        "needs architecture 'amd64': Keysight publishes the aarch64 DPDK image "
                        "only under the moving tag 'latest'",
                        architecture,
                    )
                )
            elif release not in DPDK_RELEASES:
                problems.append(
                    Problem(
                        (*key, "dpdk"),
                        f"needs a cyperfRelease with a known cyperf-agent-dpdk image, one of "
                        f"{', '.join(DPDK_RELEASES)}; cyperfRelease is {release!r}",
                        release,
                    )
                )
            nics.extend((nic.node, nic.pci_id) for nic in network.dpdk.inventory)
        start, end = network.ipam.slice()
        slices.append((index, start, end))
        if controller_address is not None:
            try:
                controller = ipaddress.IPv4Address(controller_address)
            except ValueError:
                controller = None
            if controller is not None and start <= controller <= end:
                problems.append(
                    Problem(
                        (*key, "ipam"),
                        f"hands out the controller's address {controller_address}; leave it "
                        "out with rangeStart or rangeEnd",
                        network.ipam.range,
                    )
                )
    problems.extend(
        gateway_problems([(i, n.ipam) for i, (_, _, n) in enumerate(groups) if n], slices)
    )
    for position, (index, start, end) in enumerate(slices):
        for other, other_start, other_end in slices[:position]:
            if start <= other_end and other_start <= end:
                problems.append(
                    Problem(
                        ("agentGroups", index, "testNetwork", "ipam"),
                        f"addresses {start}-{end} overlap those of agentGroups[{other}] "
                        f"({other_start}-{other_end}); give each group a disjoint slice with "
                        "rangeStart and rangeEnd",
                        f"{start}-{end}",
                    )
                )
    names = {name for name, _, _ in groups}
    for index, (name, _, network) in enumerate(groups):
        dpdk = network.dpdk if network else None
        for position in range(len(dpdk.inventory) if dpdk else 0):
            if f"{name}-{position}" in names:
                problems.append(
                    Problem(
                        ("agentGroups", index, "name"),
                        f"the DPDK group's agents are named {name}-0, {name}-1, ...; another "
                        f"group is named {name}-{position}: rename one of them",
                        name,
                    )
                )
    problems.extend(
        shared_cpu_problems(
            [(i, n.dpdk) for i, (_, _, n) in enumerate(groups) if n and n.dpdk is not None]
        )
    )
    for node, pci_id in repeated(nics):
        problems.append(
            Problem(
                ("agentGroups",),
                "two DPDK groups list the same NIC; each NIC drives one agent",
                f"{node} {pci_id}",
            )
        )
    return problems


def network_warnings(groups: list[tuple[str, TestNetwork | None, bool]]) -> list[KeyWarning]:
    """(role, network, has a Service) per group: a server group's test addresses are read
    through its Service's Endpoints, so without one the outputs list none."""
    return [
        KeyWarning(
            ("agentGroups", index, "service"),
            "is null on a server group with a test network: serverTestIps and "
            "controllerSetup.dutHost list no test addresses for it (they are read through the "
            "Service's Endpoints); read them from each pod's k8s.v1.cni.cncf.io/network-status "
            "annotation",
        )
        for index, (role, network, has_service) in enumerate(groups)
        if role == "server" and network is not None and not has_service
    ]
