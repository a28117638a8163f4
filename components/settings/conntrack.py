"""Conntrack settings (issue 12): the stack-wide `conntrack` section, a group's planned traffic
(`agentGroups[i].conntrack`) and a client group's `localPortRange`.

The planner (components/conntrack.py) turns them into a table size per node; these models only
say what may be declared.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from components import conntrack
from components.node_tuning import DEFAULT_INTERVAL_SECONDS
from components.settings.fields import Model
from components.settings.problems import Problem, raise_any

LOCAL_PORT_RANGE = re.compile(r"^(\d{1,5})-(\d{1,5})$")
LOWEST_LOCAL_PORT, HIGHEST_LOCAL_PORT = conntrack.WIDEST_LOCAL_PORT_RANGE


def check_local_port_range(value: str) -> str:
    match = LOCAL_PORT_RANGE.match(value)
    low, high = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not LOWEST_LOCAL_PORT <= low < high <= HIGHEST_LOCAL_PORT:
        raise ValueError(
            f"must be 'low-high' with {LOWEST_LOCAL_PORT} <= low < high <= {HIGHEST_LOCAL_PORT}, "
            "e.g. '1024-65535'"
        )
    return value


LocalPortRange = Annotated[str, AfterValidator(check_local_port_range)]


class ConntrackSettings(Model):
    """`cyperf-k8s:conntrack`: how the groups' plans are applied, for the whole stack."""

    # The node-tuning DaemonSets (one per group with a plan that needs them). Off: plan and
    # warnings only.
    node_tuning: bool = False
    # One value per host network namespace: two DaemonSets holding different values would fight,
    # so it is stack-wide. Unset leaves the kernel's 120 s.
    time_wait_seconds: int | None = Field(default=None, ge=1, le=3600)
    headroom: float = Field(default=conntrack.DEFAULT_HEADROOM, ge=1.0, le=conntrack.MAX_HEADROOM)
    # How soon a kube-proxy restart (which resets the maximum) is undone.
    interval_seconds: int = Field(default=DEFAULT_INTERVAL_SECONDS, ge=5, le=3600)
    # Existing clusters only: the agent nodes' CPUs, which give kube-proxy's default table size.
    node_vcpus: int | None = Field(default=None, ge=1, le=4096)


class GroupConntrack(Model):
    """`agentGroups[i].conntrack`: the group's test at its peak, summed over all its agents."""

    peak_connections_per_second: int | None = Field(default=None, ge=0)
    concurrent_connections: int | None = Field(default=None, ge=0)
    # An explicit nf_conntrack_max instead of the formula's.
    table_size: int | None = Field(default=None, ge=1, le=conntrack.MAX_TABLE_ENTRIES)

    @model_validator(mode="after")
    def _declares_something(self) -> GroupConntrack:
        declared = (
            self.peak_connections_per_second,
            self.concurrent_connections,
            self.table_size,
        )
        if all(value is None for value in declared):
            raise_any(
                [
                    Problem(
                        (),
                        "needs at least one of peakConnectionsPerSecond, concurrentConnections "
                        "or tableSize (remove the section for no plan)",
                        {},
                    )
                ]
            )
        return self


def default_local_port_range(
    replicas: int, plan: GroupConntrack | None
) -> conntrack.PortRangeAdvice | None:
    """The range a client group gets when it declares a rate and sets no `localPortRange`."""
    if plan is None or not plan.peak_connections_per_second or replicas == 0:
        return None
    return conntrack.client_local_port_range(math.ceil(plan.peak_connections_per_second / replicas))


def local_port_range_sysctl(
    role: str, replicas: int, plan: GroupConntrack | None, configured: str | None
) -> str | None:
    """The pod's `net.ipv4.ip_local_port_range` value ("low high"), or None for the kernel's."""
    if role != "client":
        return None
    if configured is not None:
        return configured.replace("-", " ")
    advice = default_local_port_range(replicas, plan)
    return None if advice is None else advice.sysctl_value


def group_problems(role: str, configured_range: str | None) -> list[Problem]:
    """Checks of one group's conntrack keys, paths relative to the group."""
    if role != "client" and configured_range is not None:
        return [
            Problem(
                ("localPortRange",),
                "applies to client groups only (servers accept connections on fixed ports)",
                configured_range,
            )
        ]
    return []


def stack_problems(cluster: str, settings: ConntrackSettings) -> list[Problem]:
    """Checks between the conntrack section and the cluster kind, paths from the config root."""
    if cluster == "eks" and settings.node_vcpus is not None:
        return [
            Problem(
                ("conntrack", "nodeVcpus"),
                "does not apply with cluster 'eks': the stack takes the vCPUs from "
                "eks.nodeGroups.<role>.instanceTypes",
                settings.node_vcpus,
            )
        ]
    return []
