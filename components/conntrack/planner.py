"""Conntrack sizing for the agent nodes, from the traffic a test declares (pure: no Pulumi, no
settings).

Every agent connection is tracked in the host network namespace of the node it runs on, where
kube-proxy's NAT rules live, whatever the CNI. A full table drops new connections, so the table of
each agent node must hold, at the test's peak (the CyPerf guide's formula):

    entries ~ concurrent connections + connections per second x TIME_WAIT timeout

because a closed connection stays in the table for `nf_conntrack_tcp_timeout_time_wait` seconds
(120 by default) after it ends. Client and server nodes each track their own side of every
connection, so both roles are sized the same way.

What a node has without help is what kube-proxy sets when it starts: max(maxPerCore x CPUs, min),
32768 and 131072 by default, capped at 1048576 since Kubernetes 1.36 (kubernetes
pkg/proxy/conntrack/sysctls.go). The planner never plans below that: the node-tuning DaemonSet
only ever raises the maximum, so a plan smaller than kube-proxy's value changes nothing. The
facts and their sources are in `components.conntrack.kernel`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from components.conntrack.kernel import (
    DEFAULT_HEADROOM,
    KERNEL_LOCAL_PORT_RANGE,
    KERNEL_TIME_WAIT_SECONDS,
    KUBE_PROXY_CAP_SINCE_MINOR,
    KUBE_PROXY_MAX_PER_CORE,
    KUBE_PROXY_MIN,
    KUBE_PROXY_SCALED_CAP,
    MAX_HEADROOM,
    MAX_TABLE_ENTRIES,
    TCP_SOCKET_TIME_WAIT_SECONDS,
    WIDEST_LOCAL_PORT_RANGE,
)


def _port_count(port_range: tuple[int, int]) -> int:
    return port_range[1] - port_range[0] + 1


@dataclass(frozen=True)
class RoleTraffic:
    """The traffic one role (or agent group) declares for its test, summed over all its agents.

    `agents` is the number of agent pods; `max_agents_per_node` is 1 under one-agent-per-node,
    None when the scheduler may put any number of them on one node.
    """

    name: str
    agents: int
    max_agents_per_node: int | None = 1
    peak_connections_per_second: int | None = None
    concurrent_connections: int | None = None
    table_size: int | None = None
    time_wait_seconds: int | None = None
    node_vcpus: int | None = None
    kubernetes_minor: int | None = None
    headroom: float = DEFAULT_HEADROOM
    on_aws: bool = False


@dataclass(frozen=True)
class PlanWarning:
    """`code` is stable (tests and the wiring match on it); `message` is for the preview."""

    code: str
    message: str


@dataclass(frozen=True)
class ConntrackPlan:
    """What one node of a group needs, and the nf_conntrack_max the stack asserts there."""

    name: str
    agents_on_busiest_node: int
    connections_per_second_per_node: int
    concurrent_connections_per_node: int
    time_wait_seconds: int
    # None: leave the kernel's TIME_WAIT timeout alone (only an explicit value is written).
    time_wait_to_set: int | None
    required_entries: int
    required_with_headroom: int
    headroom: float
    kube_proxy_default: int
    configured_max: int
    warnings: tuple[PlanWarning, ...]

    @property
    def needs_tuning(self) -> bool:
        """True when the nodes need the DaemonSet: a larger table or an explicit timeout."""
        return self.configured_max > self.kube_proxy_default or self.time_wait_to_set is not None


def kube_proxy_default_max(vcpus: int | None, kubernetes_minor: int | None = None) -> int:
    """The nf_conntrack_max kube-proxy sets on a node with `vcpus` CPUs, with its defaults.

    Unknown CPUs give the floor (`min`), the one value every node is guaranteed. An unknown
    version is taken as capped (1.36+): the smaller answer, so warnings err on the safe side.
    """
    if vcpus is None:
        return KUBE_PROXY_MIN
    if vcpus < 1:
        raise ValueError(f"node vCPUs must be at least 1 (got {vcpus})")
    scaled = KUBE_PROXY_MAX_PER_CORE * vcpus
    capped = kubernetes_minor is None or kubernetes_minor >= KUBE_PROXY_CAP_SINCE_MINOR
    if capped and scaled > KUBE_PROXY_SCALED_CAP:
        return KUBE_PROXY_SCALED_CAP
    return max(scaled, KUBE_PROXY_MIN)


def _check(traffic: RoleTraffic) -> None:
    counts = {
        "agents": traffic.agents,
        "peak connections per second": traffic.peak_connections_per_second,
        "concurrent connections": traffic.concurrent_connections,
    }
    for label, value in counts.items():
        if value is not None and value < 0:
            raise ValueError(f"{traffic.name}: {label} must be >= 0 (got {value})")
    if traffic.node_vcpus is not None and traffic.node_vcpus < 1:
        raise ValueError(f"{traffic.name}: node vCPUs must be >= 1 (got {traffic.node_vcpus})")
    if traffic.max_agents_per_node is not None and traffic.max_agents_per_node < 1:
        raise ValueError(
            f"{traffic.name}: max agents per node must be >= 1 (got {traffic.max_agents_per_node})"
        )
    if traffic.table_size is not None and not 1 <= traffic.table_size <= MAX_TABLE_ENTRIES:
        raise ValueError(
            f"{traffic.name}: table size must be 1-{MAX_TABLE_ENTRIES} (got {traffic.table_size})"
        )
    if traffic.time_wait_seconds is not None and traffic.time_wait_seconds < 1:
        raise ValueError(
            f"{traffic.name}: TIME_WAIT timeout must be >= 1 s (got {traffic.time_wait_seconds})"
        )
    if not 1.0 <= traffic.headroom <= MAX_HEADROOM:
        raise ValueError(
            f"{traffic.name}: headroom must be 1.0-{MAX_HEADROOM} (got {traffic.headroom})"
        )


def agents_on_busiest_node(agents: int, max_agents_per_node: int | None) -> int:
    """How many of a role's agents one node may carry.

    Assumption: the controller spreads a role's objective evenly over its agents, so a node's
    load is its agents' share. Without one-agent-per-node nothing stops the scheduler from
    placing every agent on the same node, so that is what the plan must survive.
    """
    if agents == 0:
        return 0
    if max_agents_per_node is None:
        return agents
    return min(agents, max_agents_per_node)


def _per_node(total: int | None, agents: int, on_node: int) -> int:
    if not total or agents == 0:
        return 0
    return math.ceil(total / agents) * on_node


def plan(traffic: RoleTraffic) -> ConntrackPlan:
    """Entries one node of this role needs, and the nf_conntrack_max the stack will assert."""
    _check(traffic)
    on_node = agents_on_busiest_node(traffic.agents, traffic.max_agents_per_node)
    cps = _per_node(traffic.peak_connections_per_second, traffic.agents, on_node)
    concurrent = _per_node(traffic.concurrent_connections, traffic.agents, on_node)
    time_wait = traffic.time_wait_seconds or KERNEL_TIME_WAIT_SECONDS
    required = concurrent + cps * time_wait
    with_headroom = math.ceil(required * traffic.headroom)
    if with_headroom > MAX_TABLE_ENTRIES:
        raise ValueError(
            f"{traffic.name}: {with_headroom} entries per node exceed the kernel's limit of "
            f"{MAX_TABLE_ENTRIES}; spread the test over more agents or lower the TIME_WAIT timeout"
        )
    default = kube_proxy_default_max(traffic.node_vcpus, traffic.kubernetes_minor)
    target = traffic.table_size if traffic.table_size is not None else with_headroom
    configured = max(target, default)

    warnings: list[PlanWarning] = []
    if traffic.node_vcpus is None and with_headroom > KUBE_PROXY_MIN:
        warnings.append(
            PlanWarning(
                "vcpus-unknown",
                f"{traffic.name}: node vCPUs unknown, so the plan assumes kube-proxy's floor of "
                f"{KUBE_PROXY_MIN} entries; larger nodes start with more",
            )
        )
    if with_headroom > default:
        warnings.append(
            PlanWarning(
                "exceeds-kube-proxy-default",
                f"{traffic.name}: the plan needs {with_headroom} conntrack entries per node "
                f"({concurrent} concurrent + {cps}/s x {time_wait} s, x{traffic.headroom} "
                f"headroom) but kube-proxy gives the node {default}; without node tuning new "
                "connections are dropped once the table is full",
            )
        )
    if traffic.table_size is not None and traffic.table_size < with_headroom:
        warnings.append(
            PlanWarning(
                "table-below-plan",
                f"{traffic.name}: the explicit table size {traffic.table_size} is below the "
                f"{with_headroom} entries the plan needs",
            )
        )
    if traffic.table_size is not None and traffic.table_size < default:
        warnings.append(
            PlanWarning(
                "table-below-kube-proxy-default",
                f"{traffic.name}: the explicit table size {traffic.table_size} is below "
                f"kube-proxy's {default}; node tuning only raises the maximum, so the node keeps "
                f"{default}",
            )
        )
    if (
        traffic.time_wait_seconds is not None
        and traffic.time_wait_seconds < TCP_SOCKET_TIME_WAIT_SECONDS
    ):
        warnings.append(
            PlanWarning(
                "time-wait-below-tcp",
                f"{traffic.name}: a TIME_WAIT timeout of {traffic.time_wait_seconds} s is "
                f"shorter than Linux TCP's own {TCP_SOCKET_TIME_WAIT_SECONDS} s; a late "
                "retransmitted FIN or ACK then no longer matches its connection",
            )
        )
    if traffic.on_aws and required > 0:
        warnings.append(
            PlanWarning(
                "aws-security-group-tracking",
                f"{traffic.name}: EC2 security groups track these connections too, against a "
                "per-instance allowance AWS does not publish; drops show as "
                "conntrack_allowance_exceeded in `ethtool -S <interface>` on the node",
            )
        )
    return ConntrackPlan(
        name=traffic.name,
        agents_on_busiest_node=on_node,
        connections_per_second_per_node=cps,
        concurrent_connections_per_node=concurrent,
        time_wait_seconds=time_wait,
        time_wait_to_set=traffic.time_wait_seconds,
        required_entries=required,
        required_with_headroom=with_headroom,
        headroom=traffic.headroom,
        kube_proxy_default=default,
        configured_max=configured,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class PortRangeAdvice:
    """A client pod's net.ipv4.ip_local_port_range, and why."""

    low: int
    high: int
    ports_needed: int
    sufficient: bool

    @property
    def sysctl_value(self) -> str:
        return f"{self.low} {self.high}"


def client_local_port_range(connections_per_second_per_agent: int) -> PortRangeAdvice | None:
    """The local port range a client agent pod needs at this rate, or None for the kernel's.

    A closed connection's socket keeps its (source IP, source port, destination) 4-tuple in
    TIME_WAIT for 60 s, so against one destination an agent needs about rate x 60 s free
    ports. The kernel's default range (28232 ports) carries about 470 connections per second;
    above that the pod gets the widest unprivileged range. `sufficient` is False when even
    that is too small: the rate then needs more agents (source IPs) or destinations.
    """
    if connections_per_second_per_agent < 0:
        raise ValueError(
            f"connections per second must be >= 0 (got {connections_per_second_per_agent})"
        )
    needed = connections_per_second_per_agent * TCP_SOCKET_TIME_WAIT_SECONDS
    if needed <= _port_count(KERNEL_LOCAL_PORT_RANGE):
        return None
    low, high = WIDEST_LOCAL_PORT_RANGE
    return PortRangeAdvice(
        low=low,
        high=high,
        ports_needed=needed,
        sufficient=needed <= _port_count(WIDEST_LOCAL_PORT_RANGE),
    )


class DeclaredRate(Protocol):
    """A group's declared traffic, as far as its local port range depends on it."""

    @property
    def peak_connections_per_second(self) -> int | None: ...


def default_local_port_range(
    replicas: int, declared: DeclaredRate | None
) -> PortRangeAdvice | None:
    """The range a client group gets when it declares a rate and sets no `localPortRange`."""
    if declared is None or not declared.peak_connections_per_second or replicas == 0:
        return None
    return client_local_port_range(math.ceil(declared.peak_connections_per_second / replicas))


def local_port_range_sysctl(
    role: str, replicas: int, declared: DeclaredRate | None, configured: str | None
) -> str | None:
    """The pod's `net.ipv4.ip_local_port_range` value ("low high"), or None for the kernel's."""
    if role != "client":
        return None
    if configured is not None:
        return configured.replace("-", " ")
    advice = default_local_port_range(replicas, declared)
    return None if advice is None else advice.sysctl_value
