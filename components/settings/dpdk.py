"""DPDK mode of a group's test network (`agentGroups[i].testNetwork.dpdk`): hugepages and the
per-node NIC inventory that becomes one agent per NIC (docs/test-networks.md#dpdk)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.settings.fields import (
    Memory,
    Model,
    check_dns_subdomain,
    cpu_millis,
    matches,
    memory_bytes,
)
from components.settings.problems import Problem, raise_any, repeated
from components.settings.resources import Resources

# A PCI address in domain:bus:device.function form, as Keysight's DPDK_TEST_INTERFACE_PCI_ID.
PCI_ID = re.compile(r"[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]", re.ASCII)
CPU_SET = re.compile(r"\d+(-\d+)?(,\d+(-\d+)?)*", re.ASCII)
HUGEPAGE_BYTES = {"1Gi": 2**30, "2Mi": 2**21}
# The tags of Keysight's DPDK agent image, as the DPDK container guide of Keysight/cyperf lists
# them (deployment/containers/dpdk/README.md); its aarch64 image has only a moving `latest` tag
# there. A release outside this list has no known DPDK image: add its tag once Keysight lists it.
DPDK_RELEASES = ("release7.0", "7.0.3.807", "release26.0.0", "26.0.3.834", "release26.0.1")

# The env a DPDK agent gets from its inventory NIC (components/test_network.py).
DPDK_ENV = frozenset(
    {
        "AGENT_CPU_SET",
        "NUMA_NODE",
        "DPDK_TEST_INTERFACE_PCI_ID",
        "DPDK_HUGEMEM_ALLOCATION_SIZE",
        "DPDK_HUGEMEM_ALLOCATION_PREFIX",
    }
)


def cpu_ids(cpu_set: str) -> list[int]:
    """`"2-4,8"` -> [2, 3, 4, 8]."""
    ids: list[int] = []
    for part in cpu_set.split(","):
        low, _, high = part.partition("-")
        ids.extend(range(int(low), int(high or low) + 1))
    return ids


def _cpu_set(value: str) -> str:
    matches(CPU_SET, "a CPU list such as '2,3' or '4-7'")(value)
    for part in value.split(","):
        low, _, high = part.partition("-")
        if high and int(high) < int(low):
            raise ValueError(f"must list CPU ranges low-high; {part!r} is reversed")
    if repeated(cpu_ids(value)):
        raise ValueError("must name each CPU once")
    return value


CpuSet = Annotated[str, AfterValidator(_cpu_set)]


class DpdkNic(Model):
    node: Annotated[str, AfterValidator(check_dns_subdomain)]
    """The node's name (`kubectl get nodes`); it must match the group's node selector."""
    pci_id: Annotated[
        str, AfterValidator(matches(PCI_ID, "a PCI address such as '0000:0b:00.0' (lowercase)"))
    ]
    """The test NIC's PCI address on that node: `DPDK_TEST_INTERFACE_PCI_ID`."""
    numa_node: int = Field(ge=0, le=63)
    """The NIC's NUMA node (`cat /sys/bus/pci/devices/<pciId>/numa_node`): `NUMA_NODE`."""
    cpu_set: CpuSet
    """The CPUs the agent uses, on that NUMA node: `AGENT_CPU_SET`, such as `2,3` or `4-7`; the
    agent requests as many CPUs."""


class Dpdk(Model):
    hugepage_size: Literal["1Gi", "2Mi"] = "1Gi"
    """The hugepage size the nodes reserve (Keysight recommends 1 GiB pages)."""
    hugepages: Memory = "2Gi"
    """Hugepage memory per agent, a multiple of `hugepageSize` (request and limit
    `hugepages-<size>`; `DPDK_HUGEMEM_ALLOCATION_SIZE` in MB)."""
    inventory: list[DpdkNic] = Field(min_length=1)
    """One entry per test NIC: the group runs one agent per entry, pinned to its node."""

    @model_validator(mode="after")
    def _pages(self) -> Dpdk:
        problems = []
        if memory_bytes(self.hugepages) % HUGEPAGE_BYTES[self.hugepage_size]:
            problems.append(
                Problem(
                    ("hugepages",),
                    f"must be a multiple of hugepageSize {self.hugepage_size!r} (the API server "
                    "refuses another amount)",
                    self.hugepages,
                )
            )
        for duplicate in repeated([(nic.node, nic.pci_id) for nic in self.inventory]):
            problems.append(
                Problem(
                    ("inventory",),
                    "lists this node's PCI ID more than once; each NIC drives one agent",
                    f"{duplicate[0]} {duplicate[1]}",
                )
            )
        raise_any(problems)
        return self


def group_dpdk_problems(
    dpdk: Dpdk, replicas: int, env: dict[str, str], one_agent_per_node: bool, resources: Resources
) -> list[Problem]:
    """A DPDK group's checks against its other keys, with paths relative to the group."""
    problems = [
        Problem(
            ("env",),
            f"env name {name!r} is set from testNetwork.dpdk.inventory on a DPDK group; remove it",
            name,
        )
        for name in sorted(DPDK_ENV & set(env))
    ]
    shared = repeated([nic.node for nic in dpdk.inventory])
    if shared and one_agent_per_node:
        problems.append(
            Problem(
                ("oneAgentPerNode",),
                f"must be false when the DPDK inventory lists node {shared[0]!r} more than once "
                "(one agent per NIC)",
                True,
            )
        )
    if replicas != len(dpdk.inventory):
        problems.append(
            Problem(
                ("replicas",),
                f"must equal the {len(dpdk.inventory)} NIC(s) of testNetwork.dpdk.inventory: a "
                "DPDK group runs one agent per NIC; remove it (it follows the inventory)",
                replicas,
            )
        )
    problems.extend(_cpu_problems(dpdk, resources))
    return problems


def _cpu_problems(dpdk: Dpdk, resources: Resources) -> list[Problem]:
    """Each agent requests as many CPUs as its NIC's cpuSet names (components/test_network.py):
    a CPU limit below that makes the API server refuse the Deployment, after the namespace and
    the NetworkAttachmentDefinition exist."""
    problems = []
    counts = sorted({len(cpu_ids(nic.cpu_set)) for nic in dpdk.inventory})
    if resources.requests.cpu is not None:
        problems.append(
            Problem(
                ("resources", "requests", "cpu"),
                "is set from testNetwork.dpdk.inventory on a DPDK group (each agent requests "
                f"the {' or '.join(map(str, counts))} CPU(s) of its cpuSet); remove it",
                resources.requests.cpu,
            )
        )
    limit = resources.limits.cpu
    if limit is not None and cpu_millis(limit) < 1000 * counts[-1]:
        problems.append(
            Problem(
                ("resources", "limits", "cpu"),
                f"must be at least {counts[-1]}, the CPUs of the largest cpuSet in "
                "testNetwork.dpdk.inventory, which each agent requests (a request must not "
                "exceed its limit)",
                limit,
            )
        )
    return problems


def shared_cpu_problems(dpdks: list[tuple[int, Dpdk]]) -> list[Problem]:
    """Two agents on one node whose cpuSets share a CPU (within a group or across groups, by
    group index): each would pin its DPDK threads to CPUs the other polls."""
    problems = []
    seen: list[tuple[int, int, DpdkNic]] = []
    for index, dpdk in dpdks:
        for position, nic in enumerate(dpdk.inventory):
            for other, other_position, earlier in seen:
                shared = sorted(set(cpu_ids(nic.cpu_set)) & set(cpu_ids(earlier.cpu_set)))
                if earlier.node == nic.node and shared:
                    problems.append(
                        Problem(
                            ("agentGroups", index, "testNetwork", "dpdk", "inventory", position),
                            f"shares CPUs {','.join(map(str, shared))} on node {nic.node!r} "
                            f"with agentGroups[{other}].testNetwork.dpdk.inventory"
                            f"[{other_position}]; give each agent on a node its own CPUs",
                            nic.cpu_set,
                        )
                    )
            seen.append((index, position, nic))
    return problems
